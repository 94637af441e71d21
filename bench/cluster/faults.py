"""Faults on a running cluster (``bench.cluster.topology``): a web process killed outright and
started again, a MariaDB server (primary or replica) stopped and started on the same data and
port, the replica's SQL thread held (replication lagging), Redis frozen (a partition, as its
clients see one). Each keeps ``cluster.json`` current, so that ``topology.stop`` still finds
every process. (Connecteam's faults are its fake's control surface: ``State.connecteam``.)"""

from __future__ import annotations

import contextlib
import os
import signal

from bench.cluster import pids, replication
from bench.cluster.rolling import replace
from bench.cluster.topology import Member, State, wait_ready

# Each MariaDB server of the topology: its directory under the cluster's, its server id.
SERVERS = {"mariadb-primary": ("primary", 1), "mariadb-replica": ("replica", 2)}


def kill_web(web: Member) -> None:
    """SIGKILL to the web process (its group): no graceful shutdown, its requests cut off."""
    pids.stop(web.pid, web.marker, sig=signal.SIGKILL, seconds=10)


def restart_web(state: State, web: Member) -> None:
    """A new ``prodhub serve`` on the killed one's port, ready (``/readyz`` 200)."""
    replace(state, web)
    wait_ready(f"http://127.0.0.1:{web.port}", pid=web.pid)


def server(state: State, name: str) -> replication.Server:
    """The MariaDB server ``name`` (``mariadb-primary``, ``mariadb-replica``), to run SQL on
    or to start again."""
    directory, server_id = SERVERS[name]
    return replication.Server(
        state.directory / directory, port=state.member(name).port, server_id=server_id,
        replica=name == "mariadb-replica",
    )  # fmt: skip


def stop_server(state: State, name: str, sig: int = signal.SIGTERM) -> None:
    """Stop the MariaDB server ``name`` (SIGTERM: a clean shutdown; SIGKILL: a crash)."""
    member = state.member(name)
    pids.stop(member.pid, member.marker, sig=sig, seconds=60)


def start_server(state: State, name: str) -> None:
    """Start ``name`` again on its data and port (a replica resumes replicating by itself:
    its replication settings are kept in its data directory)."""
    again = server(state, name)
    again.start()
    state.member(name).pid = pids.keep(again.popen)
    state.save()


def hold_replication(state: State) -> None:
    """Stop the replica's SQL thread: it still receives the primary's log, applies nothing."""
    server(state, "mariadb-replica").sql("STOP SLAVE SQL_THREAD;")


def release_replication(state: State) -> None:
    server(state, "mariadb-replica").sql("START SLAVE SQL_THREAD;")


def slave_threads(state: State) -> dict[str, str]:
    """The replica's ``Slave_IO_Running`` and ``Slave_SQL_Running`` (``Yes``, ``No``,
    ``Connecting``)."""
    lines = server(state, "mariadb-replica").sql("SHOW SLAVE STATUS\\G", names=True)
    fields = dict(line.strip().partition(": ")[::2] for line in lines.splitlines())
    return {key: fields.get(key, "") for key in ("Slave_IO_Running", "Slave_SQL_Running")}


def com_select(state: State, name: str) -> int:
    """The server's count of SELECT statements since it started."""
    answer = server(state, name).sql("SHOW GLOBAL STATUS LIKE 'Com_select';")
    return int(answer.split()[1])


def freeze_redis(state: State) -> None:
    """SIGSTOP to redis-server: every client's connection, open or new, is accepted by the
    kernel and never answered, as across a partition that drops packets (no reset, no
    refusal: clients wait for their own timeouts). What a proxy in front of Redis would do
    too, with no proxy in the topology to add a hop to every command of the other tests."""
    _signal(state.member("redis"), signal.SIGSTOP)


def thaw_redis(state: State) -> None:
    """SIGCONT: Redis answers again what it was sent meanwhile (harmless when not frozen)."""
    _signal(state.member("redis"), signal.SIGCONT)


def _signal(member: Member, sig: int) -> None:
    if pids.alive(member.pid) and member.marker in pids.command_line(member.pid):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(member.pid, sig)
