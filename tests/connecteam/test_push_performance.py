"""Push-back: a finalized day's KPIs of mapped employees to Connecteam's performance
indicators; the same again leaves Connecteam the same; a user Connecteam does not know is
reported, not retried; a day not final waits; off unless indicators are configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import delete, select, update

from db import models
from db.engine import Database
from services.jobs import Job
from tasks.registry import Actors
from tests import helpers
from tests.helpers import Backend
from tests.helpers_connecteam import FakeConnecteam, Fault, run, syncing, user

DAY = date(2026, 11, 20)
TICK = "2026-11-20T18:30"
INDICATORS = {"items": 11, "points": 12, "productivity": 13}


@pytest.fixture
def fake() -> FakeConnecteam:
    return FakeConnecteam(users=[user(1), user(2)])  # user 3 is unknown to Connecteam


@pytest.fixture
async def actors(
    backend: Backend, fake: FakeConnecteam
) -> AsyncIterator[tuple[StubBroker, Actors]]:
    async with syncing(
        backend, fake, [models.JobRun], connecteam_performance_indicators=INDICATORS
    ) as running:
        yield running


@pytest.fixture
async def day(db: Database) -> None:
    scored = {
        "1": (120, 150.0, 62.5),
        "2": (80, 90.5, None),
        "3": (10, 10.0, 12.5),
        None: (5, 5.0, 1.0),
    }
    for ct, (items, points, productivity) in scored.items():
        person = await helpers.employee(db, connecteam_user_id=ct)
        await helpers.add(db, helpers.score(person, DAY, items_processed=items,
                                            points_earned=points, productivity=productivity,
                                            is_final=True))  # fmt: skip


async def runs(db: Database) -> list[tuple[Any, ...]]:
    async with db.read_session() as session:
        found = await session.execute(
            select(models.JobRun.tick, models.JobRun.status, models.JobRun.counts,
                   models.JobRun.error).order_by(models.JobRun.id)
        )  # fmt: skip
        return [tuple(r) for r in found]


async def test_kpis_pushed_once_and_again_the_same(
    db: Database, day: None, fake: FakeConnecteam, actors: tuple[StubBroker, Actors]
) -> None:
    broker, declared = actors
    fake.faults = [Fault(429, {"x-ratelimit-reset": "0"})]

    await run(broker, lambda: declared[Job.PUSH_PERFORMANCE].send(DAY.isoformat(), TICK))
    first = dict(fake.performance)
    await run(broker, lambda: declared[Job.PUSH_PERFORMANCE].send(DAY.isoformat(), TICK))  # twice
    await run(
        broker, lambda: declared[Job.PUSH_PERFORMANCE].send(DAY.isoformat(), "2026-11-21T18:30")
    )

    assert first == {(1, "2026-11-20"): {11: 120.0, 12: 150.0, 13: 62.5},
                     (2, "2026-11-20"): {11: 80.0, 12: 90.5}}  # fmt: skip
    assert fake.performance == first
    refused = {
        "3": "Connecteam /users/v1/users/3/performance/2026-11-20 answered 404: User not found"
    }
    assert await runs(db) == [
        (f"{TICK}/2026-11-20", "SUCCEEDED",
         {"users": 2, "records": 5, "refused": refused, "calls": 4, "pages": 2},
         None),  # one 429 retried
        ("2026-11-21T18:30/2026-11-20", "SUCCEEDED",
         {"users": 2, "records": 5, "refused": refused, "calls": 3, "pages": 2},
         None),
    ]  # fmt: skip


async def test_a_day_not_final_waits(
    db: Database, day: None, fake: FakeConnecteam, actors: tuple[StubBroker, Actors]
) -> None:
    broker, declared = actors
    async with db.session() as session, session.begin():
        await session.execute(update(models.DailyScore).values(is_final=False))

    await run(
        broker,
        lambda: declared[Job.PUSH_PERFORMANCE].send_with_options(
            args=(DAY.isoformat(), TICK),
            max_retries=1,  # one retry shows it, not ten
        ),
        fail_fast=False,
    )

    assert fake.performance == {}
    assert await runs(db) == [(f"{TICK}/2026-11-20", "FAILED", {},
                               "NotFinal: 4 scores of 2026-11-20 are not final yet")]  # fmt: skip


async def test_off_without_indicators(
    backend: Backend, db: Database, day: None, fake: FakeConnecteam
) -> None:
    async with syncing(backend, fake, []) as (broker, declared):  # no indicators
        await run(broker, lambda: declared[Job.PUSH_PERFORMANCE].send(DAY.isoformat(), TICK))
        found = await runs(db)
        async with db.session() as session, session.begin():
            await session.execute(delete(models.JobRun))

    assert fake.requests == []
    assert found == [
        (f"{TICK}/2026-11-20", "SUCCEEDED", {"pushed": False, "configured": True}, None)
    ]
