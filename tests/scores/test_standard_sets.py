"""Every path that writes daily scores names the standard set they were computed with: the
refresh, a rescore of a finalized day, the demo seeder; the same figures are one set,
stamped once."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.engine import Database
from services.demo import load
from services.demo.profiles import Profile
from services.finalization import finalize_day, rescore_day
from tests import helpers
from tests.helpers import utc

DAY = date(2026, 11, 20)
IDLE = timedelta(minutes=15)


async def sets_and_scores(
    db: Database,
) -> tuple[list[tuple[str, object, float]], list[tuple[object, bool]]]:
    async with db.read_session() as session:
        sets = (await session.execute(
            select(models.StandardSet.id, models.StandardSet.created_at,
                   models.StandardSet.idle_threshold_minutes).order_by(models.StandardSet.created_at)
        )).all()  # fmt: skip
        scores = (await session.execute(
            select(models.DailyScore.standard_set_id, models.DailyScore.is_final)
            .order_by(models.DailyScore.employee_id, models.DailyScore.work_date)
        )).all()  # fmt: skip
    return [tuple(s) for s in sets], [tuple(s) for s in scores]  # type: ignore[misc]


async def test_a_refresh_names_its_set_on_every_score_and_stamps_it_once(db: Database) -> None:
    role = await helpers.role(db, key="pick")
    people = [await helpers.employee(db) for _ in range(3)]
    await helpers.add(db, *(helpers.activity(p, role, utc(2026, 11, 20, 15), 9, work_date=DAY)
                            for p in people))  # fmt: skip

    await helpers.refresh_days(db, DAY, now=utc(2026, 11, 20, 16, 0))
    first = await sets_and_scores(db)
    await helpers.refresh_days(db, DAY, now=utc(2026, 11, 20, 16, 5))

    assert await sets_and_scores(db) == first
    [(set_id, stamped, idle)] = first[0]
    assert (stamped, idle) == (utc(2026, 11, 20, 16), 15.0)
    assert first[1] == [(set_id, False)] * 3


async def test_rescoring_a_finalized_day_records_the_standards_it_used_now(db: Database) -> None:
    role = await helpers.role(db, key="pick", expected_per_hour=60)
    person = await helpers.employee(db)
    await helpers.add(db, helpers.activity(person, role, utc(2026, 11, 20, 15), 30, work_date=DAY))
    now = utc(2026, 11, 21)
    await db.write(lambda session: finalize_day(
        session=session, work_date=DAY, now=now, idle_threshold=IDLE, goal=100.0))  # fmt: skip
    finalized = await sets_and_scores(db)

    async def faster_and_rescored(session: AsyncSession) -> object:
        await session.execute(update(models.Role).values(expected_per_hour=120.0))
        return await rescore_day(
            session=session, work_date=DAY, now=now, idle_threshold=IDLE, goal=100.0
        )

    await db.write(faster_and_rescored)
    rescored = await sets_and_scores(db)

    [(old, _, _)] = finalized[0]
    assert finalized[1] == [(old, True)]
    [new] = {set_id for set_id, _, _ in rescored[0]} - {old}  # the faster rate's
    assert rescored[1] == [(new, True)]  # still final, with the set it was rescored with


async def test_the_demo_seeder_records_the_standards_of_every_score(db: Database) -> None:
    today, end = date(2026, 11, 20), utc(2026, 11, 20, 20, 30)
    async with db.session() as session, session.begin():
        await load.seed_demo(
            session=session, profile=Profile("T", employees=8, teams=2, roles=3, days=9),
            seed=3, today=today, now=end, company_timezone="America/Chicago",
            idle_threshold=IDLE,
        )  # fmt: skip

    sets, scores = await sets_and_scores(db)

    assert len(sets) == 1  # its own days, the finalized week and today: the same figures
    assert len(scores) > 30
    assert {set_id for set_id, _ in scores} == {sets[0][0]}
    async with db.read_session() as session:
        unnamed = await session.scalar(
            select(func.count()).select_from(models.DailyScore)
            .where(models.DailyScore.standard_set_id.is_(None))
        )  # fmt: skip
    assert unnamed == 0
