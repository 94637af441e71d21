"""A day's scores and idle periods, recomputed for every employee at once, against a
hand-computed day; the same statements for 3 employees or 30; identical rows when run again."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.engine import Database
from services import score_refresh
from services.demo import load
from services.demo.profiles import Profile
from services.finalization import finalize_day, rescore_day
from services.score_refresh import Refreshed, refresh_day
from tests import helpers
from tests.helpers import ServerStatements, StatementCounter, utc

DAY = date(2026, 11, 20)
NOW = utc(2026, 11, 20, 21)
IDLE = timedelta(minutes=15)


async def refresh(db: Database) -> Refreshed:
    async def work(session: AsyncSession) -> Refreshed:
        return await refresh_day(
            session=session, work_date=DAY, now=NOW, idle_threshold=IDLE, goal=100.0
        )

    return await db.write(work)


async def scores(db: Database) -> dict[str, dict[str, Any]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.Employee.code, models.DailyScore).join(
                models.DailyScore, models.DailyScore.employee_id == models.Employee.id
            )
        )
        return {
            code: {k: getattr(s, k) for k in (
                "items_processed", "points_earned", "earned_minutes", "active_minutes",
                "clocked_minutes", "break_minutes", "available_minutes", "idle_minutes",
                "productivity", "utilization", "is_final")}
            for code, s in rows
        }  # fmt: skip


async def idle(db: Database) -> list[tuple[str, Any, Any, float]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.Employee.code, models.IdlePeriod.start, models.IdlePeriod.end,
                   models.IdlePeriod.minutes)
            .join(models.IdlePeriod, models.IdlePeriod.employee_id == models.Employee.id)
            .order_by(models.Employee.code, models.IdlePeriod.start)
        )  # fmt: skip
        return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.fixture
async def day(db: Database) -> None:
    pick = await helpers.role(db, key="pick", points_per_item=1.0, expected_per_hour=60)
    pack = await helpers.role(db, key="pack", points_per_item=2.0, expected_per_hour=30)
    a, b, c, d = [await helpers.employee(db, code=code) for code in ("A", "B", "C", "D")]
    shift = models.ClockRecord(employee_id=a.id, clock_in=utc(2026, 11, 20, 14),
                               clock_out=utc(2026, 11, 20, 22), work_date=DAY)  # fmt: skip
    still_in = models.ClockRecord(employee_id=c.id, clock_in=utc(2026, 11, 20, 20), work_date=DAY)
    await helpers.add(db, shift, still_in)

    def act(
        who: models.Employee,
        role: models.Role,
        h: int,
        m: int,
        minutes: int,
        items: int,
        **more: Any,
    ) -> models.Activity:
        start = utc(2026, 11, 20, h, m)
        end = start + timedelta(minutes=minutes)
        return helpers.activity(who, role, start, items, window_end=end, work_date=DAY, **more)

    await helpers.add(
        db,
        models.ClockBreak(clock_record_id=shift.id, start=utc(2026, 11, 20, 18), end=utc(2026, 11, 20, 18, 30)),
        act(a, pick, 14, 0, 60, 60), act(a, pack, 15, 0, 60, 30),
        act(a, pick, 16, 30, 90, 90), act(a, pick, 18, 30, 60, 30),
        act(b, pick, 10, 0, 30, 30),
        act(d, pick, 10, 0, 30, 30),
        act(a, pick, 21, 0, 30, 999, voided_at=NOW),  # voided: not counted
        helpers.score(d, DAY, items_processed=7, is_final=True),
    )  # fmt: skip


async def test_the_day_matches_the_hand_computed_one(db: Database, day: None) -> None:
    result = await refresh(db)

    assert (result.scores, result.idle_periods, result.skipped_final) == (3, 3, 1)
    assert (result.flags_raised, result.flags_withdrawn) == (3, 0)  # A and C: long idle; C: no work
    assert (result.flags_raised, result.flags_withdrawn) == (3, 0)
    assert await scores(db) == {
        # 8 h clocked, 30 min break: 450 available. Earned 60 + 60 + 90 + 30 = 240 min,
        # active 270 min, idle 16:00-16:30 and 19:30-22:00 (the break is never idle).
        "A": {"items_processed": 210, "points_earned": 240.0, "earned_minutes": 240.0,
              "active_minutes": 270.0, "clocked_minutes": 480.0, "break_minutes": 30.0,
              "available_minutes": 450.0, "idle_minutes": 180.0,
              "productivity": pytest.approx(240 / 450 * 100), "utilization": 60.0, "is_final": False},
        # No clock record: productivity over active time, no utilization.
        "B": {"items_processed": 30, "points_earned": 30.0, "earned_minutes": 30.0,
              "active_minutes": 30.0, "clocked_minutes": 0.0, "break_minutes": 0.0,
              "available_minutes": 0.0, "idle_minutes": 0.0,
              "productivity": 100.0, "utilization": None, "is_final": False},
        # Clocked in at 20:00 and still in at 21:00 (now), no activity: an hour idle.
        "C": {"items_processed": 0, "points_earned": 0.0, "earned_minutes": 0.0,
              "active_minutes": 0.0, "clocked_minutes": 60.0, "break_minutes": 0.0,
              "available_minutes": 60.0, "idle_minutes": 60.0,
              "productivity": 0.0, "utilization": 0.0, "is_final": False},
        # Final: left as it was.
        "D": {"items_processed": 7, "points_earned": 0.0, "earned_minutes": 0.0,
              "active_minutes": 0.0, "clocked_minutes": 0.0, "break_minutes": 0.0,
              "available_minutes": 0.0, "idle_minutes": 0.0,
              "productivity": None, "utilization": None, "is_final": True},
    }  # fmt: skip
    assert await idle(db) == [
        ("A", utc(2026, 11, 20, 16), utc(2026, 11, 20, 16, 30), 30.0),
        ("A", utc(2026, 11, 20, 19, 30), utc(2026, 11, 20, 22), 150.0),
        ("C", utc(2026, 11, 20, 20), utc(2026, 11, 20, 21), 60.0),
    ]


async def test_running_it_again_gives_identical_rows(db: Database, day: None) -> None:
    await refresh(db)
    first = (await scores(db), await idle(db))

    await refresh(db)

    assert (await scores(db), await idle(db)) == first


@pytest.mark.parametrize(("extra", "each"), [(0, 1), (27, 1), (27, 9)])
async def test_the_statements_do_not_grow_with_employees_or_activities(
    db: Database,
    day: None,
    statements: StatementCounter,
    server: ServerStatements | None,
    monkeypatch: pytest.MonkeyPatch,
    extra: int,
    each: int,
) -> None:
    """The activities stream in batches of 4 here: 3 fetches for the fixture's day, 63 for
    27 more employees with 9 activities each; one SELECT all the same."""
    monkeypatch.setattr(score_refresh, "ACTIVITY_BATCH", 4)
    role = await helpers.role(db, key="more")
    people = [models.Employee(code=f"X{n}", name=f"X{n}") for n in range(extra)]
    await helpers.add(db, *people)
    await helpers.add(
        db,
        *(
            helpers.activity(p, role, utc(2026, 11, 20, 9, 5 * n), 5, work_date=DAY)
            for p in people
            for n in range(each)
        ),
    )
    await helpers.warm_reads(db)

    statements.counting = True
    if server is not None:
        server.start()
    result = await refresh(db)
    seen = server.stop() if server is not None else None
    statements.counting = False

    assert result.scores == 3 + extra
    # final scores, activities, clock records, breaks, roles, employees, flags; the
    # standard set's INSERT (nothing inserted when it is there); DELETE + INSERT of scores
    # and of idle periods; INSERT of the new flags; on SQLite the transaction's BEGIN too
    # (db/engine.py begins it)
    assert statements.count == 13 + (1 if db.settings.is_sqlite else 0), statements.statements
    if seen is not None:
        assert (
            seen["Questions"],
            seen["Com_select"],
            seen["Com_commit"],
            seen["Com_rollback"],
            seen["Com_admin_commands"],  # the write pool's pre-ping
        ) == (14, 7, 1, 0, 1)


async def test_a_refresh_agrees_with_the_scores_the_demo_seeder_computed(db: Database) -> None:
    """The seeder scores the days before the last week by its own path (the last week and
    today go through the jobs' code): rescored by the refresh, its oldest day's rows are the
    same, and every seeded day's items and points are the sums of its activities, made here
    from the activity rows and the roles' points."""
    today, end = date(2026, 11, 20), utc(2026, 11, 20, 20, 30)  # mid-shift: open records
    oldest = today - timedelta(days=9)  # 10 days: the 2 oldest are the seeder's own
    async with db.session() as session, session.begin():
        await load.seed_demo(
            session=session, profile=Profile("T", employees=12, teams=3, roles=4, days=10),
            seed=5, today=today, now=end, company_timezone="America/Chicago",
            idle_threshold=IDLE,
        )  # fmt: skip
    seeded, seeded_today = await day_rows(db, oldest), await day_rows(db, today)

    async def work(session: AsyncSession) -> Refreshed:
        return await refresh_day(
            session=session,
            work_date=oldest,
            now=end,
            idle_threshold=IDLE,
            goal=100.0,
            rescore_final=True,
        )

    rescored = await db.write(work)

    assert len(seeded) > 5 and rescored.rescored_final == len(seeded)
    assert await day_rows(db, oldest) == seeded
    assert {row[0]: row[1:3] for row in seeded} == await activity_totals(db, oldest)
    assert {row[0]: row[1:3] for row in seeded_today} == await activity_totals(db, today)


async def activity_totals(db: Database, day: date) -> dict[int, tuple[int, float]]:
    """Each employee's items and points of ``day``, summed here from the activity rows."""
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.Activity.employee_id, models.Activity.items_count,
                   models.Role.points_per_item)
            .join(models.Role, models.Role.id == models.Activity.role_id)
            .where(models.Activity.work_date == day)
        )  # fmt: skip
        totals: dict[int, tuple[int, float]] = {}
        for employee_id, items, points_per_item in rows:
            had_items, had_points = totals.get(employee_id, (0, 0.0))
            totals[employee_id] = (had_items + items, had_points + items * points_per_item)
    return {e: (items, round(points, 6)) for e, (items, points) in totals.items()}


