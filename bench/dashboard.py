"""Dashboard query, new path vs the old app's pattern, side by side in one run.

    python -m bench.dashboard --url mysql+aiomysql://... --day 2026-11-20 [--requests 200]

Expects a database seeded with ``prodhub seed-demo --profile M --today <day>`` (``bench/run``
does all of it). Prints a Markdown report and writes it, with the raw numbers, to
``bench/results/``.
"""

from __future__ import annotations

import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pymysql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench import old_app, results
from bench.serial_reads import OneConnectionPerRequest, per_request
from core.settings import Settings
from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import build_resources
from prodhub.runtime import tune_gc
from tests.helpers import ADMIN, ServerStatements, StatementCounter, bearer
from tests.helpers import DASHBOARD as QUERY

PATHS = {
    "new": "new: loader batches concurrent, each on a pooled autocommit connection",
    "serial": "alternative: one connection per request, batches one after another",
    "cached": "new, answered from the Redis response cache",
    "old": "old: connection per request, per-employee queries",
}


@dataclass
class Series:
    name: str
    latencies_ms: list[float]
    statements: list[int]

    def summary(self) -> dict[str, float]:
        ordered = sorted(self.latencies_ms)
        return {
            "p50_ms": statistics.median(ordered),
            "p95_ms": ordered[max(0, round(len(ordered) * 0.95) - 1)],
            "mean_ms": statistics.fmean(ordered),
            "statements": statistics.median(self.statements),
            "without_sql": sum(n == 0 for n in self.statements) / len(self.statements),
        }


class NewPath:
    """The app in-process through ASGI; ``redis_url`` None means the response cache is off;
    ``serial`` swaps in the one-connection-per-request read design."""

    def __init__(self, url: str, redis_url: str | None = None, *, serial: bool = False) -> None:
        if redis_url:  # the default TTL: some requests of a long run find an expired entry
            settings = Settings(database_url=url, redis_url=redis_url)
        else:
            settings = Settings(database_url=url, cache_ttl_seconds=0)
        db = OneConnectionPerRequest(settings) if serial else Database(settings)
        self.resources = build_resources(settings, db=db)
        self.db = db
        app = create_app(self.resources)
        self.app = per_request(app) if serial else app
        signed_in = bearer(ADMIN, now=datetime.now(UTC), secret=settings.signing_key)
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://bench", headers=signed_in
        )
        tune_gc()  # what the server's lifespan does; ASGITransport does not run lifespan
        self.counter = StatementCounter(counting=True)
        self.counter.attach(self.db)

    async def post(self, query: str, variables: dict[str, Any]) -> tuple[dict[str, Any], int]:
        """The response's data, and the statements it took."""
        self.counter.statements.clear()
        response = await self.client.post("/graphql", json={"query": query, "variables": variables})
        body = response.json()
        if "errors" in body:
            raise RuntimeError(body["errors"])
        return body["data"], self.counter.count

    async def request(self, day: date, first: int) -> tuple[list[dict[str, Any]], int]:
        data, n = await self.post(QUERY, {"first": first, "date": day.isoformat()})
        return [edge["node"] for edge in data["employees"]["edges"]], n

    async def close(self) -> None:
        await self.client.aclose()
        await self.resources.aclose()
        await self.db.dispose()


def disagreements(new: list[dict[str, Any]], old: list[dict[str, Any]]) -> dict[str, int]:
    """Where the two paths differ. Names, teams, roles, stored scores and clock state must not;
    items and clock records per day may, because the old pattern dates rows with
    ``CONVERT_TZ`` at a fixed offset instead of the stored work date (night shifts, other zones).
    """
    must = [
        (n["name"], n["team"]["name"], n["defaultRole"]["name"],
         round(n["score"]["pointsEarned"], 1) if n["score"] else None, n["isClockedIn"])
        for n in new
    ]  # fmt: skip
    old_must = [
        (o["name"], o["team"], o["role"],
         round(o["points"], 1) if o["points"] is not None else None, o["clocked_in"])
        for o in old
    ]  # fmt: skip
    if must != old_must:
        raise SystemExit("the two paths disagree on stored data: the comparison is meaningless")
    items = sum(
        sum(b["items"] for b in n["activityBreakdown"]) != o["items"]
        for n, o in zip(new, old, strict=True)
    )
    clocks = sum(len(n["clockRecords"]) != o["clocks"] for n, o in zip(new, old, strict=True))
    return {
        "employees": len(new),
        "items_on_wrong_day": items,
        "clock_records_on_wrong_day": clocks,
    }


