"""The whole topology started in one directory, and what a later command needs to stop it or
restart its web processes: ``cluster.json`` (the processes' ids and ports, the environment
the prodhub processes run with, the device key made for the demo).

Started in this order, as the units in ``deploy/systemd`` order them: MariaDB primary and
replica (replicating) and Redis; ``prodhub migrate`` once; the demo data; a fake Connecteam
holding the demo's people and the day's clock records (``bench.cluster.connecteam``); the web
processes (ready: ``/readyz`` 200), the workers and the schedulers, all pointed at that
Connecteam; nginx in front."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from bench.cluster import connecteam, pids
from bench.cluster.nginx import Nginx
from bench.cluster.replication import Server, follow, install_primary, install_replica
from bench.faults.processes import ROOT, Process, Redis, free_port, serve, wait_until
from core.settings import Settings

WEBS = 2
WORKERS = 2
SCHEDULERS = 2
STATE = "cluster.json"
# Where `scripts/cluster` remembers the last cluster it started (stop/status without --dir).
POINTER = Path(tempfile.gettempdir()) / "prodhub-cluster.current"


@dataclass
class Member:
    """One process: its name, its id (its process group's), the word its command line has."""

    name: str
    pid: int
    marker: str
    port: int = 0


@dataclass
class State:
    directory: Path
    env: dict[str, str]  # the prodhub processes'
    api_key: str  # a device's (scope INGEST), for recordActivities
    members: list[Member] = field(default_factory=list)

    @property
    def nginx(self) -> Member:
        return self.member("nginx")

    def member(self, name: str) -> Member:
        return next(m for m in self.members if m.name == name)

    def named(self, prefix: str) -> list[Member]:
        return [m for m in self.members if m.name.startswith(prefix)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.nginx.port}"

    @property
    def connecteam(self) -> connecteam.Control:
        return connecteam.Control(f"http://127.0.0.1:{self.member('connecteam').port}")

    def database_url(self, name: str) -> str:
        return f"mysql+aiomysql://prodhub:prodhub@127.0.0.1:{self.member(name).port}/prodhub"

    def save(self) -> None:
        path = self.directory / STATE
        path.write_text(json.dumps(asdict(self), default=str, indent=2))
        path.chmod(0o600)  # it holds the secret key

    @staticmethod
    def load(directory: Path) -> State:
        raw = json.loads((directory / STATE).read_text())
        members = [Member(**m) for m in raw.pop("members")]
        return State(Path(raw.pop("directory")), members=members, **raw)


def start(
    directory: Path | None = None,
    *,
    log: Callable[[str], None] = print,
    timezone: str | None = None,
) -> State:
    """Start everything in ``directory`` (a new temporary one by default), in the company
    timezone ``timezone`` (the settings' default if none)."""
    directory = directory or Path(tempfile.mkdtemp(prefix="prodhub-cluster-"))
    logs = directory / "logs"
    logs.mkdir(exist_ok=True)
    primary = Server(directory / "primary", server_id=1)
    replica = Server(directory / "replica", server_id=2, replica=True)
    redis = Redis(directory / "redis")
    for server in (primary, replica):
        server.directory.mkdir()
    state = State(directory, env={}, api_key="")
    try:
        log(f"==> MariaDB primary, replica and Redis in {directory}")
        # One server at a time: two mariadb-install-db at once collide in /tmp.
        for name, server, install in (("mariadb-primary", primary, install_primary),
                                      ("mariadb-replica", replica, install_replica)):  # fmt: skip
            try:
                install(server)
            finally:
                if server.popen is not None:
                    pid = pids.keep(server.popen)
                    state.members.append(Member(name, pid, "mariadbd", server.port))
                    state.save()
        redis.start()
        pid = pids.keep(redis.popen)
        state.members.append(Member("redis", pid, "redis-server", redis.port))
        state.save()
        follow(replica, primary)
        state.env = {
            "PRODHUB_ENV": "production",
            "PRODHUB_SECRET_KEY": secrets.token_urlsafe(48),
            "PRODHUB_DATABASE_URL": primary.url(),
            "PRODHUB_DATABASE_REPLICA_URLS": replica.url(),
            "PRODHUB_REDIS_URL": redis.url(),
            "PRODHUB_TRUSTED_PROXIES": "127.0.0.1",
        } | ({"PRODHUB_TIMEZONE": timezone} if timezone else {})
        log("==> prodhub migrate; the demo data (profile S); a device key")
        cli(state.env, "migrate")
        # seed-demo makes sign-ins with a public password, so it refuses production
        cli(state.env | {"PRODHUB_ENV": "development"}, "seed-demo", "--profile", "S")
        made = cli(state.env, "create-api-key", "--name", "cluster-scanner", "--scope", "INGEST")
        state.api_key = made.split()[-1]
        state.save()
        log("==> a fake Connecteam (the demo's people and today's clock records)")
        start_connecteam(state)
        log("==> web processes, workers, schedulers")
        start_prodhub(state)
        log("==> nginx")
        ports = [m.port for m in state.named("web:")]
        nginx = Nginx(directory / "nginx", free_port(), ports).start()
        state.members.append(Member("nginx", nginx.pid, "nginx", nginx.port))
        state.save()
        wait_ready(state.url)
    except BaseException:
        stop(state)
        raise
    return state


def zone(state: State) -> str:
    """The company's timezone the cluster's processes run with: its days are theirs."""
    name: str = state.env.get("PRODHUB_TIMEZONE", Settings.model_fields["timezone"].default)
    return name


def start_connecteam(state: State) -> None:
    """The fake, on a port of its own; the prodhub processes' settings point at it."""
    data = state.directory / "connecteam.json"
    today = datetime.now(ZoneInfo(zone(state))).date()
    connecteam.prepare(state.env["PRODHUB_DATABASE_URL"], data, today, zone(state))
    port = free_port()
    with (state.directory / "logs" / "connecteam.log").open("ab") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "bench.cluster.connecteam", "--data", str(data),
             "--port", str(port)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            env={"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    member = Member("connecteam", pids.keep(popen), "bench.cluster.connecteam", port)
    state.members.append(member)
    state.env |= connecteam.ENV | {"PRODHUB_CONNECTEAM_BASE_URL": f"http://127.0.0.1:{port}"}
    state.save()
    wait_until(lambda: state.connecteam.state() and pids.alive(member.pid), 30, "Connecteam")


def start_prodhub(state: State) -> None:
    logs = state.directory / "logs"
    for _ in range(WEBS):
        web = serve(state.env, logs)
        port = int(web.url.rpartition(":")[2])
        state.members.append(Member(f"web:{port}", pids.keep(web.process.popen), "prodhub", port))
    for number in range(1, WORKERS + 1):
        name = f"worker-{number}"
        process = Process(name, ["worker", "--threads", "2"], state.env, logs / f"{name}.log")
        state.members.append(Member(name, _pid(process.start()), "prodhub"))
    for number in range(1, SCHEDULERS + 1):
        name = f"scheduler-{number}"
        process = Process(name, ["scheduler"], state.env, logs / f"{name}.log")
        state.members.append(Member(name, _pid(process.start()), "prodhub"))
    state.save()
    for member in state.named("web:"):
        wait_ready(f"http://127.0.0.1:{member.port}", pid=member.pid)


def _pid(process: Process) -> int:
    return pids.keep(process.popen)


def wait_ready(url: str, *, pid: int | None = None, seconds: float = 60) -> None:
    """Until ``url``'s ``/readyz`` answers 200 (the process ``pid``, if given, still runs)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pid is not None and not pids.alive(pid):
            raise RuntimeError(f"the process {pid} behind {url} exited")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url}/readyz did not answer 200 within {seconds} s")


def cli(env: dict[str, str], *args: str) -> str:
    """Run a ``prodhub`` command to its end; its output (an exit code other than 0 raises)."""
    done = subprocess.run(
        [sys.executable, "-m", "prodhub", *args], cwd=ROOT, capture_output=True, timeout=300,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1", **env},
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"prodhub {args[0]}: {done.stdout.decode()}{done.stderr.decode()}")
    return done.stdout.decode()


STOP_ORDER = ("nginx", "web:", "scheduler-", "worker-", "connecteam", "mariadb-replica",
              "mariadb-primary", "redis")  # fmt: skip


def stop(state: State) -> None:
    """Stop every process, in front-to-back order (nginx first, the databases last)."""
    for prefix in STOP_ORDER:
        for member in state.named(prefix):
            # nginx: SIGQUIT, a graceful stop (what its workers took is answered first)
            sig = signal.SIGQUIT if member.name == "nginx" else signal.SIGTERM
            pids.stop(member.pid, member.marker, sig=sig, seconds=60)


def status(state: State) -> list[tuple[str, bool, str]]:
    """Each process: its name, whether it runs, where (its port) or how."""
    return [
        (m.name, pids.alive(m.pid) and m.marker in pids.command_line(m.pid),
         f"127.0.0.1:{m.port}" if m.port else f"pid {m.pid}")
        for m in state.members
    ]  # fmt: skip
