"""Score jobs through a real broker and worker (the in-process StubBroker): a message twice
gives identical rows and one recorded run; a failing run is recorded and its retry completes
the day; a paused job's ticks are skipped."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import delete, select, update

from db import models
from db.engine import Database
from services import score_refresh
from services.jobs import Job
from tasks.registry import Actors
from tests import helpers
from tests.helpers import Backend, utc

DAY = date(2026, 11, 20)
TICK = "2026-11-20T16:05"  # company time (Chicago): 22:05 UTC


# What the worker writes, through a database of its own the test's cleanup does not watch.
WORKER_TABLES = (
    *helpers.SCORED,
    models.JobRun,
    models.JobControl,
)


@pytest.fixture
async def actors(backend: Backend) -> AsyncIterator[tuple[dramatiq.Broker, Actors]]:
    settings = backend.settings.model_copy(update={"redis_url": None})  # StubBroker
    async with helpers.running_worker(settings) as running:
        yield running
    async with backend.db.session() as session, session.begin():
        for model in WORKER_TABLES:
            await session.execute(delete(model))


async def run(broker: dramatiq.Broker, send: Any) -> None:
    assert isinstance(broker, StubBroker)
    send()
    await asyncio.to_thread(lambda: broker.join("scores", fail_fast=True))


@pytest.fixture
async def day(db: Database) -> None:
    role = await helpers.role(db, key="pick", expected_per_hour=60)
    person = await helpers.employee(db, code="J1")
    await helpers.add(db, helpers.activity(person, role, utc(2026, 11, 20, 15), 30, work_date=DAY))


async def rows(db: Database) -> tuple[list[Any], list[Any]]:
    async with db.read_session() as session:
        scores = (
            await session.execute(
                select(
                    models.DailyScore.items_processed,
                    models.DailyScore.is_final,
                    models.DailyScore.updated_at,
                )
            )
        ).all()
        runs = (
            await session.execute(
                select(
                    models.JobRun.job,
                    models.JobRun.tick,
                    models.JobRun.status,
                    models.JobRun.counts,
                    models.JobRun.error,
                )
            )
        ).all()
    return [tuple(s) for s in scores], [tuple(r) for r in runs]  # fmt: skip


async def test_the_same_message_twice_gives_the_same_rows_and_one_run(
    db: Database, day: None, actors: tuple[dramatiq.Broker, Actors]
) -> None:
    broker, declared = actors

    await run(broker, lambda: declared[Job.REFRESH_SCORES].send(DAY.isoformat(), TICK))
    first = await rows(db)
    await run(broker, lambda: declared[Job.REFRESH_SCORES].send(DAY.isoformat(), TICK))

    assert await rows(db) == first
    scores, runs = first
    assert scores == [(30, False, utc(2026, 11, 20, 22, 5))]  # computed as of the tick, not now
    assert runs == [("refresh_scores", f"{TICK}/2026-11-20", "SUCCEEDED",
                     {"scores": 1, "idle_periods": 0, "skipped_final": 0, "flags_raised": 0,
                      "flags_withdrawn": 0, "rescored_final": 0}, None)]  # fmt: skip


async def test_a_tick_that_says_its_offset_is_that_instant(
    db: Database, day: None, actors: tuple[dramatiq.Broker, Actors]
) -> None:
    """A write's refresh carries a UTC tick; it is not read as company time (22:05 UTC here,
    not 22:05 in Chicago, six hours later)."""
    broker, declared = actors

    await run(
        broker, lambda: declared[Job.REFRESH_SCORES].send(DAY.isoformat(), "2026-11-20T22:05:00Z")
    )

    scores, runs = await rows(db)
    assert scores == [(30, False, utc(2026, 11, 20, 22, 5))]
    assert [r[1] for r in runs] == ["2026-11-20T22:05:00Z/2026-11-20"]


async def test_a_failed_run_is_recorded_and_its_retry_completes_the_day(
    db: Database, day: None, actors: tuple[dramatiq.Broker, Actors], monkeypatch: pytest.MonkeyPatch
) -> None:
    broker, declared = actors
    real, calls = score_refresh.refresh_day, []

    async def dies_once(**kwargs: Any) -> Any:
        done = await real(**kwargs)  # the day is written in the transaction...
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("worker lost its database")  # ...and rolled back
        return done

    monkeypatch.setattr("tasks.scores.refresh_day", dies_once)

    await run(broker, lambda: declared[Job.REFRESH_SCORES].send(DAY.isoformat(), TICK))

    scores, runs = await rows(db)
    assert len(calls) == 2
    assert [s[0] for s in scores] == [30]  # written once, by the retry
    assert [(r[2], r[4]) for r in runs] == [("SUCCEEDED", None)]  # FAILED, then overwritten


async def test_finalize_makes_the_day_final_and_refreshes_leave_it_alone(
    db: Database, day: None, actors: tuple[dramatiq.Broker, Actors]
) -> None:
    broker, declared = actors

    await run(broker, lambda: declared[Job.FINALIZE_DAY].send(DAY.isoformat(), "2026-11-20T18:00"))
    async with db.session() as session, session.begin():
        await session.execute(update(models.Activity).values(items_count=999))
    await run(
        broker, lambda: declared[Job.REFRESH_SCORES].send(DAY.isoformat(), "2026-11-20T18:05")
    )

    scores, runs = await rows(db)
    assert [(s[0], s[1]) for s in scores] == [(30, True)]
    assert [(r[0], r[2]) for r in runs] == [
        ("finalize_day", "SUCCEEDED"),
        ("refresh_scores", "SUCCEEDED"),
    ]
    assert runs[1][3]["skipped_final"] == 1
    # J1's 30 items make a first worked day: a streak row and the FIRST_SHIFT badge
    assert runs[0][3] == {"scores": 1, "finalized": 1, "streaks": 1, "badges": 1}
    async with db.read_session() as session:
        assert (await session.scalars(select(models.Badge.badge))).all() == ["FIRST_SHIFT"]


async def test_a_paused_job_skips_its_ticks(
    db: Database, day: None, actors: tuple[dramatiq.Broker, Actors]
) -> None:
    broker, declared = actors
    await helpers.add(db, models.JobControl(job="refresh_scores", paused=True))

    await run(broker, lambda: declared[Job.REFRESH_SCORES].send(DAY.isoformat(), TICK))

    assert await rows(db) == ([], [])


async def test_the_rollover_flags_forgotten_clock_outs_once(
    db: Database, actors: tuple[dramatiq.Broker, Actors]
) -> None:
    broker, declared = actors
    person = await helpers.employee(db, code="K1")
    forgotten = models.ClockRecord(
        employee_id=person.id, clock_in=utc(2026, 11, 19, 12), work_date=date(2026, 11, 19)
    )
    recent = models.ClockRecord(
        employee_id=person.id, clock_in=utc(2026, 11, 20, 14), work_date=DAY
    )
    await helpers.add(db, forgotten, recent)

    await run(broker, lambda: declared[Job.DAILY_ROLLOVER].send("2026-11-20T00:05"))  # 06:05 UTC
    await run(broker, lambda: declared[Job.DAILY_ROLLOVER].send("2026-11-21T00:05"))  # the next day

    async with db.read_session() as session:
        flags = (
            await session.execute(
                select(models.Flag.rule, models.Flag.subject_key, models.Flag.work_date)
            )
        ).all()
        runs = (await session.execute(select(models.JobRun.tick, models.JobRun.counts))).all()
    # 18 h after 12:00 UTC on the 19th, only the first record is past the 16 h cap; a day later
    # both are, and the first is not flagged twice.
    assert sorted((tuple(f) for f in flags), key=lambda f: str(f[2])) == [  # "clock:10" < "clock:9"
        ("FORGOTTEN_CLOCK_OUT", f"clock:{forgotten.id}", date(2026, 11, 19)),
        ("FORGOTTEN_CLOCK_OUT", f"clock:{recent.id}", DAY),
    ]
    assert sorted(tuple(r) for r in runs) == [
        ("2026-11-20T00:05", {"open_records_past_cap": 1, "flags_raised": 1}),
        ("2026-11-21T00:05", {"open_records_past_cap": 2, "flags_raised": 1}),
    ]


async def test_a_recalculation_scores_a_finalized_day_again_and_it_stays_final(
    db: Database, day: None, actors: tuple[dramatiq.Broker, Actors]
) -> None:
    """After the role's points double, the periodic refresh leaves the final day alone; the
    recalculation (``recalculateScores`` sends ``rescore_final``) scores it again, final."""
    broker, declared = actors
    await run(broker, lambda: declared[Job.FINALIZE_DAY].send(DAY.isoformat(), "2026-11-20T18:00"))
    async with db.session() as session, session.begin():
        await session.execute(update(models.Role).values(points_per_item=2.0))

    async def state() -> tuple[Any, ...]:
        async with db.read_session() as session:
            score = (await session.execute(
                select(models.DailyScore.points_earned, models.DailyScore.is_final)
            )).one()  # fmt: skip
            streak = await session.scalar(select(models.Streak.items_total))
        return (*score, streak)

    assert await state() == (30.0, True, 30)
    await run(
        broker, lambda: declared[Job.REFRESH_SCORES].send(DAY.isoformat(), "2026-11-20T18:05")
    )
    assert await state() == (30.0, True, 30)  # final: the periodic refresh leaves it
    await run(
        broker, lambda: declared[Job.REFRESH_SCORES].send(DAY.isoformat(), "2026-11-20T18:10", True)
    )
    assert await state() == (60.0, True, 30)
    async with db.read_session() as session:
        counts = await session.scalar(
            select(models.JobRun.counts).where(models.JobRun.tick == "2026-11-20T18:10/2026-11-20")
        )
    assert counts == {"scores": 1, "idle_periods": 0, "skipped_final": 0, "flags_raised": 0,
                      "flags_withdrawn": 0, "rescored_final": 1}  # fmt: skip
