"""The production shape for the fault benchmark: a MariaDB and a Redis of its own, each
behind fault proxies, and the ``prodhub`` processes of one source tree on top: two ``serve``
(uvloop), one ``worker``, two ``scheduler``\\ s.

Every process reaches MariaDB through one proxy (``db``). Redis is reached through three, one
per role, so that a fault can hit Redis for everyone or the worker's connections alone:
``web`` (both serve processes), ``worker`` and ``scheduler``."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pymysql

from bench.faults.processes import (
    MariaDB,
    Process,
    Redis,
    Web,
    free_port,
    scheduler,
    serve,
    worker,
)
from bench.faults.proxy import ProxyThread

SECRET = "fault-benchmark-secret-key-0123456789abcdef"


@dataclass
class Shape:
    directory: Path
    source: Path
    mariadb: MariaDB
    redis: Redis
    proxies: dict[str, ProxyThread]  # db, web, worker, scheduler
    webs: list[Web] = field(default_factory=list)
    workers: list[Process] = field(default_factory=list)
    schedulers: list[Process] = field(default_factory=list)
    api_key: str = ""
    ports: list[int] = field(default_factory=lambda: [free_port(), free_port()])
    today: date | None = None
    restarts: list[tuple[float, str, int | None]] = field(default_factory=list)
    _watching: threading.Event = field(default_factory=threading.Event)

    def env(self, role: str) -> dict[str, str]:
        return {
            "PRODHUB_DATABASE_URL": self.mariadb.url(port=self.proxies["db"].port),
            "PRODHUB_REDIS_URL": self.redis.url(port=self.proxies[role].port),
            "PRODHUB_ENV": "production",
            "PRODHUB_SECRET_KEY": SECRET,
            "PRODHUB_DB_POOL_SIZE": "5",
            "PRODHUB_DB_MAX_OVERFLOW": "10",
        }

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """``prodhub <args>`` of this source, straight to MariaDB and Redis, in development."""
        env = {
            **self.env("web"),
            "PRODHUB_DATABASE_URL": self.mariadb.url(),
            "PRODHUB_REDIS_URL": self.redis.url(),
            "PRODHUB_ENV": "development",
            "PATH": "/usr/bin:/bin",
        }
        done = subprocess.run(
            [sys.executable, "-m", "prodhub", *args],
            cwd=self.source, env=env, input=stdin, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"prodhub {' '.join(args)}:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> None:
        """Start every process; wait until both web processes answer."""
        logs = self.directory / "logs"
        logs.mkdir(exist_ok=True)
        self.webs = [serve(self.env("web"), logs, port=p, source=self.source) for p in self.ports]
        self.workers = [worker(self.env("worker"), logs, source=self.source)]
        self.schedulers = [
            scheduler(self.env("scheduler"), logs, name=f"scheduler-{i}", source=self.source)
            for i in (1, 2)
        ]
        for web in self.webs:
            web.wait_ready()
        self._watching.set()

    def supervise(self) -> None:
        """What systemd would do: start again a process that exited by itself (the worker's
        watchdog ends it, exit 70, when a thread of it died). Runs on a thread until ``stop``."""
        while True:
            time.sleep(0.5)
            if not self._watching.is_set():
                continue
            for process in [w.process for w in self.webs] + self.workers + self.schedulers:
                if self._watching.is_set() and process.popen and not process.running:
                    self.restarts.append((time.monotonic(), process.name, process.popen.poll()))
                    process.start()

    def stop(self) -> None:
        self._watching.clear()
        time.sleep(0.1)  # a supervision round under way ends
        everything = [w.process for w in self.webs] + self.workers + self.schedulers
        with ThreadPoolExecutor(len(everything) or 1) as pool:
            list(pool.map(lambda p: p.stop(10), everything))

    def restart(self) -> None:
        self.stop()
        self.start()

    def _connect(self) -> pymysql.Connection[Any]:
        """Straight to MariaDB, not through the proxy."""
        return pymysql.connect(
            host="127.0.0.1", port=self.mariadb.port, user="prodhub", password="prodhub",
            database="prodhub", connect_timeout=5,
        )  # fmt: skip

    def sql(self, statement: str, *args: Any) -> list[tuple[Any, ...]]:
        """One statement, committed."""
        conn = self._connect()
        try:
            conn.autocommit(True)
            with conn.cursor() as cursor:
                cursor.execute(statement, args or None)
                return list(cursor.fetchall())
        finally:
            conn.close()

    @contextmanager
    def locked(self, statement: str, *args: Any) -> Iterator[None]:
        """``statement`` (a ``SELECT ... FOR UPDATE``) in a transaction held open meanwhile."""
        conn = self._connect()
        try:
            with conn.cursor() as cursor:
                conn.begin()
                cursor.execute(statement, args or None)
                yield
            conn.commit()
        finally:
            conn.close()

    def forget_debounce(self) -> None:
        """Drop the web's debounce keys: the next scan of each day enqueues a refresh."""
        keys = self.redis_command("--scan", "--pattern", "prodhub:debounce:*").split()
        if keys:
            self.redis_command("DEL", *(k.decode() for k in keys))

    def redis_command(self, *args: str) -> bytes:
        """One command straight to Redis (not through a proxy), through ``redis-cli``."""
        done = subprocess.run(
            ["redis-cli", "-p", str(self.redis.port), *args], capture_output=True, check=True
        )
        return done.stdout


@contextmanager
def shape(directory: Path, source: Path) -> Iterator[Shape]:
    """A fresh MariaDB (migrated, seeded with profile S as of today) and Redis, their proxies,
    and the processes of ``source``; everything stopped on the way out."""
    mariadb = MariaDB(directory / "mariadb")
    mariadb.directory.mkdir(parents=True)
    redis = Redis(directory / "redis")
    proxies: dict[str, ProxyThread] = {}
    built: Shape | None = None
    try:
        mariadb.install()
        redis.start()
        proxies["db"] = ProxyThread("127.0.0.1", mariadb.port)
        for role in ("web", "worker", "scheduler"):
            proxies[role] = ProxyThread("127.0.0.1", redis.port)
        built = Shape(directory, source, mariadb, redis, proxies)
        built.cli("migrate")
        built.cli("seed-demo", "--profile", "S", "--seed", "42")
        built.api_key = built.cli(
            "create-api-key", "--name", "scanners", "--scope", "ingest"
        ).splitlines()[-1]
        built.today = built.sql("SELECT MAX(work_date) FROM daily_scores")[0][0]
        built.start()
        threading.Thread(target=built.supervise, daemon=True).start()
        yield built
    finally:
        if built is not None:
            built.stop()
        for proxy in proxies.values():
            proxy.stop()
        redis.stop()
        mariadb.stop()
