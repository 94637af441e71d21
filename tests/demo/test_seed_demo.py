"""The demo seeder: deterministic, internally consistent, and safe to re-run."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import redis
from sqlalchemy import func, select

from cache.backends import EPOCH
from db import models
from db.engine import Database
from services.demo import extend, load
from services.demo.profiles import Profile
from tests.helpers import REDIS_URL

TINY = Profile("T", employees=12, teams=3, roles=4, days=3)
# 10 days: the 2 oldest are scored by the seeder's own path, the rest by the jobs' code
LONGER = Profile("T", employees=12, teams=3, roles=4, days=10)
TODAY = date(2026, 11, 20)
BOARD_ON_MONDAY = 39  # employees of profile S who worked on 2026-11-23
END = datetime.combine(TODAY + timedelta(days=1), time(), ZoneInfo("America/Chicago")).astimezone(
    UTC
)


async def _seed(
    db: Database,
    seed: int,
    idle_minutes: int = 15,
    profile: Profile = TINY,
    today: date = TODAY,
    now: datetime = END,
) -> load.SeedCounts:
    async with db.session() as session, session.begin():
        await load.clear_domain_data(session)
        return await load.seed_demo(
            session=session, profile=profile, seed=seed, today=today, now=now,
            company_timezone="America/Chicago", idle_threshold=timedelta(minutes=idle_minutes),
        )  # fmt: skip


async def _fingerprint(db: Database) -> list[tuple[str, int, int]]:
    async with db.session() as session:
        rows = await session.execute(
            select(
                models.Employee.code,
                func.count(models.Activity.id),
                func.sum(models.Activity.items_count),
            )
            .join(models.Activity, models.Activity.employee_id == models.Employee.id)
            .group_by(models.Employee.code)
            .order_by(models.Employee.code)
        )
        return [(code, int(n), int(items)) for code, n, items in rows]


async def test_same_seed_same_data_other_seed_other_data(db: Database) -> None:
    counts = await _seed(db, seed=7)
    first = await _fingerprint(db)
    assert await _seed(db, seed=7) == counts
    again = await _fingerprint(db)
    await _seed(db, seed=8)
    other = await _fingerprint(db)

    assert first == again
    assert first != other
    assert counts.employees == 12 and counts.teams == 3 and counts.roles == 4
    assert counts.activities == sum(n for _, n, _ in first)
    assert counts.daily_scores == counts.clock_records


async def test_scores_agree_with_the_activities_they_summarize(db: Database) -> None:
    await _seed(db, seed=3, profile=LONGER)

    activity_totals = (
        select(
            models.Activity.employee_id,
            models.Activity.work_date,
            func.sum(models.Activity.items_count).label("item_sum"),
            func.sum(models.Activity.items_count * models.Role.points_per_item).label("point_sum"),
        )
        .join(models.Role, models.Role.id == models.Activity.role_id)
        .group_by(models.Activity.employee_id, models.Activity.work_date)
        .subquery()
    )
    async with db.session() as session:
        rows = (
            await session.execute(
                select(
                    models.DailyScore, activity_totals.c.item_sum, activity_totals.c.point_sum
                ).join(
                    activity_totals,
                    (activity_totals.c.employee_id == models.DailyScore.employee_id)
                    & (activity_totals.c.work_date == models.DailyScore.work_date),
                )
            )
        ).all()
        idle_rows = await session.execute(
            select(
                models.IdlePeriod.employee_id,
                models.IdlePeriod.work_date,
                func.sum(models.IdlePeriod.minutes),
            ).group_by(models.IdlePeriod.employee_id, models.IdlePeriod.work_date)
        )
        idle = {(e, d): float(m) for e, d, m in idle_rows}

    own_days = {s.work_date for s, *_ in rows if s.work_date < TODAY - timedelta(days=7)}
    assert own_days == {TODAY - timedelta(days=9), TODAY - timedelta(days=8)}
    for score, item_sum, point_sum in rows:
        assert score.items_processed == item_sum
        assert round(score.points_earned, 6) == round(float(point_sum), 6)
        assert score.is_final is (score.work_date < TODAY)
        assert 0 < score.available_minutes < score.clocked_minutes
        assert score.idle_minutes == idle.get((score.employee_id, score.work_date), 0.0)
    assert sum(idle.values()) > 0


async def test_the_idle_threshold_decides_which_gaps_are_idle(db: Database) -> None:
    usual = await _seed(db, seed=3, idle_minutes=15)
    lenient = await _seed(db, seed=3, idle_minutes=40)  # gaps of 10-30 minutes no longer count

    assert usual.activities == lenient.activities
    assert (usual.idle_periods, lenient.idle_periods) == (25, 10)  # each employee-day its own RNG


def test_cli_seeds_once_and_refuses_to_overwrite(tmp_path: Path) -> None:
    env = {**os.environ, "PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"}
    env |= {"PRODHUB_REDIS_URL": REDIS_URL} if REDIS_URL else {}
    generations = [cache_generation()]

    def seed(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "prodhub", "seed-demo", "--today", "2026-11-20", *args],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip

    first = seed("--profile", "S")
    generations.append(cache_generation())
    skipped = seed("--profile", "S", "--if-empty")
    refused = seed("--profile", "S")
    generations.append(cache_generation())
    replaced = seed("--profile", "S", "--replace", "--seed", "42")
    generations.append(cache_generation())
    bad = seed("--profile", "XL")

    assert first.returncode == 0, first.stderr
    assert (
        "demo sign-ins (password 'demo-password'): "
        "admin@demo.example, manager@demo.example, employee@demo.example"
    ) in first.stdout
    assert "demo sign-ins" in replaced.stdout  # replaced, not duplicated
    assert (
        "employees=50" in first.stdout and "teams=5" in first.stdout and "roles=6" in first.stdout
    )
    assert (skipped.returncode, skipped.stdout.strip()) == (
        0,
        "database already has data; not seeding",
    )
    assert refused.returncode == 1
    assert "use --replace" in refused.stderr
    assert replaced.returncode == 0
    assert replaced.stdout.splitlines()[-1] == first.stdout.splitlines()[-1]
    assert bad.returncode == 2
    if REDIS_URL:  # servers sharing Redis drop their cached responses after each real seeding
        base = generations[0]
        assert generations == [base, base + 1, base + 1, base + 2]


def cache_generation() -> int:
    if REDIS_URL is None:
        return 0
    client = redis.Redis.from_url(REDIS_URL)
    try:
        return int(client.get(EPOCH) or 0)
    finally:
        client.close()


def test_cli_refuses_demo_data_in_production(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'prod.db'}",
        "PRODHUB_ENV": "production",
        "PRODHUB_SECRET_KEY": "a production secret of at least 32 bytes",
    }

    result = subprocess.run(
        [sys.executable, "-m", "prodhub", "seed-demo"], env=env, capture_output=True, text=True
    )

    assert (result.returncode, result.stderr) == (
        2,
        "seed-demo makes sign-ins with a public password: not in production\n",
    )
    assert not (tmp_path / "prod.db").exists()


async def test_finalized_days_come_with_their_streaks_and_badges(db: Database) -> None:
    """The seeder settles each finalized day as finalize_day does; the streaks agree with a
    count made here from the daily scores themselves."""
    await _seed(db, seed=7)

    async with db.read_session() as session:
        scores = (
            await session.execute(
                select(models.DailyScore.employee_id, models.DailyScore.work_date,
                       models.DailyScore.productivity, models.DailyScore.clocked_minutes,
                       models.DailyScore.items_processed)
                .where(models.DailyScore.is_final.is_(True))
                .order_by(models.DailyScore.employee_id, models.DailyScore.work_date)
            )
        ).all()  # fmt: skip
        streaks = {
            row.employee_id: (row.current, row.longest)
            for row in (await session.scalars(select(models.Streak))).all()
        }
        first_shifts = set(
            (
                await session.scalars(
                    select(models.Badge.employee_id).where(models.Badge.badge == "FIRST_SHIFT")
                )
            ).all()
        )

    expected: dict[int, tuple[int, int]] = {}
    worked: set[int] = set()
    for employee_id, _, productivity, clocked, items in scores:
        current, longest = expected.get(employee_id, (0, 0))
        if clocked > 0 or items > 0:
            worked.add(employee_id)
            current = current + 1 if (productivity or 0) >= 100 else 0
        expected[employee_id] = (current, max(longest, current))
    assert streaks == expected
    assert first_shifts == worked
    assert len(worked) > 0


async def test_worked_days_have_their_schedule_and_finalized_days_their_reports(
    db: Database,
) -> None:
    counts = await _seed(db, seed=7)

    async with db.read_session() as session:
        shifts = await session.execute(
            select(models.ScheduledShift.employee_id, models.ScheduledShift.work_date,
                   models.ScheduledShift.start, models.ScheduledShift.end)
        )  # fmt: skip
        clocks = await session.execute(
            select(models.ClockRecord.employee_id, models.ClockRecord.work_date,
                   models.ClockRecord.clock_in)
        )  # fmt: skip
        reports = await session.execute(
            select(models.DailyReport.work_date, func.count()).group_by(
                models.DailyReport.work_date
            )
        )
        planned = {(e, d): (start, end) for e, d, start, end in shifts}
        worked = {(e, d): clock_in for e, d, clock_in in clocks}
        by_day = dict(reports.all())

    assert len(planned) == counts.clock_records == len(worked)
    for key, clock_in in worked.items():  # the rota starts on the hour they clocked in
        start, end = planned[key]
        assert start == clock_in.replace(minute=0, second=0)
        assert end - start == timedelta(hours=8, minutes=30)
    # TINY has 3 days: the two before today are final, each with a report per team
    assert by_day == {TODAY - timedelta(days=2): 3, TODAY - timedelta(days=1): 3}


async def test_the_last_week_is_finalized_by_the_jobs_own_code_flags_included(
    db: Database,
) -> None:
    """The days of the last week are finalized as ``finalize_day`` does (their flags raised by
    the refresh), today refreshed: the flags are there, and each report counts its team's."""
    counts = await _seed(db, seed=7)

    async with db.read_session() as session:
        flags = (
            await session.execute(
                select(models.Flag.team_id, models.Flag.work_date, models.Flag.rule,
                       models.Flag.status)
            )
        ).all()  # fmt: skip
        reports = (
            await session.execute(
                select(models.DailyReport.team_id, models.DailyReport.work_date,
                       models.DailyReport.content)
            )
        ).all()  # fmt: skip
        finality = dict(
            (
                await session.execute(
                    select(
                        models.DailyScore.work_date, func.min(models.DailyScore.is_final)
                    ).group_by(models.DailyScore.work_date)
                )
            ).all()
        )

    assert counts.flags == len(flags) > 0
    assert {status for *_, status in flags} == {"OPEN"}
    assert {bool(v) for d, v in finality.items() if d < TODAY} == {True}
    assert not finality[TODAY]
    for team_id, day, content in reports:
        raised: dict[str, int] = {}
        for flag_team, flag_day, rule, _ in flags:
            if (flag_team, flag_day) == (team_id, day):
                raised[rule] = raised.get(rule, 0) + 1
        assert content["flags"] == raised


