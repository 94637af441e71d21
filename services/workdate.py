"""Work dates: a local calendar date in a team's timezone, computed in Python, never in SQL.

An activity belongs to the work date of the clock record that holds its start. ``work_dates``
dates a set of (employee, start) pairs and ``redate`` moves stored activities whose date
changed, each in a fixed number of statements whatever the number of activities: one SELECT
of the clock records per ``CHUNK`` employees, one UPDATE per ``CHUNK`` activities that move.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dated
from db.models import Activity, ClockRecord
from services.bulk import CHUNK, update_by_id
from services.scores import MAX_SHIFT, ClockSample, clock_interval

ClockSpan = tuple[datetime, datetime | None, date]  # clock in, clock out, work date
Start = tuple[int, datetime]  # an employee's id, an activity's start
ZoneOf = Callable[[int], str]  # an employee's id → the timezone of their team, or the company's
ACTIVITIES: Table = Activity.__table__  # type: ignore[assignment]


def local_date(instant: datetime, timezone: str) -> date:
    return instant.astimezone(ZoneInfo(timezone)).date()


def seconds_until_tomorrow(instant: datetime, timezone: str) -> float:
    """Until the next local midnight (a day of 23 or 25 hours included)."""
    zone = ZoneInfo(timezone)
    tomorrow = local_date(instant, timezone) + timedelta(days=1)
    midnight = datetime.combine(tomorrow, time(0), tzinfo=zone)
    return (midnight - instant).total_seconds()


def activity_work_date(
    start: datetime, clocks: Sequence[ClockSpan], timezone: str, now: datetime
) -> date:
    """The work date of the clock record whose interval holds ``start`` (a night shift stays
    one day); when none does, the local date of ``start`` in the team's zone. ``clocks`` are
    live records: callers leave void ones out."""
    for clock_in, clock_out, work_date in clocks:
        begin, end = clock_interval(ClockSample(clock_in, clock_out), now)
        if begin <= start < end:
            return work_date
    return local_date(start, timezone)


async def clocks_around(
    session: AsyncSession, starts: Collection[Start]
) -> dict[int, list[ClockSpan]]:
    """The live clock records that may hold these starts, per employee in clock-in order: those
    clocked in within ``MAX_SHIFT`` (the longest a record counts) before a start. One SELECT
    per ``CHUNK`` employees, none for no starts."""
    found: dict[int, list[ClockSpan]] = defaultdict(list)
    by_employee = sorted(starts)
    employees = [
        (employee_id, [start for _, start in pairs])
        for employee_id, pairs in groupby(by_employee, key=lambda pair: pair[0])
    ]
    for n in range(0, len(employees), CHUNK):
        chunk = employees[n : n + CHUNK]
        first = min(times[0] for _, times in chunk)
        last = max(times[-1] for _, times in chunk)
        rows = await session.execute(
            select(ClockRecord.employee_id, ClockRecord.clock_in, ClockRecord.clock_out,
                   ClockRecord.work_date)
            .where(
                ClockRecord.employee_id.in_([employee_id for employee_id, _ in chunk]),
                ClockRecord.voided_at.is_(None),
                ClockRecord.clock_in > first - MAX_SHIFT,
                ClockRecord.clock_in <= last,
            )
            .order_by(ClockRecord.clock_in, ClockRecord.id)
        )  # fmt: skip
        for employee_id, clock_in, clock_out, work_date in rows:
            found[employee_id].append((clock_in, clock_out, work_date))
    return found


async def work_dates(
    *, session: AsyncSession, starts: Sequence[Start], zone: ZoneOf, now: datetime
) -> list[date]:
    """The work date of each start, in order (``activity_work_date`` with ``clocks_around``)."""
    clocks = await clocks_around(session, starts)
    return [
        activity_work_date(start, clocks.get(employee_id, ()), zone(employee_id), now)
        for employee_id, start in starts
    ]


@dataclass(frozen=True)
class Placed:
    """A stored activity: whose, when it starts, and the work date it has."""

    id: int
    employee_id: int
    start: datetime
    work_date: date


@dataclass
class Redated:
    moved: int = 0  # activities now on another work date
    days: set[date] = field(default_factory=set)  # the work dates they left and joined


async def redate(
    *, session: AsyncSession, activities: Sequence[Placed], zone: ZoneOf, now: datetime
) -> Redated:
    """Date ``activities`` again from the clock records as they are now, and store the dates
    that changed (``update_by_id``: one UPDATE per ``CHUNK`` moved, declared on the days)."""
    if not activities:
        return Redated()
    starts = [(a.employee_id, a.start) for a in activities]
    new = await work_dates(session=session, starts=starts, zone=zone, now=now)
    moves = {
        a.id: (a.work_date, day)
        for a, day in zip(activities, new, strict=True)
        if day != a.work_date
    }
    done = Redated(len(moves), {day for pair in moves.values() for day in pair})
    rows = [{"id": id, "work_date": day} for id, (_, day) in sorted(moves.items())]
    for statement in update_by_id(ACTIVITIES, rows):
        await session.execute(dated(statement, "activities", done.days))
    return done
