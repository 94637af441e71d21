"""Carrying a demo on to today: the days since its last one, from the same generator.

A demo seeded on one day and served on a later one would have empty "today" boards. Each
employee-day is drawn from its own RNG (``generate.day_rngs``), so the days added here are the
ones a seeding up to today would have made, and the last day, cut off when it was seeded, is
completed with the rest of the same day. Then, as the jobs do, the days before today are
finalized (scores, flags, streaks, badges, the last week's reports) and today is refreshed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from services.daily_reports import build_reports
from services.demo.generate import Worker, day_rngs, is_demo_code, plan_day, worker
from services.demo.load import REPORTED_DAYS, Batch, SeedCounts
from services.finalization import finalize_day
from services.score_refresh import refresh_day


async def last_day(session: AsyncSession) -> date | None:
    """The last day the data has scores for."""
    return await session.scalar(select(func.max(models.DailyScore.work_date)))


async def extend_demo(
    *,
    session: AsyncSession,
    seed: int,
    today: date,
    now: datetime,
    idle_threshold: timedelta,
    productivity_goal: float = 100.0,
) -> SeedCounts:
    """The demo's days after its last one up to ``today``, and the rest of its last day; what
    was added. Nothing when the data ends today (or later) already: running it twice adds the
    days once."""
    counts = SeedCounts()
    last = await last_day(session)
    if last is None or last >= today:
        return counts
    roles = {row.id: row for row in await session.scalars(select(models.Role))}
    rates = {role_id: role.expected_per_hour for role_id, role in roles.items()}
    workers = await _demo_workers(session, seed)
    batch = Batch(session, counts, None)  # the refresh and finalization score the days
    clock_id = (await session.scalar(select(func.max(models.ClockRecord.id))) or 0) + 1
    clock_id = await _complete(session, batch, seed, workers, last, rates, now, clock_id)
    added = [last + timedelta(days=n) for n in range(1, (today - last).days + 1)]
    for person, team_id in workers:
        for day in added:
            plan_rng, quirks = day_rngs(seed, person, day)
            plan = plan_day(plan_rng, person, day, rates, now, quirks)
            if plan is None:
                continue
            batch.add_day(clock_id, person, team_id, day, plan, now, final=False,
                          scored=False)  # fmt: skip
            clock_id += 1
        await batch.flush_if_full()
    await batch.flush()
    finalized = [last, *added[:-1]]
    for day in finalized:  # in order, as the scheduler finalizes them
        done = await finalize_day(
            session=session,
            work_date=day,
            now=now,
            idle_threshold=idle_threshold,
            goal=productivity_goal,
        )
        counts.flags += done.flags_raised
    refreshed = await refresh_day(
        session=session,
        work_date=today,
        now=now,
        idle_threshold=idle_threshold,
        goal=productivity_goal,
    )
    counts.flags += refreshed.flags_raised
    counts.daily_scores = await _count_after(session, models.DailyScore, last)
    counts.idle_periods = await _count_after(session, models.IdlePeriod, last)
    for day in finalized[-REPORTED_DAYS:]:
        await build_reports(session=session, work_date=day, now=now)
    return counts


async def _count_after(
    session: AsyncSession, model: type[models.DailyScore | models.IdlePeriod], day: date
) -> int:
    query = select(func.count()).select_from(model).where(model.work_date > day)
    return await session.scalar(query) or 0


async def _demo_workers(session: AsyncSession, seed: int) -> list[tuple[Worker, int]]:
    """The demo's active employees (its codes, a team and a role), with their habits."""
    rows = await session.execute(
        select(models.Employee.id, models.Employee.code, models.Team.id,
               models.Role.id, models.Team.timezone)
        .join(models.Team, models.Team.id == models.Employee.team_id)
        .join(models.Role, models.Role.id == models.Employee.default_role_id)
        .where(models.Employee.active.is_(True))
        .order_by(models.Employee.code)
    )  # fmt: skip
    return [
        (
            worker(
                seed,
                employee_id=employee_id,
                code=code,
                team_timezone=zone,
                default_role_id=role_id,
            ),
            team_id,
        )
        for employee_id, code, team_id, role_id, zone in rows
        if is_demo_code(code)
    ]


async def _complete(
    session: AsyncSession,
    batch: Batch,
    seed: int,
    workers: list[tuple[Worker, int]],
    day: date,
    rates: dict[int, float],
    now: datetime,
    clock_id: int,
) -> int:
    """The rest of ``day``, which was cut off when it was seeded: what its plan has and the
    data has not (a shift that had not begun, the clock-out, later breaks and windows). The
    next free clock record id."""
    clocks = {
        (employee_id, clock_in): (record_id, clock_out)
        for record_id, employee_id, clock_in, clock_out in await session.execute(
            select(
                models.ClockRecord.id,
                models.ClockRecord.employee_id,
                models.ClockRecord.clock_in,
                models.ClockRecord.clock_out,
            ).where(models.ClockRecord.work_date == day)
        )
    }
    breaks = {
        (record_id, start)
        for record_id, start in await session.execute(
            select(models.ClockBreak.clock_record_id, models.ClockBreak.start)
            .join(models.ClockRecord)
            .where(models.ClockRecord.work_date == day)
        )
    }
    windows = {
        (employee_id, start)
        for employee_id, start in await session.execute(
            select(models.Activity.employee_id, models.Activity.window_start).where(
                models.Activity.work_date == day
            )
        )
    }
    for person, team_id in workers:
        plan_rng, quirks = day_rngs(seed, person, day)
        plan = plan_day(plan_rng, person, day, rates, now, quirks)
        if plan is None:
            continue
        held = clocks.get((person.employee_id, plan.clock_in))
        if held is None:  # the shift had not begun
            batch.add_day(clock_id, person, team_id, day, plan, now, final=False,
                          scored=False)  # fmt: skip
            clock_id += 1
            continue
        record_id, clock_out = held
        if clock_out is None and plan.clock_out is not None:
            await session.execute(
                update(models.ClockRecord)
                .where(models.ClockRecord.id == record_id)
                .values(clock_out=plan.clock_out, updated_at=now)
            )
        batch.add_breaks(record_id, [b for b in plan.breaks if (record_id, b[0]) not in breaks])
        batch.add_windows(
            person.employee_id,
            day,
            [w for w in plan.windows if (person.employee_id, w[2]) not in windows],
        )
    return clock_id