async def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    """Milliseconds of one call, sync or async."""
    start = time.perf_counter()
    result = fn(*args)
    if asyncio.iscoroutine(result):
        result = await result
    return (time.perf_counter() - start) * 1000, result


async def compare(
    url: str, direct_url: str, redis_url: str, day: date, requests: int, first: int
) -> dict[str, Any]:
    """The paths against one database, interleaved request by request."""
    new, serial, cached = NewPath(url), NewPath(url, serial=True), NewPath(url, redis_url)
    params = old_app.connect_params(url)
    calls = {
        "new": lambda size: new.request(day, size),
        "serial": lambda size: serial.request(day, size),
        "cached": lambda size: cached.request(day, size),
        "old": lambda size: old_app.dashboard(params, day, size),
    }
    try:
        new_rows, _ = await new.request(day, first)
        for other in (serial, cached):
            if (await other.request(day, first))[0] != new_rows:
                raise SystemExit("the paths' responses differ: the comparison is meaningless")
        old_rows, _ = old_app.dashboard(params, day, first)
        wrong = disagreements(new_rows, old_rows)
        for _ in range(5):  # warm-up: pools, caches, parsers
            for call in calls.values():
                await timed(call, first)
        server = await server_statements(direct_url, calls, first)
        series = {name: Series(name, [], []) for name in PATHS}
        for _ in range(requests):  # interleaved, so noise hits all alike
            for name, call in calls.items():
                ms, (_, n) = await timed(call, first)
                series[name].latencies_ms.append(ms)
                series[name].statements.append(n)
        scaling = {}
        for size in (1, 10, 50, 100):
            _, new_n = await new.request(day, size)
            _, old_n = old_app.dashboard(params, day, size)
            scaling[size] = {"new": new_n, "old": old_n}
        machine = await _machine(new.db)
    finally:
        for path in (new, serial, cached):
            await path.close()
    return {
        **{name: series[name].summary() | {"server": server[name]} for name in PATHS},
        "statements_by_page_size": scaling,
        "old_pattern_disagreements": wrong,
        "machine": machine,
        "raw": {k: asdict(v) for k, v in series.items()},
    }


async def server_statements(
    direct_url: str, calls: dict[str, Callable[[int], Any]], first: int
) -> dict[str, dict[str, int]]:
    """What MariaDB itself executes for one request of each path (Questions, by kind)."""
    counter = ServerStatements(direct_url)
    seen = {}
    try:
        for name, call in calls.items():
            counter.start()
            await timed(call, first)
            seen[name] = counter.stop()
    finally:
        counter.close()
    return seen


async def _machine(db: Database) -> dict[str, Any]:
    async with db.engine.connect() as connection:
        version = (await connection.execute(text("SELECT VERSION()"))).scalar_one()
        activities = (
            await connection.execute(text("SELECT COUNT(*) FROM activities"))
        ).scalar_one()
        employees = (await connection.execute(text("SELECT COUNT(*) FROM employees"))).scalar_one()
    cpu = _cpu_model()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "database": f"MariaDB {version}",
        "rows": {"activities": activities, "employees": employees},
    }


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def round_trip_ms(url: str, samples: int = 300) -> float:
    """Median time of ``SELECT 1`` on an open connection: the network's share of a query."""
    connection = pymysql.connect(**old_app.connect_params(url))
    try:
        with connection.cursor() as cursor:
            times = []
            for _ in range(samples):
                start = time.perf_counter()
                cursor.execute("SELECT 1")
                cursor.fetchall()
                times.append((time.perf_counter() - start) * 1000)
    finally:
        connection.close()
    return statistics.median(times)


