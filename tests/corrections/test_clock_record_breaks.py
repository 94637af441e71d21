"""``correctClockRecord`` with ``breaks``: given, they replace the record's breaks (an empty
list: none); omitted, they stay. Each lies inside its record and none overlaps another; the
change is audited with the breaks before and after, and the day is scored again (breaks are
never idle)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services import finalization
from tests import helpers
from tests.helpers import ADMIN, GraphQLClient, utc

CLOCK = """mutation($input: ClockRecordInput!) {
  correctClockRecord(input: $input) {
    clockRecord { id clockIn clockOut breaks { start end } }
    errors { field code message } } }"""
THURSDAY = date(2026, 11, 19)
SHIFT = {"employeeCode": "B1", "clockIn": "2026-11-19T14:00:00+00:00",  # 08:00-16:00 Chicago
         "clockOut": "2026-11-19T22:00:00+00:00"}  # fmt: skip


def span(start: str, end: str) -> dict[str, str]:
    """A break on Thursday, from ``HH:MM`` to ``HH:MM`` UTC."""
    return {"start": f"2026-11-19T{start}:00+00:00", "end": f"2026-11-19T{end}:00+00:00"}


@pytest.fixture
async def floor(db: Database) -> models.Employee:
    """Worked 14:00-16:00 and 17:00-22:00 UTC on Thursday: one hour with no activity."""
    await helpers.users(db, ADMIN)
    team = await helpers.team(db, timezone="America/Chicago")
    role = await helpers.role(db, expected_per_hour=60)
    person = await helpers.employee(db, code="B1", team_id=team.id)
    await helpers.add(
        db,
        helpers.activity(person, role, utc(2026, 11, 19, 14), 120,
                         window_end=utc(2026, 11, 19, 16), work_date=THURSDAY),
        helpers.activity(person, role, utc(2026, 11, 19, 17), 300,
                         window_end=utc(2026, 11, 19, 22), work_date=THURSDAY),
    )  # fmt: skip
    return person


async def day(db: Database) -> tuple[Any, ...]:
    """Thursday's (clocked, break, available, idle) minutes, finality, and idle periods."""
    async with db.read_session() as session:
        score = (
            await session.execute(
                select(models.DailyScore.clocked_minutes, models.DailyScore.break_minutes,
                       models.DailyScore.available_minutes, models.DailyScore.idle_minutes,
                       models.DailyScore.is_final)
                .where(models.DailyScore.work_date == THURSDAY)
            )
        ).one()  # fmt: skip
        idle = (
            await session.execute(
                select(models.IdlePeriod.start, models.IdlePeriod.end)
                .where(models.IdlePeriod.work_date == THURSDAY)
                .order_by(models.IdlePeriod.start)
            )
        ).all()
    return (*score, [(start.strftime("%H:%M"), end.strftime("%H:%M")) for start, end in idle])


async def counts(db: Database) -> list[int]:
    async with db.read_session() as session:
        return [
            await session.scalar(select(func.count()).select_from(model)) or 0
            for model in (models.AuditLog, models.ClockRecord, models.ClockBreak)
        ]


async def test_breaks_are_replaced_kept_or_cleared_and_the_day_scored_again(
    db: Database, gql: GraphQLClient, floor: models.Employee
) -> None:
    added = (await gql.data(CLOCK, input={**SHIFT, "reason": "no Connecteam here",
                                          "breaks": [span("16:00", "16:30")]}))  # fmt: skip
    record = added["correctClockRecord"]["clockRecord"]
    with_lunch = await day(db)
    kept = await gql.data(CLOCK, input={**SHIFT, "id": record["id"], "reason": "same times"})
    after_kept = await day(db)
    longer = await gql.data(CLOCK, input={**SHIFT, "id": record["id"], "reason": "lunch ran long",
                                          "breaks": [span("16:00", "16:50")]})  # fmt: skip
    after_longer = await day(db)
    cleared = await gql.data(CLOCK, input={**SHIFT, "id": record["id"], "reason": "no lunch",
                                           "breaks": []})  # fmt: skip

    assert added["correctClockRecord"]["errors"] == []
    assert record["breaks"] == [
        {"start": "2026-11-19T16:00:00+00:00", "end": "2026-11-19T16:30:00+00:00"}
    ]
    # 480 clocked, 30 on break, 450 available; 16:30-17:00 has no activity: 30 idle
    assert with_lunch == (480.0, 30.0, 450.0, 30.0, False, [("16:30", "17:00")])
    assert kept["correctClockRecord"]["clockRecord"]["breaks"] == record["breaks"]
    assert after_kept == with_lunch
    # 50 on break leaves a 10-minute gap: under the 15-minute threshold, not idle
    assert after_longer == (480.0, 50.0, 430.0, 0.0, False, [])
    assert longer["correctClockRecord"]["clockRecord"]["breaks"] == [
        {"start": "2026-11-19T16:00:00+00:00", "end": "2026-11-19T16:50:00+00:00"}
    ]
    assert cleared["correctClockRecord"]["clockRecord"]["breaks"] == []
    assert await day(db) == (480.0, 0.0, 480.0, 60.0, False, [("16:00", "17:00")])
    assert await counts(db) == [4, 1, 0]


