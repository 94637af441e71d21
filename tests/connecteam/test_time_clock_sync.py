"""sync_time_clock through a real broker and worker, against the fake Connecteam.

Hand-computed (company zone Chicago, pick at 60 items an hour, so an item is a minute):
- K1 works a night shift, 22:00-06:00 local (04:00-12:00 UTC on the 20th), with a break at
  02:00-02:30 local; an activity at 01:00 local (30 items) was recorded before the shift
  arrived, so it was dated the 20th. The shift makes it the 19th's: clocked 480 minutes,
  break 30, available 450, earned 30, productivity 30 / 450 = 6.67 %.
- K2 clocked in at 08:00 local on the 20th and is still in: at the 10:05 tick, 125 minutes.
- User 3 is nobody here yet: counted, not stored.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import select, update

from db import models
from db.engine import Database
from services import finalization
from services.connecteam import clock_sync
from services.jobs import Job
from tasks.registry import Actors
from tests import helpers
from tests.helpers import Backend, utc
from tests.helpers_connecteam import (
    FakeConnecteam,
    Fault,
    pause,
    run,
    shift,
    syncing,
)

TICK = "2026-11-20T10:05"  # 16:05 UTC
NINETEENTH, TWENTIETH = date(2026, 11, 19), date(2026, 11, 20)

WORKER_TABLES = (
    *helpers.SCORED,
    models.ClockBreak,
    models.ClockRecord,
    models.SyncRun,
    models.JobRun,
)


def night_shift() -> dict[str, Any]:
    return {"userId": 1,
            "shifts": [shift("s-night", utc(2026, 11, 20, 4), utc(2026, 11, 20, 12))],
            "manualBreaks": [pause("b-night", utc(2026, 11, 20, 8), utc(2026, 11, 20, 8, 30))]}  # fmt: skip


def open_shift(end: Any = None) -> dict[str, Any]:
    return {"userId": 2, "shifts": [shift("s-open", utc(2026, 11, 20, 14), end)],
            "manualBreaks": []}  # fmt: skip


@pytest.fixture
def fake() -> FakeConnecteam:
    stranger = {"userId": 3, "shifts": [shift("s-3", utc(2026, 11, 20, 14), None)],
                "manualBreaks": []}  # fmt: skip
    return FakeConnecteam(
        time_clocks=[{"id": 7, "name": "Warehouse", "isArchived": False},
                     {"id": 8, "name": "Old site", "isArchived": True}],
        activities={7: [night_shift(), open_shift(), stranger]},
    )  # fmt: skip


@pytest.fixture
async def actors(
    backend: Backend, fake: FakeConnecteam
) -> AsyncIterator[tuple[StubBroker, Actors]]:
    async with syncing(backend, fake, WORKER_TABLES) as running:
        yield running


@pytest.fixture
async def people(db: Database) -> dict[str, int]:
    role = await helpers.role(db, key="pick", expected_per_hour=60)
    k1 = await helpers.employee(db, code="K1", connecteam_user_id="1")
    k2 = await helpers.employee(db, code="K2", connecteam_user_id="2")
    early = helpers.activity(k1, role, utc(2026, 11, 20, 7), 30, work_date=TWENTIETH)
    await helpers.add(db, early)
    return {"K1": k1.id, "K2": k2.id, "activity": early.id}


async def state(db: Database) -> dict[str, list[Any]]:
    async with db.read_session() as session:
        code = models.Employee.code
        clocks = await session.execute(
            select(models.ClockRecord.external_id, code, models.ClockRecord.clock_in,
                   models.ClockRecord.clock_out, models.ClockRecord.work_date,
                   models.ClockRecord.source)
            .join(models.Employee).order_by(models.ClockRecord.external_id)
        )  # fmt: skip
        breaks = await session.execute(
            select(models.ClockRecord.external_id, models.ClockBreak.start, models.ClockBreak.end)
            .join(models.ClockRecord).order_by(models.ClockBreak.start)
        )  # fmt: skip
        dates = await session.execute(select(models.Activity.work_date))
        scores = await session.execute(
            select(code, models.DailyScore.work_date, models.DailyScore.items_processed,
                   models.DailyScore.clocked_minutes, models.DailyScore.break_minutes,
                   models.DailyScore.available_minutes, models.DailyScore.earned_minutes,
                   models.DailyScore.productivity)
            .join(models.Employee).order_by(models.DailyScore.work_date, code)
        )  # fmt: skip
        return {
            "clocks": [tuple(r) for r in clocks],
            "breaks": [tuple(r) for r in breaks],
            "activity_dates": [d for (d,) in dates],
            "scores": [(*r[:-1], None if r[-1] is None else round(r[-1], 2)) for r in scores],
        }


async def sync_runs(db: Database) -> list[tuple[Any, ...]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.SyncRun.kind, models.SyncRun.status, models.SyncRun.range_start,
                   models.SyncRun.range_end, models.SyncRun.counts, models.SyncRun.error,
                   models.SyncRun.attempts)
            .order_by(models.SyncRun.id)
        )  # fmt: skip
        return [tuple(r) for r in rows]


FIRST_SYNC: dict[str, list[Any]] = {
    "clocks": [
        ("s-night", "K1", utc(2026, 11, 20, 4), utc(2026, 11, 20, 12), NINETEENTH, "connecteam"),
        ("s-open", "K2", utc(2026, 11, 20, 14), None, TWENTIETH, "connecteam"),
    ],
    "breaks": [("s-night", utc(2026, 11, 20, 8), utc(2026, 11, 20, 8, 30))],
    "activity_dates": [NINETEENTH],
    "scores": [
        ("K1", NINETEENTH, 30, 480.0, 30.0, 450.0, 30.0, 6.67),
        ("K2", TWENTIETH, 0, 125.0, 0.0, 125.0, 0.0, 0.0),
    ],
}
NOTHING = {"created": 0, "updated": 0, "deleted": 0, "kept_corrected": 0, "redated": 0,
           "refreshed": []}  # fmt: skip


def counts(**changed: Any) -> dict[str, Any]:
    return (
        {"calls": 2, "pages": 2, "shifts": 3, "unmapped": 1, "orphan_breaks": 0} | NOTHING | changed
    )


async def test_shifts_become_clock_records_and_scores_twice_the_same(
    db: Database, people: dict[str, int], fake: FakeConnecteam, actors: tuple[StubBroker, Actors]
) -> None:
    broker, declared = actors

    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send(TICK))
    first = await state(db)
    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send(TICK))  # delivered twice
    again = await state(db)
    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send("2026-11-20T10:10"))  # next tick

    assert first == FIRST_SYNC
    assert again == first
    assert await state(db) == first
    # the archived time clock is not asked; one request covers yesterday and today
    assert [(path, params.get("startDate"), params.get("endDate")) for path, params in fake.requests] == [
        ("/time-clock/v1/time-clocks", None, None),
        ("/time-clock/v1/time-clocks/7/time-activities", "2026-11-19", "2026-11-20"),
    ] * 2  # fmt: skip
    assert await sync_runs(db) == [
        ("TIME_CLOCK", "SUCCEEDED", NINETEENTH, TWENTIETH,
         counts(created=2, redated=1, refreshed=["2026-11-19", "2026-11-20"]), None, 1),
        ("TIME_CLOCK", "SUCCEEDED", NINETEENTH, TWENTIETH, counts(), None, 1),
    ]  # fmt: skip


async def test_changed_and_deleted_shifts_and_a_correction_that_stays(
    db: Database, people: dict[str, int], fake: FakeConnecteam, actors: tuple[StubBroker, Actors]
) -> None:
    broker, declared = actors
    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send(TICK))
    # In Connecteam: K1's night shift is deleted, K2 clocks out at 10:00 local.
    fake.activities[7] = [open_shift(end=utc(2026, 11, 20, 16)), fake.activities[7][2]]

    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send("2026-11-20T10:10"))
    synced = await state(db)
    # An admin corrects K2's record; Connecteam's later edit does not undo it.
    async with db.session() as session, session.begin():
        await session.execute(
            update(models.ClockRecord).where(models.ClockRecord.external_id == "s-open")
            .values(clock_out=utc(2026, 11, 20, 15), source="correction")
        )  # fmt: skip
    fake.activities[7][0] = open_shift(end=utc(2026, 11, 20, 17))
    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send("2026-11-20T10:15"))

    assert synced == {
        "clocks": [("s-open", "K2", utc(2026, 11, 20, 14), utc(2026, 11, 20, 16), TWENTIETH,
                    "connecteam")],
        "breaks": [],
        "activity_dates": [TWENTIETH],  # no shift holds it now: its local date again
        # not clocked: earned over active time (10 minutes)
        "scores": [("K1", TWENTIETH, 30, 0.0, 0.0, 0.0, 30.0, 300.0),
                   ("K2", TWENTIETH, 0, 120.0, 0.0, 120.0, 0.0, 0.0)],
    }  # fmt: skip
    assert (await state(db))["clocks"] == [
        ("s-open", "K2", utc(2026, 11, 20, 14), utc(2026, 11, 20, 15), TWENTIETH, "correction")
    ]
    runs = [run[4] for run in await sync_runs(db)]
    assert runs[1] == counts(shifts=2, updated=1, deleted=1, redated=1,
                             refreshed=["2026-11-19", "2026-11-20"])  # fmt: skip
    assert runs[2] == counts(shifts=2, kept_corrected=1)


async def test_a_backfill_honours_the_punch_zone_on_the_dst_day(
    db: Database, people: dict[str, int], fake: FakeConnecteam, actors: tuple[StubBroker, Actors]
) -> None:
    broker, declared = actors
    # 00:30 CDT on 2026-11-01 to 08:00 CST: 8.5 hours on a 25-hour day, one work date.
    fake.activities[7] = [{"userId": 1, "shifts": [shift("s-dst", utc(2026, 11, 1, 5, 30),
                                                         utc(2026, 11, 1, 14))],
                           "manualBreaks": []}]  # fmt: skip

    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send(TICK, "2026-11-01", "2026-11-01"))

    found = await state(db)
    assert found["clocks"] == [("s-dst", "K1", utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 14),
                                date(2026, 11, 1), "connecteam")]  # fmt: skip
    assert found["scores"] == [("K1", date(2026, 11, 1), 0, 510.0, 0.0, 510.0, 0.0, 0.0)]


async def test_a_run_that_dies_half_way_leaves_whole_days_and_its_retry_completes_it(
    db: Database,
    people: dict[str, int],
    actors: tuple[StubBroker, Actors],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broker, declared = actors
    real, seen = finalization.rescore_day, []

    async def dies_in_the_twentieths_own_transaction(**kwargs: Any) -> Any:
        # The 19th's transaction refreshes the 20th too (the activity left it); the second
        # refresh of the 20th is in the 20th's own transaction.
        seen.append(kwargs["work_date"])
        if kwargs["work_date"] == TWENTIETH and seen.count(TWENTIETH) == 2:
            raise RuntimeError("worker lost")
        return await real(**kwargs)

    monkeypatch.setattr(clock_sync, "rescore_day", dies_in_the_twentieths_own_transaction)

    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send(TICK), fail_fast=False)

    assert await state(db) == FIRST_SYNC
    ((_, status, _, _, done, error, attempts),) = await sync_runs(db)
    # The first attempt failed ("worker lost"); its retry succeeded. The 19th was whole after
    # the first attempt (the retry found nothing to do there); the 20th was rolled back with
    # the failure and written by the retry.
    assert (status, error, attempts) == ("SUCCEEDED", None, 2)
    assert done == counts(created=1, refreshed=["2026-11-20"])
    async with db.read_session() as session:
        jobs = (await session.execute(select(models.JobRun.tick, models.JobRun.status))).all()
    assert [tuple(j) for j in jobs] == [(TICK, "SUCCEEDED")]  # one per tick: the failure, then done


async def test_rate_limits_errors_and_slow_answers_are_survived(
    db: Database, people: dict[str, int], fake: FakeConnecteam, actors: tuple[StubBroker, Actors]
) -> None:
    broker, declared = actors
    fake.faults = [Fault(429, {"x-ratelimit-limit": "1", "x-ratelimit-remaining": "0",
                               "x-ratelimit-reset": "1"}),
                   Fault(503), Fault(200, delay_seconds=0.3)]  # fmt: skip

    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send(TICK))

    assert await state(db) == FIRST_SYNC
    (run_row,) = await sync_runs(db)
    assert run_row[4]["calls"] == 4  # three tries at the time clocks, one for the activities


async def test_a_refused_run_is_recorded_with_the_reason_and_the_next_tick_starts_clean(
    db: Database, people: dict[str, int], fake: FakeConnecteam, actors: tuple[StubBroker, Actors]
) -> None:
    broker, declared = actors
    fake.faults = [Fault(403)] * 4  # the first delivery and the actor's 3 retries

    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send(TICK), fail_fast=False)
    refused = await state(db)
    broker.flush_all()  # forget the dead letter
    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send("2026-11-20T10:10"))

    assert refused == {"clocks": [], "breaks": [], "activity_dates": [TWENTIETH], "scores": []}
    assert await state(db) == FIRST_SYNC | {"scores": [
        FIRST_SYNC["scores"][0], ("K2", TWENTIETH, 0, 130.0, 0.0, 130.0, 0.0, 0.0),  # at 10:10
    ]}  # fmt: skip
    runs = await sync_runs(db)
    assert [(status, error, attempts) for _, status, _, _, _, error, attempts in runs] == [
        ("FAILED", "Connecteam /time-clock/v1/time-clocks answered 403: planned fault", 4),
        ("SUCCEEDED", None, 1),
    ]


async def test_a_change_to_a_finalized_day_rescores_it_and_it_stays_final(
    db: Database, people: dict[str, int], fake: FakeConnecteam, actors: tuple[StubBroker, Actors]
) -> None:
    """The 19th was finalized at 18:00; at 10:10 the next day a manager lengthens K1's break
    in Connecteam to an hour: available 420 minutes, productivity 30 / 420 = 7.14 %."""
    broker, declared = actors
    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send(TICK))
    async with db.session() as session, session.begin():
        await session.execute(
            update(models.DailyScore).where(models.DailyScore.work_date == NINETEENTH)
            .values(is_final=True)
        )  # fmt: skip
    night = night_shift()
    night["manualBreaks"] = [pause("b-night", utc(2026, 11, 20, 8), utc(2026, 11, 20, 9))]
    fake.activities[7][0] = night

    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send("2026-11-20T10:10"))

    synced = await state(db)
    assert synced["scores"][0] == ("K1", NINETEENTH, 30, 480.0, 60.0, 420.0, 30.0, 7.14)
    async with db.read_session() as session:
        final = await session.scalar(
            select(models.DailyScore.is_final).where(models.DailyScore.work_date == NINETEENTH)
        )
    assert final is True


async def test_a_shift_another_sync_inserted_first_is_found_on_a_second_reading(
    backend: Backend,
    db: Database,
    people: dict[str, int],
    actors: tuple[StubBroker, Actors],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A backfill and the 5-minute tick sync the 20th on two workers: the other one commits
    K2's open shift between this sync's reading and its insert. The unique key refuses the
    insert; the day is read again and the run succeeds, without creating the shift twice."""
    if backend.name == "sqlite":
        pytest.skip("on SQLite a write transaction holds the one write lock from its BEGIN "
                    "IMMEDIATE (db/engine.py): no other sync can commit in between")  # fmt: skip
    broker, declared = actors
    real, raced = clock_sync._stored, list[date]()

    async def other_sync_commits_first(session: Any, day: date, shift_ids: list[str]) -> Any:
        stale = await real(session, day, shift_ids)
        if day == TWENTIETH and not raced:
            raced.append(day)
            other = Database(backend.settings)
            async with other.session() as writer, writer.begin():
                writer.add(models.ClockRecord(
                    employee_id=people["K2"], clock_in=utc(2026, 11, 20, 14), work_date=TWENTIETH,
                    source="connecteam", external_id="s-open",
                ))  # fmt: skip
            await other.dispose()
        return stale

    monkeypatch.setattr(clock_sync, "_stored", other_sync_commits_first)

    await run(broker, lambda: declared[Job.SYNC_TIME_CLOCK].send(TICK))

    assert (await state(db))["clocks"] == FIRST_SYNC["clocks"]
    ((_, status, _, _, done, error, attempts),) = await sync_runs(db)
    assert (status, error, attempts) == ("SUCCEEDED", None, 1)
    assert (done["created"], done["updated"]) == (1, 0)  # the night shift; K2's was there
