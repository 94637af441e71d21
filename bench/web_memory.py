"""``python -m bench.web_memory [--minutes 10] [--variant NAME[=SOURCE][:ENV=VALUE,...]] ...``:
the resident memory of web processes under the soak's traffic, side by side in one run.

One MariaDB primary and its replica (reads go to the replica), Redis, the demo data
(profile S), one ``prodhub worker``; then one ``prodhub serve`` per variant, each driven
directly by its own ``bench.cluster.soak_traffic.SoakTraffic`` (the same mix, at the same
rates), so that every process sees the same traffic at the same time. A variant is a name,
optionally the checkout whose code it runs (``=/work/main``) and environment it adds
(``:MALLOC_ARENA_MAX=2``). Every ``--interval`` seconds it samples each process's VmRSS and
threads; it prints each minute's median and lowest RSS per variant, and their growth from
the end of the warm-up (2 minutes, as ``bench/soak``) to the last minute, in MiB per minute.

Example (the code of another checkout against this one's)::

    python -m bench.web_memory --minutes 10 --variant before=/work/main --variant after
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.cluster.replication import Server, follow, install_primary, install_replica
from bench.cluster.soak_traffic import SoakTraffic
from bench.cluster.topology import cli
from bench.faults.processes import ROOT, Process, Redis, Web, serve, worker
from core.settings import Settings

WARMUP_MINUTES = 2


@dataclass
class Variant:
    name: str
    source: Path = ROOT
    env: dict[str, str] = field(default_factory=dict)
    web: Web | None = None
    samples: list[tuple[float, float, int]] = field(default_factory=list)  # at, MiB, threads

    @staticmethod
    def parse(text: str) -> Variant:
        head, _, extra = text.partition(":")
        name, _, source = head.partition("=")
        env = dict(pair.split("=", 1) for pair in extra.split(",") if pair)
        return Variant(name, Path(source) if source else ROOT, env)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/web_memory")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--interval", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--items", type=int, default=100, help="items scanned per second")
    parser.add_argument("--variant", action="append", default=[], help="NAME[=SOURCE][:ENV=V,..]")
    parser.add_argument("--keep", type=Path, help="where to keep the logs (else removed)")
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still stops what it started
    variants = [Variant.parse(v) for v in options.variant or ["web"]]
    directory = Path(tempfile.mkdtemp(prefix="prodhub-webmem-"))
    stoppable: list[Process | Server | Redis] = []
    try:
        env = start_backends(directory, stoppable)
        api_key = env.pop("api_key")
        for variant in variants:
            variant.web = serve(env | variant.env, directory, source=variant.source)
            stoppable.append(variant.web.process)
        for variant in variants:
            assert variant.web is not None
            variant.web.wait_ready()
        measure(variants, api_key, options.minutes * 60, options.interval, options.items)
    finally:
        for member in reversed(stoppable):
            member.stop()
        if options.keep:
            shutil.copytree(directory, options.keep, dirs_exist_ok=True)
        shutil.rmtree(directory, ignore_errors=True)
    print(report(variants))


def start_backends(directory: Path, stoppable: list[Process | Server | Redis]) -> dict[str, str]:
    """The databases, Redis, the demo data and a worker; the web processes' environment
    (with the device key under ``api_key``, taken out before use)."""
    primary = Server(directory / "primary", server_id=1)
    replica = Server(directory / "replica", server_id=2, replica=True)
    for server, install in ((primary, install_primary), (replica, install_replica)):
        server.directory.mkdir()
        stoppable.append(server)
        install(server)
    redis = Redis(directory / "redis").start()
    stoppable.append(redis)
    follow(replica, primary)
    env = {
        "PRODHUB_ENV": "production",
        "PRODHUB_SECRET_KEY": "web-memory-" + "x" * 40,
        "PRODHUB_DATABASE_URL": primary.url(),
        "PRODHUB_DATABASE_REPLICA_URLS": replica.url(),
        "PRODHUB_REDIS_URL": redis.url(),
    }
    cli(env, "migrate")
    cli(env | {"PRODHUB_ENV": "development"}, "seed-demo", "--profile", "S")
    made = cli(env, "create-api-key", "--name", "web-memory", "--scope", "INGEST")
    stoppable.append(worker(env, directory))
    return env | {"api_key": made.split()[-1]}


def measure(
    variants: list[Variant], api_key: str, seconds: float, interval: float, items: int
) -> None:
    zone = Settings.model_fields["timezone"].default  # the processes' own: none is set
    traffic = [SoakTraffic(v.web.url, api_key, zone, items).start() for v in variants if v.web]
    began = time.monotonic()
    try:
        while (elapsed := time.monotonic() - began) < seconds:
            time.sleep(min(interval, seconds - elapsed))
            at = time.monotonic() - began
            for variant in variants:
                assert variant.web is not None and variant.web.process.popen is not None
                rss, threads = status(variant.web.process.popen.pid)
                variant.samples.append((at, rss, threads))
            print(f"{at:5.0f} s  " + "  ".join(
                f"{v.name} {v.samples[-1][1]:6.1f} MiB ({v.samples[-1][2]} threads)"
                for v in variants), flush=True)  # fmt: skip
    finally:
        for t in traffic:
            t.stop()
    for variant, t in zip(variants, traffic, strict=True):
        failed = [a for a in t.answers if not a.ok]
        print(f"{variant.name}: {len(t.answers)} requests, {len(failed)} failed"
              + (f" (first: {failed[0].outcome})" if failed else ""))  # fmt: skip


def status(pid: int) -> tuple[float, int]:
    """VmRSS (MiB) and the number of threads of the process ``pid``."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["Threads"])


def by_minute(variant: Variant) -> dict[int, tuple[float, float]]:
    """Each minute's median RSS and its lowest (a sign-in's argon2id hash takes 64 MiB for
    a moment: the lowest sample is the process between sign-ins)."""
    minutes: dict[int, list[float]] = {}
    for at, rss, _ in variant.samples:
        minutes.setdefault(max(1, math.ceil(round(at) / 60)), []).append(rss)
    return {m: (statistics.median(v), min(v)) for m, v in sorted(minutes.items())}


def report(variants: list[Variant]) -> str:
    table = {v.name: by_minute(v) for v in variants}
    last = max((max(m) for m in table.values() if m), default=0)
    lines = [
        f"# web process RSS by minute, median / lowest (MiB); {platform.node()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        "| minute | " + " | ".join(table) + " |",
        "|---|" + "---|" * len(table),
    ]
    for minute in range(1, last + 1):
        row = [
            "{:.1f} / {:.1f}".format(*table[n][minute]) if minute in table[n] else "-"
            for n in table
        ]
        lines.append(f"| {minute} | " + " | ".join(row) + " |")
    growth = []
    for name, m in table.items():
        if WARMUP_MINUTES in m and last > WARMUP_MINUTES:
            median = (m[last][0] - m[WARMUP_MINUTES][0]) / (last - WARMUP_MINUTES)
            lowest = (m[last][1] - m[WARMUP_MINUTES][1]) / (last - WARMUP_MINUTES)
            growth.append(f"{name} {median:+.2f} (lowest {lowest:+.2f}) MiB/min")
    lines.append("growth after the warm-up: " + ", ".join(growth))
    lines.append(json.dumps({v.name: v.samples for v in variants}))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
