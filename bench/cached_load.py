"""Cached responses under load: one ``prodhub serve`` process, wrk as the load generator, and
``/healthz`` of the same process measured in the same run. The leaderboard page is asked as
before (no ``Accept-Encoding``: the body as it is) and by clients that take brotli and gzip,
whose hits send the bytes compressed when the entry was stored; what that compressing cost,
and what it adds to an entry, is measured in the same run (``bench.compression``).

    python -m bench.cached_load --url mysql+aiomysql://... --redis-url redis://... \\
        --day 2026-11-20 [--seconds 10] [--connections 8] [--rounds 5]

Each target is warmed (so the cache holds its answer), then loaded for ``--seconds`` by wrk
(one thread: the machine has two cores, one for the server, one for wrk), in ``--rounds``
turns taken in rotation with the other targets'. Writes
``bench/results/cached_load.{md,json}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import uvloop
from redis.asyncio import Redis

from bench import compression, results
from core.settings import Settings
from tests.helpers import ADMIN, LEADERBOARD_PAGE, bearer

# wrk's report as JSON: requests/s and latency percentiles in milliseconds.
REPORT = """
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.3f, "p95_ms": %.3f, '
    .. '"p99_ms": %.3f, "errors": %d, "non_2xx": %d}\\n',
    summary.requests, seconds, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, summary.errors.status))
end
"""


def _port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(
    url: str, redis_url: str, *, access_log: bool, tree: Path | None = None, cache: bool = True
) -> Iterator[str]:
    """A ``prodhub serve`` process (one worker) on a free loopback port: of this checkout, or of
    the source ``tree`` (another commit's worktree, run with this virtualenv)."""
    port = _port()
    env = {**os.environ, "PRODHUB_DATABASE_URL": url, "PRODHUB_REDIS_URL": redis_url}
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    if not cache:
        env["PRODHUB_CACHE_TTL_SECONDS"] = "0"
    log = "--access-log" if access_log else "--no-access-log"
    process = subprocess.Popen(
        [sys.executable, "-m", "prodhub", "serve", "--port", str(port), log],
        env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait()


def wrk(
    url: str, *, seconds: int, connections: int, body: str | None, headers: dict[str, str]
) -> dict[str, Any]:
    lines = [REPORT]
    if body is not None:
        lines.append(f"wrk.method = 'POST'\nwrk.body = {json.dumps(body)}")
    for name, value in headers.items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines))
    try:
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", script.name, url]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        Path(script.name).unlink()
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return found


def run(
    url: str, redis_url: str, day: date, seconds: int, connections: int, rounds: int
) -> dict[str, Any]:
    return {
        "day": day.isoformat(),
        "seconds": seconds,
        "connections": connections,
        "rounds": rounds,
        "runs": {
            "access log off": load(url, redis_url, day, seconds, connections, rounds, log=False),
            "access log on": load(url, redis_url, day, seconds, connections, rounds, log=True),
        },
        "redis_get_rps": uvloop.run(redis_gets(redis_url, seconds, connections)),
        "compression": compression.measure(leaderboard_body(url, redis_url, day), redis_url),
    }


def leaderboard_body(url: str, redis_url: str, day: date) -> bytes:
    """The leaderboard page as the benchmark's hits send it without a coding."""
    token = bearer(ADMIN, now=datetime.now(UTC), secret=Settings().signing_key)
    with server(url, redis_url, access_log=False) as base:
        response = httpx.post(base + "/graphql", content=page_request(day),
                              headers={"Content-Type": "application/json", **token})  # fmt: skip
    assert "errors" not in response.json(), response.text[:300]
    return response.content


def page_request(day: date) -> str:
    return json.dumps(
        {"query": LEADERBOARD_PAGE, "variables": {"first": 50, "day": day.isoformat()}}
    )


async def redis_gets(redis_url: str, seconds: int, in_flight: int) -> float:
    """GETs of a small key per second through redis-py (hiredis, uvloop), ``in_flight`` at a
    time, one command each, and nothing else: the scale of one Redis round trip per request
    on this machine. (Hits do better: those in flight together share one MGET.)"""
    client = Redis.from_url(redis_url)
    await client.set("prodhub:bench:probe", b"x" * 16)
    done = 0
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await client.get("prodhub:bench:probe")
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(in_flight)))
    elapsed = time.perf_counter() - started
    await client.delete("prodhub:bench:probe")
    await client.aclose()
    return done / elapsed


