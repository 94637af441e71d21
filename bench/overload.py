"""Overload: one ``prodhub serve`` process (uvloop) offered an uncached dashboard query at 1x,
2x and 4x its measured capacity, with shedding on (the default limits: a queue of 20; and
with a queue of 100) and off (``PRODHUB_MAX_CONCURRENT_REQUESTS=0``), side by side in one run, while
``/healthz`` and ``/metrics`` of the same process are asked in turn, each every 100 ms.

    python -m bench.overload --url mysql+aiomysql://... --redis-url redis://... \\
        --day 2026-11-20 [--seconds 10]

Expects a database seeded with ``prodhub seed-demo --today <day>`` (``bench/run``). The
capacity is the throughput at the knee of a closed-loop sweep (1, 2, 4, ... clients): the
first number of clients whose throughput is within 10 % of the best. The load is open-loop:
requests leave at a fixed rate whatever the answers do, as users' do, so an overloaded server
meets more work than it finishes. A request is ``ok`` (200, no errors), ``shed`` (503
OVERLOADED), or failed (any other answer, or none within ``TIMEOUT`` s). Writes
``bench/results/overload.{md,json}``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import platform
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import uvloop

from bench import results
from bench.faults import processes
from tests.helpers import ADMIN, DASHBOARD, bearer

TIMEOUT = 30.0  # a client's patience
PROBE_EVERY = 0.05
PROBED = ("/healthz", "/metrics")
MULTIPLES = (1, 2, 4)
SWEEP = (1, 2, 4, 8, 16)
# Shedding with the default limits (a queue of 20), with a deep queue, and off.
MODES = {
    "on": {},
    "on, queue 100": {"PRODHUB_MAX_QUEUED_REQUESTS": "100"},
    "off": {"PRODHUB_MAX_CONCURRENT_REQUESTS": "0"},
}


@dataclass
class Cell:
    """One load at one rate against one server: each request's outcome and latency."""

    offered_rps: float
    seconds: float
    outcomes: list[tuple[str, float]] = field(default_factory=list)
    took: float = 0.0  # from the first request sent to the last answer
    probes: dict[str, list[float]] = field(default_factory=dict)  # path: each one's time

    def summary(self) -> dict[str, Any]:
        ok = sorted(latency for outcome, latency in self.outcomes if outcome == "ok")
        total = len(self.outcomes)
        shed = sum(1 for outcome, _ in self.outcomes if outcome == "shed")
        return {
            "offered_rps": round(self.offered_rps, 1),
            "requests": total,
            "ok_rps": round(len(ok) / self.took, 1),
            "ok_p50_ms": _ms(_percentile(ok, 50)),
            "ok_p99_ms": _ms(_percentile(ok, 99)),
            "shed_share": round(shed / total, 3) if total else 0.0,
            "failed_share": round((total - len(ok) - shed) / total, 3) if total else 0.0,
            **{
                f"{path.strip('/')}_{name}_ms": _ms(value)
                for path, took in self.probes.items()
                for name, value in (
                    ("p99", _percentile(sorted(took), 99)),
                    ("max", max(took, default=0.0)),
                )
            },
        }


def _percentile(ordered: list[float], p: int) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _outcome(response: httpx.Response) -> str:
    if response.status_code == 503:
        return "shed"
    if response.status_code != 200 or b'"errors"' in response.content:
        return f"HTTP {response.status_code}"
    return "ok"


class Load:
    def __init__(self, url: str, day: date, first: int) -> None:
        limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
        headers = bearer(ADMIN, now=datetime.now(UTC))
        self.http = httpx.AsyncClient(base_url=url, timeout=TIMEOUT, limits=limits,
                                      headers=headers)  # fmt: skip
        self.url = url
        self.body = {"query": DASHBOARD, "variables": {"first": first, "date": day.isoformat()}}

    async def one(self) -> tuple[str, float]:
        started = time.perf_counter()
        try:
            outcome = _outcome(await self.http.post("/graphql", json=self.body))
        except httpx.HTTPError as error:
            outcome = type(error).__name__
        return outcome, time.perf_counter() - started

    async def closed(self, clients: int, seconds: float) -> float:
        """Answers per second with ``clients`` each sending its next request on an answer."""
        deadline = time.perf_counter() + seconds
        done = 0

        async def client() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                outcome, _ = await self.one()
                done += outcome == "ok"

        await asyncio.gather(*(client() for _ in range(clients)))
        return done / seconds

    async def open(self, rps: float, seconds: float, prober: ProcessPoolExecutor) -> Cell:
        """Requests sent at ``rps`` for ``seconds`` (each waits for its answer on its own),
        and ``/healthz`` and ``/metrics`` asked in turn meanwhile, from a process of its own
        (this one's loop is busy sending: its lag is not the server's)."""
        cell = Cell(rps, seconds)
        loop = asyncio.get_running_loop()
        probing = loop.run_in_executor(prober, probe, self.url, seconds)
        start = loop.time()
        sent: list[asyncio.Task[tuple[str, float]]] = []
        for n in range(int(rps * seconds)):
            await asyncio.sleep(max(0.0, start + n / rps - loop.time()))
            sent.append(asyncio.create_task(self.one()))
        cell.outcomes = list(await asyncio.gather(*sent))
        cell.took = loop.time() - start
        cell.probes = await probing
        return cell

    async def aclose(self) -> None:
        await self.http.aclose()