def _end_of(day: date) -> datetime:
    return datetime.combine(
        day + timedelta(days=1), time(), ZoneInfo("America/Chicago")
    ).astimezone(UTC)


async def _extend(db: Database, today: date, seed: int = 7) -> load.SeedCounts:
    async with db.session() as session, session.begin():
        return await extend.extend_demo(
            session=session, seed=seed, today=today, now=_end_of(today),
            idle_threshold=timedelta(minutes=15),
        )  # fmt: skip


async def _days(db: Database) -> dict[str, Any]:
    """Every employee-day as the demo has it: activities, shifts, breaks, scores; and the
    flags and reports."""
    async with db.read_session() as session:
        activities = await session.execute(
            select(models.Employee.code, models.Activity.work_date, models.Activity.window_start,
                   models.Activity.items_count, models.Role.key)  # ids differ between seedings
            .select_from(models.Activity).join(models.Employee)
            .join(models.Role, models.Role.id == models.Activity.role_id)
            .order_by(models.Employee.code, models.Activity.window_start)
        )  # fmt: skip
        clocks = await session.execute(
            select(models.Employee.code, models.ClockRecord.work_date, models.ClockRecord.clock_in,
                   models.ClockRecord.clock_out, func.count(models.ClockBreak.id))
            .join(models.Employee)
            .outerjoin(models.ClockBreak)
            .group_by(models.ClockRecord.id, models.Employee.code)
            .order_by(models.Employee.code, models.ClockRecord.work_date)
        )  # fmt: skip
        scores = await session.execute(
            select(models.Employee.code, models.DailyScore.work_date,
                   models.DailyScore.items_processed, models.DailyScore.points_earned,
                   models.DailyScore.idle_minutes, models.DailyScore.is_final)
            .join(models.Employee)
            .order_by(models.Employee.code, models.DailyScore.work_date)
        )  # fmt: skip
        flags = await session.execute(
            select(models.Employee.code, models.Flag.work_date, models.Flag.rule)
            .join(models.Employee, models.Employee.id == models.Flag.employee_id)
            .order_by(models.Employee.code, models.Flag.work_date, models.Flag.rule)
        )
        reports = await session.execute(
            select(models.DailyReport.work_date, func.count()).group_by(
                models.DailyReport.work_date
            )
        )
        shifts = await session.scalar(select(func.count()).select_from(models.ScheduledShift))
        return {
            "activities": [tuple(r) for r in activities],
            "clocks": [tuple(r) for r in clocks],
            "scores": [(c, d, i, round(p, 6), m, f) for c, d, i, p, m, f in scores],
            "flags": [tuple(r) for r in flags],
            "reports": {day: n for day, n in reports},
            "shifts": shifts,
        }