def load(
    url: str, redis_url: str, day: date, seconds: int, connections: int, rounds: int, *, log: bool
) -> dict[str, Any]:
    """Each target for ``seconds`` in all, in ``rounds`` turns taken one after the other
    (the machine's speed drifts within seconds: every target sees the same drift). Requests
    per second are the total's, latencies the median of the turns' percentiles, and a target's
    share of ``/healthz`` the median of its turns' against the ``/healthz`` turn beside them."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (bench/run does)")
    token = bearer(ADMIN, now=datetime.now(UTC), secret=Settings().signing_key)
    json_headers = {"Content-Type": "application/json", **token}
    page = page_request(day)
    tiny = json.dumps({"query": "{ teams { name } }"})
    targets = {
        "leaderboard page": ("/graphql", page, json_headers),
        "leaderboard page, br": ("/graphql", page, {**json_headers, "Accept-Encoding": "br"}),
        "leaderboard page, gzip": ("/graphql", page, {**json_headers, "Accept-Encoding": "gzip"}),
        "tiny query": ("/graphql", tiny, json_headers),
        "/healthz": ("/healthz", None, {}),
    }
    turns: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    sizes = {"/healthz": 15}
    turn = max(1, round(seconds / rounds))
    with server(url, redis_url, access_log=log) as base:
        for name, (_, body, headers) in targets.items():
            if body is None:
                continue
            for _ in range(2):  # a miss, then a hit: the entry is there
                asked = {"Accept-Encoding": "identity", **headers}  # as wrk: none unless set
                response = httpx.post(base + "/graphql", content=body, headers=asked)
                assert "errors" not in response.json(), response.text[:300]
            assert response.headers["x-prodhub-cache"] == "hit", response.headers
            coding = headers.get("Accept-Encoding")
            assert response.headers.get("content-encoding") == coding, response.headers
            sizes[name] = int(response.headers["content-length"])  # on the wire
        for _ in range(rounds):
            for name, (path, body, headers) in targets.items():
                turns[name].append(wrk(base + path, seconds=turn, connections=connections,
                                       body=body, headers=headers))  # fmt: skip
    health = turns["/healthz"]
    found: dict[str, Any] = {}
    for name, measured in turns.items():
        requests = sum(t["requests"] for t in measured)
        found[name] = {
            "bytes": sizes[name],
            "requests": requests,
            "rps": requests / sum(t["seconds"] for t in measured),
            "share": statistics.median(
                t["rps"] / h["rps"] for t, h in zip(measured, health, strict=True)
            ),
            **{
                q: statistics.median(t[q] for t in measured) for q in ("p50_ms", "p95_ms", "p99_ms")
            },
            "errors": sum(t["errors"] + t["non_2xx"] for t in measured),
            "turns": measured,
        }
    return found


def report(result: dict[str, Any]) -> str:
    lines = [
        f"One `prodhub serve` process, wrk with {result['connections']} connections for "
        f"{result['seconds']} s per target in {result['rounds']} turns taken in rotation, "
        "cached responses (Redis) after a warm-up; latencies are the median of the turns'.",
        "",
        "| server | target | bytes sent | requests/s | share of /healthz | p50 ms | p95 ms "
        "| p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for setting, targets in result["runs"].items():
        for name, t in targets.items():
            lines.append(
                f"| {setting} | {name} | {t['bytes']:,} | {t['rps']:,.0f} "
                f"| {t['share']:.0%} "
                f"| {t['p50_ms']:.2f} | {t['p95_ms']:.2f} | {t['p99_ms']:.2f} "
                f"| {t['errors']} |"
            )
    gets = result["redis_get_rps"]
    lines += [
        "",
        f"redis-py alone, GETs of a 16-byte key, {result['connections']} in flight, "
        f"one command each: {gets:,.0f} per second. Hits in flight together share one "
        "MGET (cache/batching.py), so a hit costs less Redis than one such GET.",
        "",
        compression.report(result["compression"]),
    ]
    return "\n".join(lines)


def main() -> None:
    parser = results.arguments(__doc__, redis=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="turns each target takes")
    args = parser.parse_args()
    result = run(args.url, args.redis_url, args.day, args.seconds, args.connections, args.rounds)
    results.keep("cached_load", result, report(result))


if __name__ == "__main__":
    main()