async def test_a_break_on_a_finalized_day_scores_it_again_and_it_stays_final(
    db: Database, gql: GraphQLClient, floor: models.Employee
) -> None:
    added = await gql.data(CLOCK, input={**SHIFT, "reason": "from the paper sheet"})
    await db.write(
        lambda session: finalization.finalize_day(
            session=session, work_date=THURSDAY, now=helpers.NOW,
            idle_threshold=timedelta(minutes=15), goal=100.0,
        )
    )  # fmt: skip
    final = await day(db)

    await gql.data(CLOCK, input={**SHIFT, "id": added["correctClockRecord"]["clockRecord"]["id"],
                                 "reason": "forgot the lunch break",
                                 "breaks": [span("16:00", "16:45")]})  # fmt: skip

    assert final == (480.0, 0.0, 480.0, 60.0, True, [("16:00", "17:00")])
    assert await day(db) == (480.0, 45.0, 435.0, 15.0, True, [("16:45", "17:00")])


async def test_the_audit_holds_the_breaks_before_and_after(
    db: Database, gql: GraphQLClient, floor: models.Employee
) -> None:
    added = await gql.data(CLOCK, input={**SHIFT, "reason": "paper sheet",
                                         "breaks": [span("16:00", "16:30")]})  # fmt: skip
    record_id = added["correctClockRecord"]["clockRecord"]["id"]
    await gql.data(CLOCK, input={**SHIFT, "id": record_id, "reason": "two breaks",
                                 "breaks": [span("19:00", "19:15"), span("16:00", "16:20")]})  # fmt: skip

    async with db.read_session() as session:
        entries = (
            await session.execute(
                select(models.AuditLog.action, models.AuditLog.before, models.AuditLog.after)
                .order_by(models.AuditLog.id)
            )
        ).all()  # fmt: skip
    lunch = [{"start": "2026-11-19T16:00:00+00:00", "end": "2026-11-19T16:30:00+00:00"}]
    assert [(action, before and before["breaks"], after["breaks"])
            for action, before, after in entries] == [
        ("add", None, lunch),
        ("correct", lunch, [
            {"start": "2026-11-19T16:00:00+00:00", "end": "2026-11-19T16:20:00+00:00"},
            {"start": "2026-11-19T19:00:00+00:00", "end": "2026-11-19T19:15:00+00:00"},
        ]),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("fix", "error"),
    [
        pytest.param(
            {"breaks": [span("16:00", "16:30"), span("13:30", "14:10")]},
            ("breaks[1]", "a break lies inside its record: between clock-in and -out"),
            id="before clock-in",
        ),
        pytest.param(
            {"breaks": [span("21:50", "22:10")]},
            ("breaks[0]", "a break lies inside its record: between clock-in and -out"),
            id="after clock-out",
        ),
        pytest.param(
            {"breaks": [span("16:00", "16:30"), span("18:00", "18:10"), span("16:20", "16:40")]},
            ("breaks[2]", "it overlaps breaks[0]"),
            id="overlapping",
        ),
        pytest.param(
            {"breaks": [span("16:30", "16:00")]},
            ("breaks[0]", "a break ends after it starts"),
            id="backwards",
        ),
        pytest.param(
            {"clockOut": None, "breaks": [span("13:00", "13:30")]},
            ("breaks[0]", "a break lies inside its record: after clock-in"),
            id="open record",
        ),
        pytest.param(
            {"clockOut": "2026-11-19T16:15:00+00:00"},
            ("breaks", "the record's breaks would lie outside it: give them"),
            id="kept breaks outside new times",
        ),
    ],
)
async def test_a_break_outside_its_record_or_overlapping_another_is_refused(
    db: Database,
    gql: GraphQLClient,
    floor: models.Employee,
    fix: dict[str, Any],
    error: tuple[str, str],
) -> None:
    added = await gql.data(CLOCK, input={**SHIFT, "reason": "paper sheet",
                                         "breaks": [span("16:00", "16:30")]})  # fmt: skip
    record = added["correctClockRecord"]["clockRecord"]
    before = (await day(db), await counts(db))

    refused = await gql.data(CLOCK, input={**SHIFT, "id": record["id"], "reason": "wrong", **fix})

    field, message = error
    assert refused["correctClockRecord"] == {
        "clockRecord": None,
        "errors": [{"field": field, "code": "BAD_USER_INPUT", "message": message}],
    }
    assert (
        (await day(db), await counts(db))
        == before
        == (
            (480.0, 30.0, 450.0, 30.0, False, [("16:30", "17:00")]),
            [1, 1, 1],
        )
    )
    async with db.read_session() as session:
        stored = (
            await session.execute(select(models.ClockBreak.start, models.ClockBreak.end))
        ).one()
    assert tuple(stored) == (utc(2026, 11, 19, 16), utc(2026, 11, 19, 16, 30))
