"""The production shape as subprocesses: ``prodhub serve`` (uvicorn on uvloop, as shipped),
``prodhub worker`` and ``prodhub scheduler``, and a MariaDB of their own that can be
restarted. Each process gets exactly the environment given (plus PATH), never the caller's
``PRODHUB_*``; its output goes to a log file that the caller may read."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until(check: object, seconds: float, what: str) -> None:
    """Poll ``check()`` (a callable returning truthy) every 0.1 s for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


@dataclass
class Process:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    source: Path = ROOT  # the tree whose code runs (another checkout, to compare)
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1", **self.env}
        with self.log.open("ab") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "prodhub", *self.args],
                cwd=self.source,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.running:
            assert self.popen is not None
            os.killpg(self.popen.pid, sig)

    def stop(self, timeout: float = 15) -> int | None:
        if self.popen is None:
            return None
        self.signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            return self.popen.wait(5)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(5)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def serve(env: dict[str, str], logs: Path, *, port: int | None = None, source: Path = ROOT) -> Web:
    port = port or free_port()
    process = Process(
        f"serve:{port}",
        ["serve", "--port", str(port), "--no-access-log"],
        env,
        logs / f"serve-{port}.log",
        source,
    )
    return Web(process.start(), f"http://127.0.0.1:{port}")


@dataclass
class Web:
    process: Process
    url: str

    def wait_ready(self, seconds: float = 60) -> Web:
        def healthy() -> bool:
            if not self.process.running:
                raise RuntimeError(f"{self.process.name} exited:\n{self.process.output()}")
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200

        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if healthy():
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.process.name} not up:\n{self.process.output()}")


def worker(env: dict[str, str], logs: Path, *, threads: int = 2, source: Path = ROOT) -> Process:
    return Process(
        "worker", ["worker", "--threads", str(threads)], env, logs / "worker.log", source
    ).start()


def scheduler(
    env: dict[str, str], logs: Path, *, name: str = "scheduler", source: Path = ROOT
) -> Process:
    return Process(name, ["scheduler"], env, logs / f"{name}.log", source).start()


@dataclass
class MariaDB:
    """A MariaDB of its own in ``directory``, on a loopback port: started, stopped, killed
    and restarted on the same data. Needs the Debian packages (``scripts/test`` installs
    them); ``available()`` says whether they are here."""

    directory: Path
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen[bytes] | None = None
    connections: int = 200  # max_connections (a whole cluster's pools want more)

    @staticmethod
    def available() -> bool:
        return all(shutil.which(c) for c in ("mariadbd", "mariadb-install-db", "mariadb"))

    @property
    def socket(self) -> Path:
        return self.directory / "mysql.sock"

    def url(self, *, port: int | None = None) -> str:
        return f"mysql+aiomysql://prodhub:prodhub@127.0.0.1:{port or self.port}/prodhub"

    def install(self) -> MariaDB:
        user = _user()
        subprocess.run(
            ["mariadb-install-db", "--no-defaults", f"--user={user}",
             f"--datadir={self.directory / 'data'}", "--auth-root-authentication-method=socket",
             "--skip-test-db"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.start()
        subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={self.socket}", "-uroot"],
            input=b"CREATE DATABASE prodhub CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
            b"CREATE USER 'prodhub'@'127.0.0.1' IDENTIFIED BY 'prodhub';"
            b"GRANT ALL ON prodhub.* TO 'prodhub'@'127.0.0.1';",
            check=True, capture_output=True,
        )  # fmt: skip
        return self

    def options(self) -> list[str]:
        """How the server runs (a replication role adds to them: ``bench.faults.replication``)."""
        return [
            f"--datadir={self.directory / 'data'}", f"--socket={self.socket}",
            f"--pid-file={self.directory / 'mysql.pid'}", "--bind-address=127.0.0.1",
            f"--port={self.port}", "--skip-name-resolve", "--skip-log-bin",
            "--innodb-buffer-pool-size=64M", "--innodb-flush-log-at-trx-commit=2",
            "--character-set-server=utf8mb4", "--collation-server=utf8mb4_unicode_ci",
            f"--max-connections={self.connections}",
        ]  # fmt: skip

    def start(self) -> None:
        log = (self.directory / "mysql.log").open("ab")
        self.popen = subprocess.Popen(
            ["mariadbd", "--no-defaults", f"--user={_user()}", *self.options()],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        wait_until(self._answers, 60, "MariaDB")

    def _answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(sig)
            self.popen.wait(60)
        self.popen = None

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


@dataclass
class Redis:
    """A redis-server of its own in ``directory``, on a loopback port, without persistence
    (``redis-server`` from Debian; ``available()`` says whether it is here)."""

    directory: Path
    port: int = field(default_factory=free_port)
    popen: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def url(self, *, port: int | None = None, db: int = 0) -> str:
        return f"redis://127.0.0.1:{port or self.port}/{db}"

    def start(self) -> Redis:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "redis.log").open("ab")
        self.popen = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
             "--save", "", "--appendonly", "no", "--dir", str(self.directory),
             "--maxmemory", "256mb", "--maxmemory-policy", "volatile-lru"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log.close()
        wait_until(self._answers, 30, "Redis")
        return self

    def _answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            self.popen.wait(30)
        self.popen = None
