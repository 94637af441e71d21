"""A leaderboard page, uncached: the new path, the old app's query, and the GraphQL floor of
the same response shape, side by side in one run.

    python -m bench.leaderboard --url mysql+aiomysql://... --day 2026-11-20 [--requests 100]

Expects a database seeded with ``prodhub seed-demo --profile L --today <day>`` (``bench/run
--profile L`` does all of it). Writes ``bench/results/leaderboard.{md,json}``.
"""

from __future__ import annotations

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


async def compare(
    url: str, day: date, requests: int, first: int, paths: list[str]
) -> dict[str, Any]:
    new = NewPath(url)
    params = old_app.connect_params(url)
    variables = {"first": first, "day": day.isoformat()}

    async def new_page(_: int) -> tuple[Any, int]:
        return await new.post(LEADERBOARD_PAGE, variables)

    async def floor(_: int) -> tuple[Any, int]:
        await graphql_floor.execute(graphql_floor.LEADERBOARD_FLOOR)
        return None, 0

    every = {
        "new": new_page,
        "old": lambda size: old_app.leaderboard(params, day, size),
        "floor": floor,
    }
    calls = {name: every[name] for name in paths}
    try:
        data, _ = await new_page(first)
        agree = _agree(data, old_app.leaderboard(params, day, first)[0]) if "old" in paths else {}
        for _ in range(5):  # warm-up
            for call in calls.values():
                await timed(call, first)
        server = await server_statements(
            url, {k: calls[k] for k in ("new", "old") if k in calls}, first
        )
        series = {name: Series(name, [], []) for name in calls}
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
        **{name: series[name].summary() for name in calls},
        "server": server,
        "agreement": agree,
        "machine": machine,
        "raw": {name: series[name].latencies_ms for name in calls},
    }


def _agree(data: dict[str, Any], old_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Both rank the same employees by the day's points (ties may be ordered differently: the
    old query orders by points only). The old query also lists, last, active employees with no
    score that day, at 0 points; a board has only employees with a score (profile S has such
    employees among its 50 first rows, L does not)."""
    new_points = [e["node"]["pointsEarned"] for e in data["leaderboard"]["edges"]]
    old_points = [round(float(r["points_earned"] or 0), 2) for r in old_rows]
    unscored = old_points[len(new_points) :]
    if new_points != old_points[: len(new_points)] or any(unscored):
        raise SystemExit("the two paths rank differently: the comparison is meaningless")
    return {
        "entries": len(new_points),
        "total": data["leaderboard"]["totalCount"],
        "old_rows_without_score": len(unscored),
    }


def report(result: dict[str, Any]) -> str:
    m = result["machine"]
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
    ]
    for name, label in PATHS.items():
        if name in result:
            p = result[name]
            executed = server[name]["Questions"] if name in server else "-"
            lines.append(f"| {label} | {p['p50_ms']:.1f} | {p['p95_ms']:.1f} | {executed} |")
    new = result["new"]
    for other, label in (("old", "old / new"), ("floor", "new / floor")):
        if other in result:
            o = result[other]
            p50, p95 = (
                (o["p50_ms"] / new["p50_ms"], o["p95_ms"] / new["p95_ms"])
                if other == "old"
                else (new["p50_ms"] / o["p50_ms"], new["p95_ms"] / o["p95_ms"])
            )
            lines.append(f"| **{label}** | **{p50:.2f}x** | **{p95:.2f}x** | |")
    return "\n".join(lines)


def main() -> None:
    parser = results.arguments(__doc__)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--first", type=int, default=50)
    parser.add_argument(
        "--paths", nargs="+", choices=list(PATHS), default=list(PATHS),
        help="which paths to run (interleaved); the new path always runs",
    )  # fmt: skip
    args = parser.parse_args()
    paths = ["new", *(p for p in args.paths if p != "new")]
    result = asyncio.run(compare(args.url, args.day, args.requests, args.first, paths))
    results.keep("leaderboard", result, report(result))


if __name__ == "__main__":
    main()
