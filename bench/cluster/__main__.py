"""``python -m bench.cluster start|stop|status|run|restart-web [--dir DIR]``: the production
topology on this machine (``scripts/cluster`` installs the Debian packages first). ``start``
returns once everything answers, leaving it running; ``run`` starts it and stops it on
Ctrl-C or SIGTERM; the others act on the last cluster started, or on ``--dir``."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import threading
from pathlib import Path

from bench.cluster import replication, topology
from bench.cluster.rolling import restart_webs
from bench.cluster.topology import POINTER, State


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/cluster")
    parser.add_argument("command", choices=["start", "stop", "status", "run", "restart-web"])
    parser.add_argument("--dir", type=Path, help="the cluster's directory (default: the last)")
    parser.add_argument("--keep", action="store_true", help="stop: keep the directory (logs)")
    options = parser.parse_args()
    if options.command in ("start", "run"):
        state = topology.start(options.dir)
        POINTER.write_text(str(state.directory))
        describe(state)
        if options.command == "run":
            wait_for_a_signal()
            stop(state, keep=options.keep)
        return
    directory = options.dir or (Path(POINTER.read_text()) if POINTER.exists() else None)
    if directory is None or not (directory / topology.STATE).exists():
        sys.exit("no cluster: scripts/cluster start")
    state = State.load(directory)
    if options.command == "stop":
        stop(state, keep=options.keep)
    elif options.command == "status":
        describe(state)
    else:
        restart_webs(state)


def describe(state: State) -> None:
    print(f"cluster in {state.directory} (logs in {state.directory / 'logs'})")
    for name, running, where in topology.status(state):
        print(f"  {name:16} {'running' if running else 'STOPPED':8} {where}")
    replica = replication.Server(state.directory / "replica")
    try:
        print(f"  replication: {replication.status(replica)}")
    except Exception as exc:  # the replica is down: say so, do not fail the status
        print(f"  replication: unknown ({type(exc).__name__})")
    print(f"GraphQL through nginx: {state.url}/graphql (demo sign-ins, password demo-password)")
    print(f"device key (INGEST): {state.api_key}")
    if any(m.name == "connecteam" for m in state.members):
        print(f"Connecteam (a fake): {state.connecteam.url} (its control: /control/state)")
    print(f"primary: {state.database_url('mariadb-primary')}")
    print(f"replica: {state.database_url('mariadb-replica')}")


def stop(state: State, *, keep: bool) -> None:
    topology.stop(state)
    if POINTER.exists() and POINTER.read_text() == str(state.directory):
        POINTER.unlink()
    if keep:
        print(f"stopped; kept {state.directory}")
    else:
        shutil.rmtree(state.directory, ignore_errors=True)
        print(f"stopped; removed {state.directory}")


def wait_for_a_signal() -> None:
    received = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: received.set())
    print("running; Ctrl-C stops it all")
    received.wait()


if __name__ == "__main__":
    main()
