"""What compressing a cached response costs, once, when it is stored: each coding's time and
size at the levels of ``cache.compression`` and at the levels around them, and what an entry's
bodies take in Redis with and without their compressed copies.

``bench.cached_load`` runs it on the leaderboard page it serves, in the same run as the hits;
alone, on a body in a file:

    python -m bench.compression --body page.json [--redis-url redis://...]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import brotli
from redis.asyncio import Redis

from cache import compression, entries

GZIP_LEVELS = (1, 4, 5, 6, 9)
BROTLI_QUALITIES = (1, 3, 4, 5, 6, 11)


def _micros(work: Callable[[], object], runs: int) -> float:
    """The median of ``runs`` timings, in microseconds, after one run to warm up."""
    work()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1e6


def levels(body: bytes, runs: int = 100) -> list[dict[str, Any]]:
    found = []
    for level in GZIP_LEVELS:
        out = zlib.compress(body, level, wbits=16 + zlib.MAX_WBITS)
        work = lambda lv=level: zlib.compress(body, lv, wbits=16 + zlib.MAX_WBITS)  # noqa: E731
        found.append({"coding": "gzip", "level": level, "bytes": len(out),
                      "us": _micros(work, runs)})  # fmt: skip
    for quality in BROTLI_QUALITIES:
        out = brotli.compress(body, quality=quality)
        work = lambda q=quality: brotli.compress(body, quality=q)  # noqa: E731
        found.append({"coding": "br", "level": quality, "bytes": len(out),
                      "us": _micros(work, 5 if quality > 9 else runs)})  # fmt: skip
    return found


async def store_cost(body: bytes, runs: int = 200) -> dict[str, Any]:
    """What storing ``body`` costs now: every coding at the chosen levels, as the cache does
    (``compression.variants``, on the event loop), the median of ``runs``."""
    bodies = entries.Bodies(body, await compression.variants(body))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await compression.variants(body)
        times.append(time.perf_counter() - started)
    return {
        "body_bytes": len(body),
        "br_bytes": len(bodies.encoded["br"]),
        "gzip_bytes": len(bodies.encoded["gzip"]),
        "packed_bytes": len(entries.pack(bodies)),
        "us": statistics.median(times) * 1e6,
    }


async def redis_sizes(redis_url: str, body: bytes) -> dict[str, int]:
    """``MEMORY USAGE`` of a body's key: the body alone (the format before), and packed with
    its codings (now)."""
    bodies = entries.Bodies(body, await compression.variants(body))
    client = Redis.from_url(redis_url)
    try:
        await client.set("prodhub:bench:alone", body)
        await client.set("prodhub:bench:packed", entries.pack(bodies))
        alone = await client.memory_usage("prodhub:bench:alone")
        packed = await client.memory_usage("prodhub:bench:packed")
        await client.delete("prodhub:bench:alone", "prodhub:bench:packed")
    finally:
        await client.aclose()
    return {"alone": int(alone or 0), "packed": int(packed or 0)}


def measure(body: bytes, redis_url: str | None) -> dict[str, Any]:
    return {
        "levels": levels(body),
        "store": asyncio.run(store_cost(body)),
        "redis": asyncio.run(redis_sizes(redis_url, body)) if redis_url else None,
    }


def report(found: dict[str, Any]) -> str:
    store = found["store"]
    chosen = {("gzip", compression.GZIP_LEVEL), ("br", compression.BROTLI_QUALITY)}
    more = store["packed_bytes"] / store["body_bytes"] - 1
    lines = [
        f"Compressing the {store['body_bytes']:,}-byte page once, when it is stored "
        f"(brotli {compression.BROTLI_QUALITY} and gzip {compression.GZIP_LEVEL}): "
        f"{store['us']:,.0f} µs (median); "
        f"br {store['br_bytes']:,} bytes, gzip {store['gzip_bytes']:,}; the bodies packed "
        f"{store['packed_bytes']:,} bytes ({more:+.0%}).",
    ]
    if found["redis"]:
        alone, packed = found["redis"]["alone"], found["redis"]["packed"]
        lines.append(
            f"In Redis (MEMORY USAGE of the body's key): {alone:,} bytes for the body alone "
            f"(the format before), {packed:,} with its codings ({packed / alone - 1:+.0%})."
        )
    lines += ["", "| coding | level | bytes | µs | |", "|---|---:|---:|---:|---|"]
    for row in found["levels"]:
        mark = "chosen" if (row["coding"], row["level"]) in chosen else ""
        lines.append(
            f"| {row['coding']} | {row['level']} | {row['bytes']:,} | {row['us']:,.0f} | {mark} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--body", type=Path, required=True, help="a response body, as sent")
    parser.add_argument("--redis-url")
    args = parser.parse_args()
    print(report(measure(args.body.read_bytes(), args.redis_url)))


if __name__ == "__main__":
    main()
