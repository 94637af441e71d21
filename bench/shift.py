"""A working shift against the response cache: scanners post, the day is refreshed, dashboards
read; the hit ratio per query kind, with precise (tag) invalidation and, in the same run, with
the old global invalidation (every write drops every entry).

    python -m bench.shift --url mysql+aiomysql://... --redis-url redis://... --day 2026-11-20 \\
        [--seconds 30] [--refresh-every 10]

Scanners post ``recordActivities`` at 100 items/s (10 posts of 10 items a second); the day's
scores are refreshed every ``--refresh-every`` seconds (every 5 minutes in production, here
compressed); dashboards read 20 times a second: today's leaderboard, yesterday's, the team
stats of today and last week's analytics. Writes ``bench/results/shift.{md,json}``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select

from bench import results
from cache.responses import ALL
from core.settings import Settings
from db.models import Employee, Role
from prodhub.app import create_app
from prodhub.resources import build_resources
from prodhub.runtime import tune_gc
from services.score_refresh import refresh_day
from tests.helpers import ADMIN, LEADERBOARD_PAGE, bearer

# The board as a wall display shows it: what the day's scores say (refreshed by the job).
BOARD = """
query Board($first: Int!, $day: Date!) {
  leaderboard(from: $day, to: $day, first: $first) {
    totalCount
    edges { node { rank pointsEarned itemsProcessed productivity
                   employee { name team { name } } } }
  }
}
"""
READS: dict[str, tuple[str, Callable[[date], dict[str, Any]]]] = {
    "leaderboard today": (BOARD, lambda day: {"first": 50, "day": day.isoformat()}),
    "leaderboard yesterday": (
        BOARD,
        lambda day: {"first": 50, "day": (day - timedelta(days=1)).isoformat()},
    ),
    # The same page with each employee's live breakdown, which follows every scanner post.
    "leaderboard today with live breakdown": (
        LEADERBOARD_PAGE,
        lambda day: {"first": 50, "day": day.isoformat()},
    ),
    "team stats today": (
        "query($day: Date!) { teamStats(date: $day) { team { name } itemsProcessed productivity"
        " openFlags } }",
        lambda day: {"day": day.isoformat()},
    ),
    "analytics last week": (
        "query($from: Date!, $to: Date!) { analytics(from: $from, to: $to) "
        "{ series { periodStart itemsProcessed productivity } } }",
        lambda day: {"from": (day - timedelta(days=11)).isoformat(),
                     "to": (day - timedelta(days=5)).isoformat()},
    ),
}  # fmt: skip
RECORD = """mutation($items: [ActivityInput!]!) { recordActivities(input: $items) { accepted } }"""


@dataclass
class Tally:
    statuses: Counter[str] = field(default_factory=Counter)
    # Today's leaderboard, not counting the first read after each refresh (which must miss).
    between_refreshes: Counter[str] = field(default_factory=Counter)


async def shift(
    url: str, redis_url: str, day: date, seconds: float, refresh_every: float, *, old: bool
) -> dict[str, Any]:
    settings = Settings(database_url=url, redis_url=redis_url)
    resources = build_resources(settings)
    cache = resources.cache
    assert cache is not None
    stop_old_rule: Callable[[], None] | None = None
    if old:  # the old rule, for comparison: any committed write drops every cached response

        async def drop_everything(tags: frozenset[str]) -> None:
            await cache.invalidate(frozenset({ALL}))

        stop_old_rule = resources.db.add_write_listener(drop_everything)
    app = create_app(resources)
    tune_gc()
    token = bearer(ADMIN, now=datetime.now(UTC), secret=settings.signing_key)
    codes, roles = await _people(resources)
    tallies = {name: Tally() for name in READS}
    refreshed_at: list[float] = []
    first_after_refresh = {"pending": False}
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://shift", headers=token
    ) as http:

        async def scanners() -> int:
            posted, serial, due = 0, itertools.count(), time.monotonic()
            while time.monotonic() < stop:
                items = [_item(day, random.choice(codes), random.choice(roles), next(serial))
                         for _ in range(10)]  # fmt: skip
                body = (
                    await http.post(
                        "/graphql", json={"query": RECORD, "variables": {"items": items}}
                    )
                ).json()
                posted += body["data"]["recordActivities"]["accepted"]
                due += 0.1  # ten posts a second, whatever each took
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            return posted

        async def refresher() -> None:
            while time.monotonic() + refresh_every < stop:
                await asyncio.sleep(refresh_every)
                # In a process of its own, as a worker runs it: its writes reach this
                # process's cache through Redis alone.
                refresh = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "bench.shift", "--refresh-once", "--url", url,
                    "--redis-url", redis_url, "--day", day.isoformat(),
                )  # fmt: skip
                await refresh.wait()
                refreshed_at.append(time.monotonic())
                first_after_refresh["pending"] = True

        async def dashboards() -> None:
            kinds = list(READS)
            while time.monotonic() < stop:
                kind = random.choice(kinds)
                query, variables = READS[kind]
                response = await http.post(
                    "/graphql", json={"query": query, "variables": variables(day)}
                )
                status = response.headers.get("x-prodhub-cache", "none")
                tallies[kind].statuses[status] += 1
                if kind == "leaderboard today":
                    if first_after_refresh["pending"]:
                        first_after_refresh["pending"] = False
                    else:
                        tallies[kind].between_refreshes[status] += 1
                await asyncio.sleep(0.05)

        posted, *_ = await asyncio.gather(scanners(), refresher(), dashboards())
    if stop_old_rule is not None:
        stop_old_rule()
    await resources.aclose()
    return {
        "items_posted": posted,
        "refreshes": len(refreshed_at),
        "reads": {
            kind: {
                "requests": sum(t.statuses.values()),
                "hit_ratio": _ratio(t.statuses),
                "between_refreshes": _ratio(t.between_refreshes) if t.between_refreshes else None,
            }
            for kind, t in tallies.items()
        },
    }


def _ratio(statuses: Counter[str]) -> float:
    total = sum(statuses.values())
    return statuses["hit"] / total if total else 0.0


def _item(day: date, code: str, role: str, serial: int) -> dict[str, Any]:
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=15, seconds=serial)
    end = start + timedelta(minutes=1)
    return {"employeeCode": code, "roleKey": role, "itemsCount": 1,
            "windowStart": start.isoformat(), "windowEnd": end.isoformat(),
            "externalRef": f"shift-{time.time_ns()}-{serial}"}  # fmt: skip


async def _people(resources: Any) -> tuple[list[str], list[str]]:
    async def read(session: Any) -> tuple[Iterable[str], Iterable[str]]:
        codes = (await session.scalars(select(Employee.code).limit(200))).all()
        roles = (await session.scalars(select(Role.key))).all()
        return codes, roles

    codes, roles = await resources.db.read(read)
    return list(codes), list(roles)


async def run(url: str, redis_url: str, day: date, seconds: float, refresh_every: float) -> Any:
    return {
        "day": day.isoformat(),
        "seconds": seconds,
        "refresh_every": refresh_every,
        "tags": await shift(url, redis_url, day, seconds, refresh_every, old=False),
        "global": await shift(url, redis_url, day, seconds, refresh_every, old=True),
    }


def report(result: dict[str, Any]) -> str:
    tags, old = result["tags"], result["global"]
    lines = [
        f"A {result['seconds']:.0f}-second shift per rule: scanners posting 100 items/s "
        f"({tags['items_posted']:,} and {old['items_posted']:,} items stored), the day's scores "
        f"refreshed every {result['refresh_every']:.0f} s ({tags['refreshes']} and "
        f"{old['refreshes']} refreshes), dashboards reading 20 times a second.",
        "",
        "| query kind | requests (tags / global) | hit ratio, invalidation by tags | "
        "hit ratio, every write drops everything (old) |",
        "|---|---:|---:|---:|",
    ]
    for kind in READS:
        new, was = tags["reads"][kind], old["reads"][kind]
        lines.append(
            f"| {kind} | {new['requests']} / {was['requests']} | {new['hit_ratio']:.1%} "
            f"| {was['hit_ratio']:.1%} |"
        )
        if new["between_refreshes"] is not None:
            lines.append(
                f"| {kind}, between refreshes | | {new['between_refreshes']:.1%} "
                f"| {was['between_refreshes'] or 0:.1%} |"
            )
    return "\n".join(lines)


async def refresh_once(url: str, redis_url: str, day: date) -> None:
    """The day's refresh, as the worker's job runs it (its writes bump the cache's tags)."""
    resources = build_resources(Settings(database_url=url, redis_url=redis_url))

    async def refresh(session: Any) -> object:
        return await refresh_day(session=session, work_date=day, now=datetime.now(UTC),
                                 idle_threshold=timedelta(minutes=15), goal=100.0)  # fmt: skip

    await resources.db.write(refresh)
    await resources.aclose()


def main() -> None:
    parser = results.arguments(__doc__, redis=True)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--refresh-every", type=float, default=10)
    parser.add_argument("--refresh-once", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.refresh_once:
        asyncio.run(refresh_once(args.url, args.redis_url, args.day))
        return
    result = asyncio.run(run(args.url, args.redis_url, args.day, args.seconds, args.refresh_every))
    results.keep("shift", result, report(result))


if __name__ == "__main__":
    main()