@contextmanager
def latency(url: str, rtt_ms: float) -> Iterator[str]:
    """``url`` itself for 0, else the URL of a latency proxy in front of its server."""
    if rtt_ms == 0:
        yield url
        return
    parsed = make_url(url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proxy = subprocess.Popen(
        [sys.executable, "-m", "bench.latency_proxy", "--port", str(port),
         "--target", f"{parsed.host}:{parsed.port}", "--rtt-ms", str(rtt_ms)]
    )  # fmt: skip
    try:
        for _ in range(100):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield parsed.set(port=port).render_as_string(hide_password=False)
    finally:
        proxy.terminate()
        proxy.wait()


async def run(
    url: str, redis_url: str, day: date, requests: int, first: int, rtts: list[float]
) -> dict[str, Any]:
    base_rtt = round_trip_ms(url)
    runs = []
    for rtt in rtts:  # the link delays MariaDB and Redis alike: both live on other hosts
        with latency(url, rtt) as target, latency(redis_url, rtt) as redis_target:
            added = round_trip_ms(target) - base_rtt
            result = await compare(target, url, redis_target, day, requests, first)
        runs.append({"configured_rtt_ms": rtt, "added_rtt_ms": added, **result})
    return {"day": day.isoformat(), "first": first, "requests": requests, "runs": runs}


def report(result: dict[str, Any]) -> str:
    first_run = result["runs"][0]
    m = first_run["machine"]
    wrong = first_run["old_pattern_disagreements"]
    lines = [
        f"Dashboard query, `employees(first: {result['first']})` on {result['day']}, "
        f"{result['requests']} interleaved requests per path and network setting.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}; {m['database']}; "
        f"{m['rows']['employees']} employees, {m['rows']['activities']:,} activities.",
        "",
        "| database link | path | p50 ms | p95 ms | mean ms | statements sent | "
        "statements MariaDB executed (of which ROLLBACK) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        link = (
            "loopback"
            if run["configured_rtt_ms"] == 0
            else f"+{run['added_rtt_ms']:.2f} ms RTT (measured)"
        )
        for name, label in PATHS.items():
            p = run[name]
            server = p["server"]
            lines.append(
                f"| {link} | {label} | {p['p50_ms']:.1f} | {p['p95_ms']:.1f} "
                f"| {p['mean_ms']:.1f} | {p['statements']:.0f} "
                f"| {server['Questions']} ({server['Com_rollback']}) |"
            )
        for name in ("new", "serial", "cached"):
            p, old = run[name], run["old"]
            lines.append(
                f"| {link} | **old / {name}** | **{old['p50_ms'] / p['p50_ms']:.1f}x** "
                f"| **{old['p95_ms'] / p['p95_ms']:.1f}x** "
                f"| {old['mean_ms'] / p['mean_ms']:.1f}x | | |"
            )
    lines += [
        "",
        "Requests of the cached path answered without SQL (the rest found an expired entry): "
        + ", ".join(f"{run['cached']['without_sql']:.1%}" for run in result["runs"])
        + ".",
        "",
        f"Correctness: for {wrong['items_on_wrong_day']} of {wrong['employees']} employees the "
        "old pattern's `DATE(CONVERT_TZ(...))` puts items on another day than their stored work "
        f"date (and {wrong['clock_records_on_wrong_day']} clock records): night shifts and teams "
        "outside the fixed offset.",
        "",
        "SQL statements per request by page size:",
        "",
        "| first | new | old |",
        "|---:|---:|---:|",
        *(
            f"| {size} | {n['new']} | {n['old']} |"
            for size, n in first_run["statements_by_page_size"].items()
        ),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = results.arguments(__doc__, redis=True)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--first", type=int, default=50)
    parser.add_argument(
        "--rtt-ms", type=float, nargs="+", default=[0.0, 0.5],
        help="network round trips to model between app and database (0 = loopback)",
    )  # fmt: skip
    args = parser.parse_args()
    result = asyncio.run(
        run(args.url, args.redis_url, args.day, args.requests, args.first, args.rtt_ms)
    )
    results.keep("dashboard", result, report(result))


if __name__ == "__main__":
    main()