async def test_a_demo_carried_on_to_a_later_day_is_the_demo_seeded_that_day(
    db: Database,
) -> None:
    """Seeded on Friday at noon, the demo is carried on to Monday: Friday's shifts are completed
    and the days after are added, exactly as a seeding on Monday makes them (the days of
    both, Wednesday to Monday); carried on again the same day, nothing changes."""
    monday = TODAY + timedelta(days=3)
    noon = datetime(2026, 11, 20, 18, tzinfo=UTC)  # 12:00 in Chicago: Friday's shifts are open
    await _seed(db, seed=7, now=noon)
    seeded = await _days(db)

    added = await _extend(db, monday)
    carried = await _days(db)
    again = await _extend(db, monday)
    after_again = await _days(db)
    await _seed(db, seed=7, profile=Profile("T", 12, 3, 4, days=6), today=monday,
                now=_end_of(monday))  # fmt: skip
    fresh = await _days(db)

    windows = [(code, start) for code, _, start, *_ in carried["activities"]]
    assert len(windows) == len(set(windows))  # nothing doubled
    assert {day for _, day, *_ in seeded["clocks"]} == {
        TODAY - timedelta(days=n) for n in (0, 1, 2)
    }
    assert any(out is None for _, day, _, out, _ in seeded["clocks"] if day == TODAY)
    today_board = [s for s in carried["scores"] if s[1] == monday and s[2] > 0]
    assert len(today_board) == 7  # today's board is not empty
    assert carried == fresh
    assert added.activities == len(carried["activities"]) - len(seeded["activities"]) > 0
    assert added.clock_records == len(carried["clocks"]) - len(seeded["clocks"]) > 0
    assert again == load.SeedCounts()
    assert after_again == carried


