"""Ingestion and the day refresh, new vs the old app's way, side by side in one run.

    python -m bench.jobs --url mysql+aiomysql://... --day 2026-11-20 [--items 10000] [--rounds 3]

Expects a database seeded with ``prodhub seed-demo --today <day>`` (``bench/run --jobs`` does
all of it). ``recordActivities`` goes through the real app (an INGEST key, one call of
``--items`` items); the old way sends a query per item on its own connection. The refresh
recomputes ``--day`` for every employee; the old way loops over employees with a query each.
Statements are counted by MariaDB itself (``Questions``).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete, select, text

from bench import old_app, old_jobs, results
from core.settings import Settings
from db.models import Activity, Employee, Role
from prodhub.app import create_app
from prodhub.resources import build_resources
from prodhub.runtime import tune_gc
from services import api_keys
from services.activities import ActivityIn, record_activities
from services.api_keys import ApiKeyScope
from services.authentication import Viewer
from services.score_refresh import refresh_day
from tests.helpers import ServerStatements

RECORD = (
    "mutation($i: [ActivityInput!]!) { recordActivities(input: $i) { accepted errors { code } } }"
)


Timed = Callable[[], Awaitable[Any]]


async def measure(url: str, prepare: Callable[[], Timed]) -> tuple[float, int, Any]:
    """Time what ``prepare`` returns; building the inputs (the client's work) is not timed."""
    action = prepare()
    server = ServerStatements(url)
    server.start()
    started = time.perf_counter()
    result = await action()
    seconds = time.perf_counter() - started
    questions = server.stop()["Questions"]
    server.close()
    return seconds, questions, result


async def run(url: str, day: date, count: int, rounds: int) -> dict[str, Any]:
    settings = Settings(database_url=url, cache_ttl_seconds=0)
    resources = build_resources(settings)
    db = resources.db
    async with db.session() as session, session.begin():
        key = await api_keys.create_api_key(
            session=session, actor=Viewer(email="bench"), name="bench", scope=ApiKeyScope.INGEST
        )
    async with db.read_session() as session:
        codes = list((await session.scalars(select(Employee.code).where(Employee.active))).all())
        role = (await session.scalars(select(Role.key).order_by(Role.key))).first()
    assert role is not None
    app = create_app(resources)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench",
        headers={"Authorization": f"Bearer {key.secret}"}, timeout=600,
    )  # fmt: skip
    tune_gc()  # what the server's lifespan does; ASGITransport does not run lifespan
    params = old_app.connect_params(url)
    # Ingested items land days after the refreshed day, so that they do not change it; they
    # are deleted before and after, so that every run ingests into the same table.
    start = datetime.combine(day + timedelta(days=3), datetime.min.time(), UTC)
    await _forget_ingested(db)

    now = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)

    def items() -> list[dict[str, Any]]:
        batch = uuid.uuid4().hex[:8]
        return [
            {"employeeCode": codes[n % len(codes)], "roleKey": role, "itemsCount": 7,
             "windowStart": (start + timedelta(seconds=n)).isoformat(),
             "windowEnd": (start + timedelta(seconds=n + 50)).isoformat(),
             "externalRef": f"bench-{batch}-{n}"}
            for n in range(count)
        ]  # fmt: skip

    def new_record() -> Timed:
        body = json.dumps({"query": RECORD, "variables": {"i": items()}})

        async def call() -> int:
            response = await client.post(
                "/graphql", content=body, headers={"content-type": "application/json"}
            )
            return int(response.json()["data"]["recordActivities"]["accepted"])

        return call

    def service_record() -> Timed:
        """The same items straight into the service: what the call costs without GraphQL."""
        batch = [
            ActivityIn(i["employeeCode"], i["roleKey"], i["itemsCount"],
                       datetime.fromisoformat(i["windowStart"]),
                       datetime.fromisoformat(i["windowEnd"]), i["externalRef"])
            for i in items()
        ]  # fmt: skip

        async def call() -> int:
            recorded = await db.write(
                lambda session: record_activities(
                    session=session,
                    items=batch,
                    now=now,
                    company_timezone=settings.timezone,
                    future_tolerance=timedelta(minutes=settings.future_tolerance_minutes),
                )
            )
            return recorded.accepted

        return call

    def old_record() -> Timed:
        batch = items()
        return lambda: asyncio.to_thread(old_jobs.record, params, batch)

    def new_refresh() -> Timed:
        async def call() -> int:
            refreshed = await db.write(
                lambda session: refresh_day(
                    session=session,
                    work_date=day,
                    now=now,
                    idle_threshold=timedelta(minutes=15),
                    goal=100.0,
                )
            )
            return refreshed.scores

        return call

    def old_refresh() -> Timed:
        return lambda: asyncio.to_thread(old_jobs.refresh, params, day, now)

    paths = {"record: new": new_record, "record: service": service_record,
             "record: old": old_record,
             "refresh: new": new_refresh, "refresh: old": old_refresh}  # fmt: skip
    samples: dict[str, list[tuple[float, int]]] = {name: [] for name in paths}
    for prepare in paths.values():  # warm-up, not counted: pools, compiled statements
        await measure(url, prepare)
    for _ in range(rounds):  # interleaved, so noise hits all alike
        for name, prepare in paths.items():
            seconds, questions, _ = await measure(url, prepare)
            samples[name].append((seconds, questions))
    await _forget_ingested(db)
    async with db.read_session() as session:
        employees = len(codes)
        activities = (await session.execute(text("SELECT COUNT(*) FROM activities"))).scalar_one()
    await client.aclose()
    await resources.aclose()
    medians = {
        name: {"seconds": statistics.median(s for s, _ in got),
               "slowest": max(s for s, _ in got),
               "rounds": [s for s, _ in got],
               "statements": statistics.median(q for _, q in got)}
        for name, got in samples.items()
    }  # fmt: skip
    return {"day": day.isoformat(), "items": count, "rounds": rounds, "employees": employees,
            "activities": activities, "paths": medians}  # fmt: skip


async def _forget_ingested(db: Any) -> None:
    async with db.session() as session, session.begin():
        await session.execute(delete(Activity).where(Activity.external_ref.like("bench-%")))


ROWS = {
    "record: new": ("recordActivities", "new: one call, bulk"),
    "record: service": ("recordActivities", "the same, the service alone (no GraphQL)"),
    "record: old": ("recordActivities", "old: a query per item"),
    "refresh: new": ("refresh a day, every employee", "new: set-based"),
    "refresh: old": ("refresh a day, every employee", "old: queries per employee"),
}


def report(result: dict[str, Any]) -> str:
    lines = [
        f"{result['employees']} active employees, {result['activities']:,} activities, "
        f"{result['items']:,} items per call, day {result['day']}; median of "
        f"{result['rounds']} interleaved rounds after a warm-up round.",
        "",
        "| job | path | seconds | rows/s | rows/s, slowest round | statements MariaDB executed |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, (job, path) in ROWS.items():
        measured = result["paths"][name]
        record = name.startswith("record")
        rate = f"{result['items'] / measured['seconds']:,.0f}" if record else ""
        worst = f"{result['items'] / measured['slowest']:,.0f}" if record else ""
        lines.append(
            f"| {job} | {path} | {measured['seconds']:.2f} | {rate} | {worst} "
            f"| {measured['statements']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = results.arguments(__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.day, args.items, args.rounds))
    results.keep("jobs", result, report(result))


if __name__ == "__main__":
    main()
