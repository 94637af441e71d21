"""A MariaDB primary and a replica of it, by GTID replication, each in a directory of its own
on a loopback port (the Debian packages' ``mariadbd``).

The primary writes a row-based binary log from its first statement (``--log-bin
--server-id=1 --binlog-format=ROW``); the replica (``--server-id=2``, read-only) is a fresh
server told ``CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos; START SLAVE``: with an empty
position it replays the primary's whole log, the database, the application's account and
the replication account included, so that both have the same ``prodhub`` user and schema."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

from bench.faults.processes import MariaDB, _user, wait_until

REPLICATION_USER = "replication"
REPLICATION_PASSWORD = "replication"  # a throwaway server on loopback


@dataclass
class Server(MariaDB):
    """``processes.MariaDB`` with the options of a primary or of a replica."""

    server_id: int = 1
    replica: bool = False

    def options(self) -> list[str]:
        role = (
            ["--skip-log-bin", "--read-only", f"--relay-log={self.directory / 'relay'}"]
            if self.replica
            else [f"--log-bin={self.directory / 'binlog'}", "--binlog-format=ROW"]
        )
        base = [o for o in super().options() if o != "--skip-log-bin"]
        # Two web processes, two workers and two schedulers, each with two pools.
        return [*base, f"--server-id={self.server_id}", *role, "--max-connections=300"]

    def sql(self, statements: str, *, names: bool = False) -> str:
        """Run ``statements`` as root on the server's socket; their output, tab-separated
        (``names``: with the columns' names, as ``\\G`` shows them)."""
        done = subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot", "--batch",
             *([] if names else ["--skip-column-names"])],
            input=statements.encode(), capture_output=True, check=True, timeout=60,
        )  # fmt: skip
        return done.stdout.decode()


def install_primary(server: Server) -> Server:
    """Install and start the primary (``install`` makes the ``prodhub`` database and account)
    and add the account its replicas sign in with."""
    server.install()
    server.sql(
        f"CREATE USER '{REPLICATION_USER}'@'127.0.0.1' IDENTIFIED BY '{REPLICATION_PASSWORD}';"
        f"GRANT REPLICATION SLAVE ON *.* TO '{REPLICATION_USER}'@'127.0.0.1';"
    )
    return server


def install_replica(server: Server) -> Server:
    """A fresh server, started: nothing of its own but the system tables (the rest comes from
    the primary's log)."""
    subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--user={_user()}",
         f"--datadir={server.directory / 'data'}", "--auth-root-authentication-method=socket",
         "--skip-test-db"],
        check=True, capture_output=True,
    )  # fmt: skip
    server.start()
    return server


def follow(replica: Server, source: Server) -> None:
    """Make ``replica`` replicate ``source`` from the start of its log, and wait until both
    replication threads run and the application's database has arrived."""
    replica.sql(
        f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={source.port}, "
        f"MASTER_USER='{REPLICATION_USER}', MASTER_PASSWORD='{REPLICATION_PASSWORD}', "
        "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;"
    )
    wait_until(lambda: status(replica)["running"], 60, "the replica's threads")
    wait_until(lambda: "prodhub" in replica.sql("SHOW DATABASES;").split(), 60, "the database")


def status(replica: Server) -> dict[str, object]:
    """Whether both threads run, how many seconds it is behind, its last error."""
    lines = replica.sql("SHOW SLAVE STATUS\\G", names=True).splitlines()
    fields = dict(line.strip().partition(": ")[::2] for line in lines if ": " in line)
    running = fields.get("Slave_IO_Running") == "Yes" and fields.get("Slave_SQL_Running") == "Yes"
    return {
        "running": running,
        "behind_seconds": fields.get("Seconds_Behind_Master") or None,
        "gtid": fields.get("Gtid_IO_Pos", ""),
        "error": fields.get("Last_Error") or fields.get("Last_IO_Error") or "",
    }


def caught_up(replica: Server, source: Server, seconds: float = 30) -> None:
    """Wait until ``replica`` has applied everything ``source`` had written when asked."""
    target = source.sql("SELECT @@gtid_binlog_pos;").strip()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        applied = replica.sql(f"SELECT MASTER_GTID_WAIT('{target}', 1);").strip()
        if applied == "0":
            return
    raise TimeoutError(f"the replica did not reach {target}: {status(replica)}")
