"""An employee's export days, read in a fixed number of statements whatever the period's
length: the standards applied (``standards.standards_applied``), then the period's scores,
idle periods and flags (with their resolvers' emails), one SELECT each, then its activities
in one SELECT streamed ``ACTIVITY_BATCH`` rows at a time (a server-side cursor on MariaDB),
so each day is built and handed on as soon as its last activity has been read: what is held
at once is the largest day's activities, beside the period's scores, idle periods and flags
(a few rows a day, but for flags about single activities: at most three per activity)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping, Sequence
from contextlib import aclosing
from datetime import date
from typing import TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dated
from db.models import Activity, DailyScore, Flag, IdlePeriod, User
from services.work_speed.days import ActivityRow, ExportDay, FlagRow, export_day
from services.work_speed.standards import CurrentSettings, standards_applied

ACTIVITY_BATCH = 2_000


async def export_days(
    *,
    session: AsyncSession,
    employee_id: int,
    first: date,
    last: date,
    current: CurrentSettings,
) -> AsyncGenerator[ExportDay]:
    """Every day from ``first`` to ``last`` with something to show (a score, an activity, an
    idle period or a flag), in date order. The session's connection is busy until the last
    day has been taken."""
    standards = await standards_applied(
        session=session, employee_id=employee_id, first=first, last=last, current=current
    )
    scores = {
        row.work_date: row for row in await session.scalars(_scores(employee_id, first, last))
    }
    idle = _by_day(await session.scalars(_idle_periods(employee_id, first, last)))
    flags = _by_day(await _flags(session, employee_id, first, last))
    summarized = sorted(scores.keys() | idle.keys() | flags.keys())

    def day(work_date: date, activities: Sequence[ActivityRow]) -> ExportDay:
        return export_day(
            work_date=work_date,
            standards=standards[work_date],
            activities=activities,
            score=scores.get(work_date),
            idle_periods=idle.get(work_date, []),
            flags=flags.get(work_date, []),
        )

    async with aclosing(_activities(session, employee_id, first, last)) as worked:
        async for work_date, activities in worked:
            while summarized and summarized[0] < work_date:
                yield day(summarized.pop(0), [])
            if summarized and summarized[0] == work_date:
                summarized.pop(0)
            yield day(work_date, activities)
    for work_date in summarized:
        yield day(work_date, [])


async def collected(days: AsyncIterator[ExportDay]) -> list[ExportDay]:
    return [d async for d in days]


D = TypeVar("D", IdlePeriod, FlagRow)


def _by_day(rows: Iterable[D]) -> Mapping[date, list[D]]:
    found: dict[date, list[D]] = defaultdict(list)
    for row in rows:
        found[row.work_date].append(row)
    return found


def _scores(employee_id: int, first: date, last: date) -> Select[DailyScore]:
    return dated(
        select(DailyScore).where(
            DailyScore.employee_id == employee_id, DailyScore.work_date.between(first, last)
        ),
        "daily_scores",
        (first, last),
    )


def _idle_periods(employee_id: int, first: date, last: date) -> Select[IdlePeriod]:
    return dated(
        select(IdlePeriod)
        .where(IdlePeriod.employee_id == employee_id, IdlePeriod.work_date.between(first, last))
        .order_by(IdlePeriod.start),
        "idle_periods",
        (first, last),
    )


async def _flags(session: AsyncSession, employee_id: int, first: date, last: date) -> list[FlagRow]:
    rows = await session.execute(
        dated(
            select(Flag.id, Flag.work_date, Flag.rule, Flag.status, Flag.details,
                   Flag.created_at, User.email, Flag.resolved_at, Flag.resolution_note)
            .outerjoin(User, User.id == Flag.resolved_by_user_id)
            .where(Flag.employee_id == employee_id, Flag.work_date.between(first, last))
            .order_by(Flag.work_date, Flag.id),
            "flags", (first, last),
        )
    )  # fmt: skip
    return [FlagRow(*row) for row in rows]


async def _activities(
    session: AsyncSession, employee_id: int, first: date, last: date
) -> AsyncGenerator[tuple[date, list[ActivityRow]]]:
    """Each day's live activities, one day at a time, from one streamed SELECT."""
    result = await session.stream(
        dated(
            select(Activity.work_date, Activity.role_id, Activity.items_count,
                   Activity.window_start, Activity.window_end)
            .where(Activity.employee_id == employee_id,
                   Activity.work_date.between(first, last), Activity.voided_at.is_(None))
            .order_by(Activity.work_date, Activity.window_start, Activity.id)
            .execution_options(yield_per=ACTIVITY_BATCH),
            "activities", (first, last),
        )
    )  # fmt: skip
    try:
        current: date | None = None
        rows: list[ActivityRow] = []
        async for partition in result.partitions():
            for work_date, role_id, items, start, end in partition:
                if work_date != current and rows:
                    assert current is not None
                    yield current, rows
                    rows = []
                current = work_date
                rows.append(ActivityRow(role_id, items, start, end))
        if rows and current is not None:
            yield current, rows
    finally:
        await result.close()