def test_cli_carries_the_demo_on_to_a_later_day_once(tmp_path: Path) -> None:
    """``scripts/start`` runs ``seed-demo --if-empty``: on a later day it carries the demo on
    to that day (today's boards are not empty), once; a database without the demo's sign-ins
    is left alone."""
    env = {**os.environ, "PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"}

    def seed(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "prodhub", "seed-demo", "--profile", "S", *args],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip

    first = seed("--today", "2026-11-20")
    later = seed("--if-empty", "--today", "2026-11-23")
    again = seed("--if-empty", "--today", "2026-11-23")

    assert first.returncode == later.returncode == again.returncode == 0, later.stderr
    assert later.stdout.splitlines()[0] == (
        "the demo data ended 2026-11-20; carried it on to 2026-11-23"
    )
    assert again.stdout.strip() == "database already has data; not seeding"
    with contextlib.closing(sqlite3.connect(tmp_path / "demo.db")) as connection:
        board = connection.execute(
            "SELECT count(*) FROM daily_scores WHERE work_date = '2026-11-23' "
            "AND items_processed > 0"
        ).fetchone()
        doubled = connection.execute(
            "SELECT count(*) FROM (SELECT employee_id, window_start FROM activities "
            "GROUP BY employee_id, window_start HAVING count(*) > 1)"
        ).fetchone()
    assert (board, doubled) == ((BOARD_ON_MONDAY,), (0,))
