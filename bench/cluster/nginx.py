"""nginx in front of the web processes, run from ``deploy/nginx/prodhub.conf`` itself: the
site file is copied with its ``/etc/nginx/`` and ``/var/log/nginx/`` paths moved into the
cluster's directory and its ``listen 80`` moved to a loopback port, under a main
``nginx.conf`` of the cluster's own (what Debian's would give it: the http context).

The upstream's servers are a file of their own; ``set_upstream`` rewrites it (marking
processes ``down``) and ``reload`` makes nginx read it, returning once every worker that ran
the old configuration has exited, that is once every request they had taken is answered."""

from __future__ import annotations

import grp
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.cluster import pids
from bench.faults.processes import ROOT, _user, wait_until

SITE = ROOT / "deploy" / "nginx" / "prodhub.conf"
RELOAD_SECONDS = 30.0  # the old workers' in-flight requests: 15 s at most (proxy_read_timeout)


def available() -> bool:
    return shutil.which("nginx") is not None


def render_site(directory: Path, port: int) -> str:
    """The deploy site file with its paths under ``directory`` and listening on ``port``."""
    text = SITE.read_text()
    for old, new in (
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("/etc/nginx/", f"{directory}/"),
        ("/var/log/nginx/", f"{directory}/logs/"),
    ):
        if old not in text:
            raise ValueError(f"{SITE} no longer says {old!r}: update bench/cluster/nginx.py")
        text = text.replace(old, new)
    return text


def upstream(ports: list[int], down: set[int]) -> str:
    """The upstream's servers, as deploy/nginx/prodhub-upstream.conf lists them."""
    return "".join(
        f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s{' down' * (port in down)};\n"
        for port in ports
    )


def main_config(directory: Path) -> str:
    # A throwaway nginx on loopback: its workers run as whoever started it (root included),
    # so that they reach its temporary directories wherever the cluster's directory is.
    user = f"user {_user()} {grp.getgrgid(os.getegid()).gr_name};\n" if os.geteuid() == 0 else ""
    temp = directory / "tmp"
    return f"""{user}worker_processes 2;
pid {directory}/nginx.pid;
error_log {directory}/logs/error.log warn;
worker_shutdown_timeout {RELOAD_SECONDS - 5:.0f}s;
events {{ worker_connections 1024; }}
http {{
    default_type application/octet-stream;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {directory}/prodhub.conf;
}}
"""


@dataclass
class Nginx:
    directory: Path
    port: int
    ports: list[int]  # the web processes'
    pid: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.directory / "nginx.conf"

    @property
    def access_log(self) -> Path:
        return self.directory / "logs" / "prodhub.access.log"

    def write(self) -> None:
        (self.directory / "logs").mkdir(parents=True, exist_ok=True)
        (self.directory / "tmp").mkdir(exist_ok=True)
        self.config.write_text(main_config(self.directory))
        (self.directory / "prodhub.conf").write_text(render_site(self.directory, self.port))
        self.set_upstream(set())

    def set_upstream(self, down: set[int]) -> None:
        (self.directory / "prodhub-upstream.conf").write_text(upstream(self.ports, down))

    def _command(self, *args: str) -> list[str]:
        return ["nginx", "-p", f"{self.directory}/", "-c", str(self.config),
                "-e", str(self.directory / "logs" / "error.log"), *args]  # fmt: skip

    def test(self) -> None:
        done = subprocess.run(self._command("-t"), capture_output=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"nginx -t: {done.stderr.decode()}")

    def start(self) -> Nginx:
        self.write()
        self.test()
        with (self.directory / "logs" / "nginx.out").open("ab") as out:
            popen = subprocess.Popen(
                self._command("-g", "daemon off;"),
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self.pid = pids.keep(popen)
        wait_until(lambda: len(pids.children(self.pid)) == 2, 30, "nginx's workers")
        return self

    def reload(self) -> None:
        """Read the configuration again; return once the old workers are gone."""
        self.test()
        old = pids.children(self.pid)
        os.kill(self.pid, signal.SIGHUP)
        deadline = time.monotonic() + RELOAD_SECONDS
        while time.monotonic() < deadline:
            now = pids.children(self.pid)
            if now and not now & old:
                return
            time.sleep(0.05)
        raise TimeoutError(f"nginx's old workers {old} still run")

    def stop(self) -> None:
        # SIGQUIT: a graceful stop, in-flight requests answered (bounded by the shutdown timeout)
        pids.stop(self.pid, "nginx", sig=signal.SIGQUIT, seconds=RELOAD_SECONDS)
