"""A leaderboard page, uncached: the new path, the old app's query, and the GraphQL floor of
the same response shape, side by side in one run.

    python -m bench.leaderboard --url mysql+aiomysql://... --day 2026-11-20 [--requests 100]

Expects a database seeded with ``prodhub seed-demo --profile L --today <day>`` (``bench/run
--profile L`` does all of it). Writes ``bench/results/leaderboard.{md,json}``.
"""

from __future__ import annotations

import argparse
import asyncio
from datetime import date
from typing import Any

from bench import graphql_floor, old_app, results
from bench.dashboard import NewPath, Series, _machine, server_statements, timed
from tests.helpers import LEADERBOARD_PAGE

PATHS = {
    "new": "new: keyset page + ranks, loaders (response cache off)",
    "old": "old: one query, CTE + correlated subqueries + CONVERT_TZ, no LIMIT",
    "floor": "floor: the same response shape from memory, sync resolvers, no I/O",
}


async def compare(url: str, day: date, requests: int, first: int) -> dict[str, Any]:
    new = NewPath(url)
    params = old_app.connect_params(url)
    variables = {"first": first, "day": day.isoformat()}

    async def new_page(_: int) -> tuple[Any, int]:
        return await new.post(LEADERBOARD_PAGE, variables)

    async def floor(_: int) -> tuple[Any, int]:
        await graphql_floor.execute(graphql_floor.LEADERBOARD_FLOOR)
        return None, 0

    calls = {
        "new": new_page,
        "old": lambda size: old_app.leaderboard(params, day, size),
        "floor": floor,
    }
    try:
        data, _ = await new_page(first)
        old_rows, _ = old_app.leaderboard(params, day, first)
        agree = _agree(data, old_rows)
        for _ in range(5):  # warm-up
            for call in calls.values():
                await timed(call, first)
        server = await server_statements(url, {k: calls[k] for k in ("new", "old")}, first)
        series = {name: Series(name, [], []) for name in PATHS}
        for _ in range(requests):
            for name, call in calls.items():
                ms, (_, n) = await timed(call, first)
                series[name].latencies_ms.append(ms)
                series[name].statements.append(n)
        machine = await _machine(new.db)
    finally:
        await new.close()
    return {
        "day": day.isoformat(),
        "first": first,
        "requests": requests,
        **{name: series[name].summary() for name in PATHS},
        "server": server,
        "agreement": agree,
        "machine": machine,
        "raw": {name: series[name].latencies_ms for name in PATHS},
    }


def _agree(data: dict[str, Any], old_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Both rank the same employees by the day's points (ties may be ordered differently: the
    old query orders by points only)."""
    new_points = [e["node"]["pointsEarned"] for e in data["leaderboard"]["edges"]]
    old_points = [round(float(r["points_earned"] or 0), 2) for r in old_rows]
    if new_points != old_points:
        raise SystemExit("the two paths rank differently: the comparison is meaningless")
    return {"entries": len(new_points), "total": data["leaderboard"]["totalCount"]}


def report(result: dict[str, Any]) -> str:
    m = result["machine"]
    new, old, floor = result["new"], result["old"], result["floor"]
    server = result["server"]
    lines = [
        f"Leaderboard page, `leaderboard(from: {result['day']}, first: {result['first']})` with "
        "employee, team, score and activity breakdown; "
        f"{result['requests']} interleaved requests per path.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}; {m['database']}; "
        f"{m['rows']['employees']} employees, {m['rows']['activities']:,} activities.",
        "",
        "| path | p50 ms | p95 ms | statements MariaDB executed |",
        "|---|---:|---:|---:|",
        f"| {PATHS['new']} | {new['p50_ms']:.1f} | {new['p95_ms']:.1f} "
        f"| {server['new']['Questions']} |",
        f"| {PATHS['old']} | {old['p50_ms']:.1f} | {old['p95_ms']:.1f} "
        f"| {server['old']['Questions']} |",
        f"| {PATHS['floor']} | {floor['p50_ms']:.1f} | {floor['p95_ms']:.1f} | - |",
        f"| **old / new** | **{old['p50_ms'] / new['p50_ms']:.1f}x** "
        f"| **{old['p95_ms'] / new['p95_ms']:.1f}x** | |",
        f"| **new / floor** | **{new['p50_ms'] / floor['p50_ms']:.2f}x** "
        f"| **{new['p95_ms'] / floor['p95_ms']:.2f}x** | |",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--day", type=date.fromisoformat, required=True)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--first", type=int, default=50)
    args = parser.parse_args()
    result = asyncio.run(compare(args.url, args.day, args.requests, args.first))
    results.keep("leaderboard", result, report(result))


if __name__ == "__main__":
    main()
