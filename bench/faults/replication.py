"""A MariaDB primary and its replicas, as processes of their own (``processes.MariaDB``):
GTID replication on loopback, which a test or a benchmark can delay, stop and restart.

    primary = Primary(tmp / "primary").install()        # log-bin, server-id 1, the app's user
    replica = Replica(tmp / "replica", server_id=2).install().follow(primary)
    replica.pause()     # STOP SLAVE SQL_THREAD: it receives the primary's writes, applies none
    replica.resume()    # START SLAVE SQL_THREAD: it catches up
    replica.delay(3)    # MASTER_DELAY=3: every write applied 3 s after the primary's commit

The replica starts from an empty server and replays the primary's whole binary log, so it
gets the ``prodhub`` database and user from the primary as any later write: install the
primary first, then each replica. Replicas run ``read_only``: the app's user cannot write
there by mistake.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

from bench.faults.processes import MariaDB, _user, wait_until

REPLICATION_USER = "replication"
REPLICATION_PASSWORD = "replication"


def sql(server: MariaDB, statements: str, *, names: bool = False) -> str:
    """Run ``statements`` as root on ``server``'s socket; what they print, tab-separated
    (``names``: with the columns' names, as ``\\G`` shows them)."""
    done = subprocess.run(
        ["mariadb", "--no-defaults", f"--socket={server.socket}", "-uroot", "-B",
         *([] if names else ["-N"])],
        input=statements.encode(), check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return done.stdout.decode()


@dataclass
class Primary(MariaDB):
    """A MariaDB that writes a binary log for its replicas (server id 1)."""

    def options(self) -> list[str]:
        kept = [o for o in super().options() if o != "--skip-log-bin"]
        return [*kept, "--log-bin=primary-bin", "--server-id=1", "--binlog-format=ROW"]

    def install(self) -> Primary:
        super().install()
        account = f"'{REPLICATION_USER}'@'127.0.0.1'"
        sql(self, f"CREATE USER {account} IDENTIFIED BY '{REPLICATION_PASSWORD}';"
                  f"GRANT REPLICATION SLAVE ON *.* TO {account};")  # fmt: skip
        return self


@dataclass
class Replica(MariaDB):
    """A MariaDB that applies a primary's binary log (read-only for the app's user)."""

    server_id: int = 2

    def options(self) -> list[str]:
        return [*super().options(), f"--server-id={self.server_id}", "--read-only",
                f"--relay-log={self.directory / 'relay-bin'}"]  # fmt: skip

    def install(self) -> Replica:
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--user={_user()}",
             f"--datadir={self.directory / 'data'}", "--auth-root-authentication-method=socket",
             "--skip-test-db"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.start()
        return self

    def follow(self, primary: MariaDB, *, seconds: float = 60) -> Replica:
        """Replicate ``primary`` from its first write (GTID, ``slave_pos``), and wait until
        this replica has everything the primary has now."""
        sql(self, f"CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT={primary.port}, "
                  f"MASTER_USER='{REPLICATION_USER}', MASTER_PASSWORD='{REPLICATION_PASSWORD}', "
                  "MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;")  # fmt: skip
        self.catch_up(primary, seconds=seconds)
        return self

    def catch_up(self, primary: MariaDB, *, seconds: float = 60) -> None:
        """Wait until this replica applied every write the primary has committed now."""
        position = sql(primary, "SELECT @@gtid_binlog_pos").strip()
        wait_until(
            lambda: sql(self, f"SELECT MASTER_GTID_WAIT('{position}', 1)").strip() == "0",
            seconds,
            f"the replica on {self.port} to reach {position}",
        )

    def status(self) -> dict[str, object]:
        """Whether both replication threads run, how many seconds it is behind, the GTID
        position it received up to, its last error."""
        lines = sql(self, "SHOW SLAVE STATUS\\G", names=True).splitlines()
        fields = dict(line.strip().partition(": ")[::2] for line in lines if ": " in line)
        running = (fields.get("Slave_IO_Running"), fields.get("Slave_SQL_Running")) == (
            "Yes",
            "Yes",
        )
        return {
            "running": running,
            "behind_seconds": fields.get("Seconds_Behind_Master") or None,
            "gtid": fields.get("Gtid_IO_Pos", ""),
            "error": fields.get("Last_Error") or fields.get("Last_IO_Error") or "",
        }

    def pause(self) -> None:
        """Receive the primary's writes, apply none of them (lag grows with every write)."""
        sql(self, "STOP SLAVE SQL_THREAD")

    def resume(self) -> None:
        sql(self, "START SLAVE SQL_THREAD")

    def delay(self, seconds: int) -> None:
        """Apply each write ``seconds`` after the primary committed it (0: at once)."""
        sql(self, f"STOP SLAVE; CHANGE MASTER TO MASTER_DELAY={int(seconds)}; START SLAVE;")
