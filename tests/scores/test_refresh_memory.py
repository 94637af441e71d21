"""A day's refresh holds one employee's activities at a time: memory bounded by the largest
employee's day, not by the whole day's rows, whatever the size of the batches it streams."""

from __future__ import annotations

import weakref
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.engine import Database
from services import score_refresh
from services.flags import ActivitySpan
from services.score_refresh import Refreshed, refresh_day
from services.scores import DayScore, compute_day
from tests import helpers
from tests.helpers import utc

DAY = date(2026, 11, 20)
NOW = utc(2026, 11, 20, 21)


class CountedSpan(ActivitySpan):
    """An ``ActivitySpan`` that knows which of its kind are alive."""

    __slots__ = ("__weakref__",)
    alive: weakref.WeakSet[CountedSpan] = weakref.WeakSet()

    def __init__(self, *fields: Any) -> None:
        super().__init__(*fields)
        CountedSpan.alive.add(self)


@pytest.mark.parametrize("batch", [2, 1000])
async def test_each_employee_is_scored_with_only_their_own_activities_in_memory(
    db: Database, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    role = await helpers.role(db, key="pick", points_per_item=1.0, expected_per_hour=60)
    people = [await helpers.employee(db, code=code) for code in ("A", "B", "C")]
    clocked = models.Employee(code="D", name="D")  # clocked in, no activity
    await helpers.add(db, clocked)
    await helpers.add(
        db,
        models.ClockRecord(employee_id=clocked.id, clock_in=utc(2026, 11, 20, 20), work_date=DAY),
        *(
            helpers.activity(who, role, utc(2026, 11, 20, 9, 10 * n), 5, work_date=DAY)
            for count, who in zip((3, 5, 1), people, strict=True)
            for n in range(count)
        ),
    )
    monkeypatch.setattr(score_refresh, "ActivitySpan", CountedSpan)
    monkeypatch.setattr(score_refresh, "ACTIVITY_BATCH", batch, raising=False)
    held: list[tuple[int, int]] = []

    def counting(*, work: Any, **rest: Any) -> DayScore:
        held.append((len(work), len(CountedSpan.alive)))
        return compute_day(work=work, **rest)

    monkeypatch.setattr(score_refresh, "compute_day", counting)

    async def work(session: AsyncSession) -> Refreshed:
        return await refresh_day(
            session=session,
            work_date=DAY,
            now=NOW,
            idle_threshold=timedelta(minutes=15),
            goal=100.0,
        )

    result = await db.write(work)

    assert result.scores == 4
    # A's 3, B's 5, C's 1, in employee order, each alone in memory; then D, clocked only
    assert held == [(3, 3), (5, 5), (1, 1), (0, 0)]


async def test_the_days_activities_come_in_index_order_without_a_sort(db: Database) -> None:
    """A month of activities (few rows make a table scan cheaper than any index), each
    day's of three employees; the plan reads one day's along the index, in its order."""
    role = await helpers.role(db)
    people = [await helpers.employee(db) for _ in range(3)]
    start = utc(2026, 11, 1, 9)
    await helpers.add(
        db,
        *(
            helpers.activity(who, role, start + timedelta(days=day, minutes=n), 5)
            for day in range(30)
            for who in people
            for n in range(3)
        ),
    )
    if not db.settings.is_sqlite:  # the statistics of the rows just added
        async with db.read_session() as session:
            await session.execute(text("ANALYZE TABLE activities"))
    async with db.read_session() as session:
        sql = str(
            score_refresh.day_activities(DAY).compile(
                session.get_bind(), compile_kwargs={"literal_binds": True}
            )
        )
        if db.settings.is_sqlite:
            plan = [row[3] for row in await session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
            assert plan == [
                "SEARCH activities USING INDEX ix_activities_work_date_employee_id (work_date=?)"
            ]
        else:
            explained = (await session.execute(text(f"EXPLAIN {sql}"))).mappings().one()
            assert (explained["key"], explained["Extra"]) == (
                "ix_activities_work_date_employee_id",
                "Using where",
            )
