"""Review flags: each rule on a hand-made day, and a refresh that raises each once, keeps what a
person resolved, and withdraws open flags whose condition is gone."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.engine import Database
from db.models import Role
from services.flags import ActivitySpan, FlagRule, detect, unclocked_work
from services.score_refresh import Refreshed, refresh_day
from tests import helpers
from tests.helpers import utc

DAY = date(2026, 11, 20)
ROLES = {
    1: Role(points_per_item=1.0, expected_per_hour=60.0),
    2: Role(points_per_item=1.0, expected_per_hour=0.0),
}


def span(
    activity_id: int, h: int, m: int, minutes: int, items: int = 10, role: int = 1
) -> ActivitySpan:
    start = utc(2026, 11, 20, h, m)
    return ActivitySpan(activity_id, role, items, start, start + timedelta(minutes=minutes))


def rules(mapped: bool = False, **day: object) -> list[tuple[str, str]]:
    """The flags of a day: ``detect``'s, then ``unclocked_work``'s, as the refresh raises them."""
    arguments = {"employee_id": 7, "work_date": DAY, "activities": [], "shifts": [],
                 "idle_periods": [], "clocked_minutes": 0.0, "roles": ROLES} | day  # fmt: skip
    found = detect(**arguments) + unclocked_work(  # type: ignore[arg-type]
        employee_id=7, work_date=DAY, worked=bool(arguments["activities"]),
        clocked=bool(arguments["shifts"]), mapped=mapped,
    )  # fmt: skip
    return [(f.rule.value, f.subject_key) for f in found]


SHIFT = [(utc(2026, 11, 20, 14), utc(2026, 11, 20, 18))]


def test_an_impossible_rate_is_over_three_times_the_standard() -> None:
    # 60 per hour expected: 180 per hour is still possible, 181 is not; no standard, no flag.
    assert rules(activities=[span(1, 14, 0, 60, items=180)], shifts=SHIFT) == []
    assert rules(activities=[span(1, 14, 0, 60, items=181)], shifts=SHIFT) == [
        ("IMPOSSIBLE_RATE", "activity:1")
    ]
    assert rules(activities=[span(1, 14, 0, 60, items=9999, role=2)], shifts=SHIFT) == []


def test_overlapping_activities_flag_the_later_one() -> None:
    overlapping = [span(1, 14, 0, 30), span(2, 14, 20, 30), span(3, 14, 50, 10)]

    assert rules(activities=overlapping, shifts=SHIFT) == [("OVERLAPPING_ACTIVITY", "activity:2")]


def test_outside_the_clock_means_more_than_five_minutes_outside() -> None:
    five_early = span(1, 13, 55, 30)  # 13:55-14:25: 5 minutes outside
    six_late = span(2, 17, 40, 26)  # 17:40-18:06: 6 minutes outside

    assert rules(activities=[five_early, six_late], shifts=SHIFT) == [
        ("OUTSIDE_CLOCK", "activity:2")
    ]
    assert rules(activities=[six_late], shifts=[]) == []  # no clock records that day: no such flag


def test_long_idle_no_activity_and_activity_without_clock() -> None:
    idle = [
        (utc(2026, 11, 20, 15), utc(2026, 11, 20, 16)),
        (utc(2026, 11, 20, 17), utc(2026, 11, 20, 17, 59)),
    ]

    assert rules(idle_periods=idle, shifts=SHIFT, clocked_minutes=240.0) == [
        ("LONG_IDLE", "idle:7:2026-11-20T15:00:00+00:00"),
        ("NO_ACTIVITY_WHILE_CLOCKED", "day:7:2026-11-20"),
    ]
    assert rules(shifts=SHIFT, clocked_minutes=59.0) == []
    assert rules(activities=[span(1, 9, 0, 10)], mapped=True) == [
        ("ACTIVITY_WITHOUT_CLOCK", "day:7:2026-11-20")
    ]
    assert rules(activities=[span(1, 9, 0, 10)], mapped=False) == []


async def refresh(db: Database) -> Refreshed:
    async def work(session: AsyncSession) -> Refreshed:
        return await refresh_day(
            session=session,
            work_date=DAY,
            now=utc(2026, 11, 21),
            idle_threshold=timedelta(minutes=15),
            goal=100.0,
        )

    return await db.write(work)


async def flags(db: Database) -> list[tuple[str, str, str]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.Flag.rule, models.Flag.subject_key, models.Flag.status).order_by(
                models.Flag.rule
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_refresh_raises_each_flag_once_keeps_resolved_ones_and_withdraws_stale_ones(
    db: Database,
) -> None:
    role = await helpers.role(db, key="pick", expected_per_hour=60)
    person = await helpers.employee(db, code="F1", connecteam_user_id="ct-1")
    fast = helpers.activity(
        person, role, utc(2026, 11, 20, 9), 500, work_date=DAY
    )  # 3,000 per hour
    await helpers.add(db, fast)

    first = await refresh(db)
    again = await refresh(db)
    raised = await flags(db)
    async with db.session() as session, session.begin():
        await session.execute(
            update(models.Flag)
            .where(models.Flag.rule == "ACTIVITY_WITHOUT_CLOCK")
            .values(status="RESOLVED")
        )
        await session.execute(
            update(models.Activity).values(voided_at=utc(2026, 11, 21))
        )  # the fast one was wrong
    fixed = await refresh(db)

    assert raised == [
        ("ACTIVITY_WITHOUT_CLOCK", f"day:{person.id}:2026-11-20", "OPEN"),
        ("IMPOSSIBLE_RATE", f"activity:{fast.id}", "OPEN"),
    ]
    assert (first.flags_raised, again.flags_raised, again.flags_withdrawn) == (2, 0, 0)
    assert (fixed.flags_raised, fixed.flags_withdrawn) == (0, 1)
    assert await flags(db) == [
        ("ACTIVITY_WITHOUT_CLOCK", f"day:{person.id}:2026-11-20", "RESOLVED")
    ]
    assert FlagRule.FORGOTTEN_CLOCK_OUT.value not in {rule for rule, _, _ in raised}