async def day_rows(db: Database, day: date) -> list[tuple[Any, ...]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.DailyScore.employee_id, models.DailyScore.items_processed,
                   models.DailyScore.points_earned, models.DailyScore.available_minutes,
                   models.DailyScore.idle_minutes, models.DailyScore.productivity)
            .where(models.DailyScore.work_date == day)
            .order_by(models.DailyScore.employee_id)
        )  # fmt: skip
        return [tuple(round(v, 6) if isinstance(v, float) else v for v in row) for row in rows]


@pytest.mark.parametrize(("extra", "teams"), [(3, 1), (27, 3)])
async def test_rescoring_a_finalized_day_does_not_grow_with_employees_or_teams(
    db: Database,
    day: None,
    statements: StatementCounter,
    server: ServerStatements | None,
    extra: int,
    teams: int,
) -> None:
    """A correction on a finalized day scores it again and settles what followed from it
    (streaks, badges, the teams' kept reports): the same statements for 7 employees in one
    team as for 31 in three."""
    role = await helpers.role(db, key="more")
    made = [await helpers.team(db, key=f"t{n}", name=f"T{n}") for n in range(teams)]
    people = [
        models.Employee(code=f"X{n}", name=f"X{n}", team_id=made[n % teams].id)
        for n in range(extra)
    ]
    await helpers.add(db, *people)
    await helpers.add(
        db, *(helpers.activity(p, role, utc(2026, 11, 20, 9), 5, work_date=DAY) for p in people)
    )
    await db.write(
        lambda session: finalize_day(
            session=session, work_date=DAY, now=NOW, idle_threshold=IDLE, goal=100.0
        )
    )
    await helpers.warm_reads(db)

    statements.counting = True
    if server is not None:
        server.start()
    result = await db.write(
        lambda session: rescore_day(
            session=session, work_date=DAY, now=NOW, idle_threshold=IDLE, goal=100.0
        )
    )
    seen = server.stop() if server is not None else None
    statements.counting = False

    assert (result.scores, result.rescored_final) == (4 + extra, 4 + extra)
    # the refresh's 13 (above, final scores included); the settle: the streak runs, the
    # day's and the week's workers, DELETE + INSERT of streaks, INSERT of badges; the
    # reports: the day still final, the teams, their four totals, top performers,
    # activities, roles, flags, DELETE + INSERT of the reports; on SQLite the transaction's
    # BEGIN too (db/engine.py begins it)
    assert statements.count == 30 + (1 if db.settings.is_sqlite else 0), statements.statements
    if seen is not None:
        assert (
            seen["Questions"], seen["Com_commit"], seen["Com_rollback"],
            seen["Com_admin_commands"],
        ) == (31, 1, 0, 1)  # fmt: skip
