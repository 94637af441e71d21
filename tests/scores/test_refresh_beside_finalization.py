"""A refresh and a finalization of the same day at once: the refresh asked for while the
finalization's transaction is open runs after it, and leaves the scores it made final final.
(A refresh that read which scores were final before the finalization committed wrote them all
again as not final, and a scan after 18:00 then counted on a day already final.)"""

from __future__ import annotations

import asyncio
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from db import models
from db.engine import Database
from services.finalization import finalize_day
from tests import helpers
from tests.helpers import utc

DAY = date(2026, 11, 20)
NOW = utc(2026, 11, 20, 21)
IDLE = timedelta(minutes=15)


async def waiting_on_a_lock(db: Database) -> None:
    """Until a transaction of the server waits for a row lock another holds (10 s at most)."""
    deadline = time.monotonic() + 10
    query = text("SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_current_waits'")
    while True:
        async with db.read_session() as session:
            if int((await session.execute(query)).one()[1]):
                return
        assert time.monotonic() < deadline, "no transaction waits for a row lock"
        await asyncio.sleep(0.02)


async def test_a_refresh_asked_for_during_a_finalization_leaves_the_day_final(
    db: Database,
) -> None:
    if db.settings.is_sqlite:
        pytest.skip(
            "on SQLite a write transaction holds the one write lock from its BEGIN IMMEDIATE "
            "(db/engine.py): a refresh never overlaps a finalization"
        )
    role = await helpers.role(db, key="pick", points_per_item=1.0, expected_per_hour=60)
    a, b = [await helpers.employee(db, code=code) for code in ("A", "B")]
    await helpers.add(
        db,
        *(helpers.activity(who, role, utc(2026, 11, 20, 14), 30, work_date=DAY) for who in (a, b)),
    )
    await helpers.refresh_days(db, DAY, now=NOW)  # the day's scores, not final yet

    async with db.session() as session, session.begin():
        finalized = await finalize_day(
            session=session, work_date=DAY, now=NOW, idle_threshold=IDLE, goal=100.0
        )
        asked = asyncio.create_task(helpers.refresh_days(db, DAY, now=NOW))
        await waiting_on_a_lock(db)
        assert not asked.done()
    [refreshed] = await asked

    async with db.read_session() as session:
        final = dict(
            (
                await session.execute(
                    select(models.Employee.code, models.DailyScore.is_final).join(
                        models.DailyScore, models.DailyScore.employee_id == models.Employee.id
                    )
                )
            ).all()
        )
    assert finalized.finalized == 2
    assert (refreshed.scores, refreshed.skipped_final) == (0, 2)
    assert final == {"A": True, "B": True}