def probe(url: str, seconds: float) -> dict[str, list[float]]:
    """``/healthz`` and ``/metrics`` in turn, one every ``PROBE_EVERY`` s, for ``seconds``:
    how long each took (``TIMEOUT`` for one not answered within it)."""
    took: dict[str, list[float]] = {path: [] for path in PROBED}
    deadline = time.perf_counter() + seconds
    with httpx.Client(base_url=url, timeout=TIMEOUT) as client:
        for path in itertools.cycle(PROBED):
            if time.perf_counter() >= deadline:
                break
            started = time.perf_counter()
            try:
                client.get(path).raise_for_status()
                took[path].append(time.perf_counter() - started)
            except httpx.HTTPError:
                took[path].append(TIMEOUT)
            time.sleep(PROBE_EVERY)
    return took


async def measure(urls: dict[str, str], day: date, first: int, seconds: float) -> dict[str, Any]:
    loads = {mode: Load(url, day, first) for mode, url in urls.items()}
    prober = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
    try:
        for load in loads.values():  # warm: pools filled, documents parsed
            await load.closed(4, 2)
        sweep = {n: await loads["off"].closed(n, seconds / 2) for n in SWEEP}
        best = max(sweep.values())
        knee = next(n for n in SWEEP if sweep[n] >= 0.9 * best)
        capacity = sweep[knee]
        cells: dict[str, dict[str, Any]] = {}
        for multiple in MULTIPLES:
            for mode, load in loads.items():
                cell = await load.open(capacity * multiple, seconds, prober)
                cells[f"{multiple}x {mode}"] = cell.summary()
                await asyncio.sleep(2)  # the server settles before the next
    finally:
        prober.shutdown()
        for load in loads.values():
            await load.aclose()
    return {
        "sweep_rps": {str(n): round(rps, 1) for n, rps in sweep.items()},
        "knee_clients": knee,
        "capacity_rps": round(capacity, 1),
        "cells": cells,
    }


def report(found: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        f"Overload: one `prodhub serve` (uvloop), an uncached dashboard query ({args.first} "
        f"employees, {args.day}), open-loop load at multiples of its capacity, "
        f"{args.seconds:g} s each; shedding on (defaults: limit = pool size, 20 waiting, 1 s "
        f"wait; and with 100 waiting) and off, side by side. Machine: {found['machine']}.",
        "",
        f"Capacity: {found['capacity_rps']} req/s at the knee ({found['knee_clients']} "
        f"closed-loop clients; sweep {found['sweep_rps']}).",
        "",
        "| load | shedding | offered req/s | ok req/s | ok p50 ms | ok p99 ms | shed | failed "
        "| /healthz p99 ms | /healthz max ms | /metrics p99 ms | /metrics max ms |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, cell in found["cells"].items():
        multiple, mode = name.split(maxsplit=1)
        lines.append(
            f"| {multiple} | {mode} | {cell['offered_rps']} | {cell['ok_rps']} "
            f"| {cell['ok_p50_ms']} | {cell['ok_p99_ms']} | {cell['shed_share']:.1%} "
            f"| {cell['failed_share']:.1%} | {cell['healthz_p99_ms']} | {cell['healthz_max_ms']} "
            f"| {cell['metrics_p99_ms']} | {cell['metrics_max_ms']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = results.arguments(__doc__, redis=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--first", type=int, default=25, help="employees on the dashboard")
    args = parser.parse_args()
    env = {
        "PRODHUB_DATABASE_URL": args.url,
        "PRODHUB_REDIS_URL": args.redis_url,
        "PRODHUB_CACHE_TTL_SECONDS": "0",  # every request executes
    }
    with tempfile.TemporaryDirectory(prefix="prodhub-overload-") as logs:
        webs = {
            mode: processes.serve({**env, **changed}, Path(logs)) for mode, changed in MODES.items()
        }
        try:
            for web in webs.values():
                web.wait_ready()
            urls = {mode: web.url for mode, web in webs.items()}
            found = uvloop.run(measure(urls, args.day, args.first, args.seconds))
        finally:
            for web in webs.values():
                web.process.stop()
    found["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}"
    found["settings"] = {"seconds": args.seconds, "first": args.first, "day": str(args.day)}
    results.keep("overload", found, report(found, args))


if __name__ == "__main__":
    main()
