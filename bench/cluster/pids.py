"""Processes the cluster started, known by their id: stopped by the same command that started
them or by a later one (``scripts/cluster stop``). Each was started in a session of its own,
so its id is its process group's: a signal reaches its children too. Before signalling, the
process's command line is checked, so that an id reused by someone else's process is left
alone."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

# The processes this process started, kept until they end: a Popen collected while its
# process runs warns, and one that ended is reaped through it.
_started: dict[int, subprocess.Popen[bytes]] = {}


def keep(popen: subprocess.Popen[bytes] | None) -> int:
    """Hold on to ``popen`` (started here) until it ends; its id."""
    assert popen is not None
    _started[popen.pid] = popen
    return popen.pid


def command_line(pid: int) -> str:
    """The process's arguments joined by spaces ("" when it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def alive(pid: int) -> bool:
    """Running (a zombie counts as gone; one started here is reaped)."""
    if pid in _started:
        if _started[pid].poll() is None:
            return True
        del _started[pid]
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def children(pid: int) -> set[int]:
    """The ids of the running processes whose parent is ``pid``."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def stop(pid: int, marker: str, *, sig: int = signal.SIGTERM, seconds: float = 30) -> None:
    """Send ``sig`` to the process group of ``pid`` (if its command line still contains
    ``marker``), wait up to ``seconds`` for it to end, then kill the group."""
    if not alive(pid) or marker not in command_line(pid):
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    while alive(pid):
        time.sleep(0.05)
