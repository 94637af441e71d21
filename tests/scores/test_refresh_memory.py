"""A day's refresh holds one employee's activities at a time: memory bounded by the largest
employee's day, not by the whole day's rows, whatever the size of the batches it streams."""

from __future__ import annotations

import weakref
from datetime import date, timedelta
from typing import Any

import pytest
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
            session=session, work_date=DAY, now=NOW, idle_threshold=timedelta(minutes=15)
        )

    result = await db.write(work)

    assert result.scores == 4
    # A's 3, B's 5, C's 1, in employee order, each alone in memory; then D, clocked only
    assert held == [(3, 3), (5, 5), (1, 1), (0, 0)]
