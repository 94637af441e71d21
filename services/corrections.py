"""Corrections by an admin: void an activity, correct one, add, fix or void a clock record.

Each is audited with its reason (who, when, before, after, why) and flows into scores the one
way scores are made: the affected days are refreshed (``services.score_refresh``) in the same
transaction, never patched by hand. A clock record change also re-dates that employee's
activities around it (an activity belongs to the day of the clock record that holds its
start). A record's breaks lie inside it and do not overlap; an employee's records do not
overlap either (their time would count twice). Asking for a state a row is already in (void
again, correct what is void) is a ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Activity, ClockBreak, ClockRecord, Employee, Role, Team
from services import audit, validation
from services.activities import MAX_ITEMS_COUNT, MAX_WINDOW
from services.authentication import Viewer
from services.errors import BadInput, Conflict, NotFound
from services.finalization import rescore_day
from services.scores import MAX_SHIFT
from services.workdate import Placed, local_date, redate, work_dates

CORRECTED = "correction"  # a clock record's source once an admin added, fixed or voided it
MAX_BREAKS = 50  # a record's breaks: more in one shift of at most 16 hours is not a record

Break = tuple[datetime, datetime]
StoredBreak = tuple[datetime, datetime | None]  # an open break (Connecteam's) has no end


@dataclass(frozen=True)
class Scoring:
    """What a refresh needs besides the session."""

    now: datetime
    idle_threshold: timedelta
    company_timezone: str
    productivity_goal: float  # a finalized day's streaks are settled again


@dataclass(frozen=True)
class ActivityFix:
    activity_id: int
    reason: str
    items_count: int | None = None
    role_key: str | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None


@dataclass(frozen=True)
class ClockFix:
    reason: str
    clock_in: datetime
    clock_out: datetime | None
    record_id: int | None = None  # None: add a record for ``employee_code``
    employee_code: str | None = None
    breaks: Sequence[Break] | None = None  # the record's breaks; None: as they are


class Overlaps(Conflict):
    """The record would overlap another of the same employee (``other``, its id): that time
    would count twice. The message names the other record as ``naming`` is given it."""

    def __init__(self, other: int) -> None:
        super().__init__(self.naming(str(other)), field="clockIn")
        self.other = other

    @staticmethod
    def naming(other: str) -> str:
        return f"it overlaps clock record {other} of the same employee: fix or void that one"


def _reason(reason: str) -> str:
    return validation.text("reason", reason, longest=500)


async def void_activity(
    *, session: AsyncSession, actor: Viewer, activity_id: int, reason: str, scoring: Scoring
) -> Activity:
    why = _reason(reason)
    row = await _activity(session, activity_id)
    if row.voided_at is not None:
        raise Conflict("this activity is already void", field="id")
    before = audit.snapshot(row)
    row.voided_at, row.void_reason = scoring.now.replace(microsecond=0), why  # as stored
    await session.flush()
    await audit.record(
        session=session, actor=actor, action="void", row=row, before=before, reason=why
    )
    await _refresh(session, {row.work_date}, scoring)
    return row


async def correct_activity(
    *, session: AsyncSession, actor: Viewer, fix: ActivityFix, scoring: Scoring
) -> Activity:
    why = _reason(fix.reason)
    row = await _activity(session, fix.activity_id)
    if row.voided_at is not None:
        raise Conflict("this activity is void: it cannot be corrected", field="id")
    before, old_day = audit.snapshot(row), row.work_date
    if fix.items_count is not None:
        if not 0 <= fix.items_count <= MAX_ITEMS_COUNT:
            raise BadInput(f"itemsCount is from 0 to {MAX_ITEMS_COUNT:,}", field="itemsCount")
        row.items_count = fix.items_count
    if fix.role_key is not None:
        role = await session.scalar(select(Role.id).where(Role.key == fix.role_key))
        if role is None:
            raise NotFound("no role with this key", field="roleKey")
        row.role_id = role
    row.window_start = fix.window_start or row.window_start
    row.window_end = fix.window_end or row.window_end
    if not row.window_start < row.window_end <= row.window_start + MAX_WINDOW:
        raise BadInput("a window ends after it starts, within 12 hours", field="windowEnd")
    zone = await _zone(session, row.employee_id, scoring)
    [row.work_date] = await work_dates(
        session=session,
        starts=[(row.employee_id, row.window_start)],
        zone=lambda _: zone,
        now=scoring.now,
    )
    await session.flush()
    await audit.record(
        session=session, actor=actor, action="correct", row=row, before=before, reason=why
    )
    await _refresh(session, {old_day, row.work_date}, scoring)
    return row


async def correct_clock_record(
    *, session: AsyncSession, actor: Viewer, fix: ClockFix, scoring: Scoring
) -> ClockRecord:
    why = _reason(fix.reason)
    for name, instant in (("clockIn", fix.clock_in), ("clockOut", fix.clock_out)):
        if instant is not None and instant.utcoffset() is None:
            raise BadInput("instants need a UTC offset", field=name)
    if fix.clock_out is not None and not fix.clock_in < fix.clock_out <= fix.clock_in + MAX_SHIFT:
        raise BadInput("a record ends after it starts, within 16 hours", field="clockOut")
    if fix.record_id is not None:
        row = await _clock_record(session, fix.record_id)
        if row.voided_at is not None:
            raise Conflict("this clock record is void: it cannot be corrected", field="id")
        kept = await _breaks_of(session, row.id)
        before = _with_breaks(audit.snapshot(row), kept)
        days, moved_from = {row.work_date}, row.clock_in
    else:
        employee = await session.scalar(
            select(Employee.id).where(Employee.code == fix.employee_code)
        )
        if employee is None:
            raise NotFound("no employee with this code", field="employeeCode")
        row, kept, before, days = ClockRecord(employee_id=employee), [], None, set()
        moved_from = fix.clock_in
    breaks = _breaks_inside(fix, kept)
    await _no_overlap(session, row.employee_id, fix.record_id, fix.clock_in, fix.clock_out)
    row.clock_in, row.clock_out = fix.clock_in, fix.clock_out
    row.source = CORRECTED  # a Connecteam sync leaves it as corrected from now on
    row.work_date = local_date(fix.clock_in, await _zone(session, row.employee_id, scoring))
    session.add(row)
    await session.flush()
    if fix.breaks is not None:
        await session.execute(delete(ClockBreak).where(ClockBreak.clock_record_id == row.id))
        session.add_all(ClockBreak(clock_record_id=row.id, start=a, end=b) for a, b in breaks)
    action = "correct" if before is not None else "add"
    after = _with_breaks(audit.snapshot(row), breaks)
    await audit.record(
        session=session, actor=actor, action=action, row=row, before=before, reason=why,
        after=after,
    )  # fmt: skip
    # activities near where it was and where it is
    days |= await _redate(session, row.employee_id, {moved_from, fix.clock_in}, scoring)
    days.add(row.work_date)
    await _refresh(session, days, scoring)
    return row


async def void_clock_record(
    *, session: AsyncSession, actor: Viewer, record_id: int, reason: str, scoring: Scoring
) -> ClockRecord:
    """The record stays, with its breaks, marked void: it counts for nothing from now on, and a
    Connecteam sync leaves it so (its source is a correction's), so the shift does not come
    back. The activities it held are dated again and its day scored again."""
    why = _reason(reason)
    row = await _clock_record(session, record_id)
    if row.voided_at is not None:
        raise Conflict("this clock record is already void", field="id")
    breaks = await _breaks_of(session, row.id)
    before = _with_breaks(audit.snapshot(row), breaks)
    row.voided_at, row.void_reason = scoring.now.replace(microsecond=0), why  # as stored
    row.source = CORRECTED
    await session.flush()
    await audit.record(
        session=session, actor=actor, action="void", row=row, before=before, reason=why,
        after=_with_breaks(audit.snapshot(row), breaks),
    )  # fmt: skip
    days = {row.work_date} | await _redate(session, row.employee_id, {row.clock_in}, scoring)
    await _refresh(session, days, scoring)
    return row


def _breaks_inside(fix: ClockFix, kept: Sequence[StoredBreak]) -> list[StoredBreak]:
    """The record's breaks once fixed: those given (each inside the record, none overlapping
    another), or those it has, which must still lie inside it. An open record reaches as far
    as it can count: 16 hours."""
    reach = fix.clock_out or fix.clock_in + MAX_SHIFT
    if fix.breaks is None:
        if any(not fix.clock_in <= start <= (end or start) <= reach for start, end in kept):
            raise BadInput("the record's breaks would lie outside it: give them", field="breaks")
        return list(kept)
    if len(fix.breaks) > MAX_BREAKS:
        raise BadInput(f"a record has at most {MAX_BREAKS} breaks", field="breaks")
    for index, (start, end) in enumerate(fix.breaks):
        field = f"breaks[{index}]"
        if start.utcoffset() is None or end.utcoffset() is None:
            raise BadInput("instants need a UTC offset", field=field)
        if not start < end:
            raise BadInput("a break ends after it starts", field=field)
        if not (fix.clock_in <= start and end <= reach):
            inside = "after clock-in" if fix.clock_out is None else "between clock-in and -out"
            raise BadInput(f"a break lies inside its record: {inside}", field=field)
    given = fix.breaks
    order = sorted(range(len(given)), key=lambda i: (given[i][0], i))
    for earlier, later in pairwise(order):
        if given[later][0] < given[earlier][1]:
            raise BadInput(f"it overlaps breaks[{earlier}]", field=f"breaks[{later}]")
    return list(given)


async def _no_overlap(
    session: AsyncSession,
    employee_id: int,
    record_id: int | None,
    clock_in: datetime,
    clock_out: datetime | None,
) -> None:
    """``Overlaps`` when another live record of the employee shares time with this one. An
    open record reaches as far as it can count (16 hours), so it overlaps a later one too."""
    reach = clock_out or clock_in + MAX_SHIFT
    query = select(ClockRecord.id, ClockRecord.clock_in, ClockRecord.clock_out).where(
        ClockRecord.employee_id == employee_id,
        ClockRecord.voided_at.is_(None),
        ClockRecord.clock_in < reach,
        ClockRecord.clock_in > clock_in - MAX_SHIFT,
    )
    if record_id is not None:
        query = query.where(ClockRecord.id != record_id)
    for other, start, end in await session.execute(query.order_by(ClockRecord.clock_in)):
        if clock_in < min(end or start + MAX_SHIFT, start + MAX_SHIFT):
            raise Overlaps(other)


async def _clock_record(session: AsyncSession, record_id: int) -> ClockRecord:
    row = await session.scalar(
        select(ClockRecord).where(ClockRecord.id == record_id).with_for_update()
    )
    if row is None:
        raise NotFound("no such clock record", field="id")
    return row


async def _breaks_of(session: AsyncSession, record_id: int) -> list[StoredBreak]:
    rows = await session.execute(
        select(ClockBreak.start, ClockBreak.end)
        .where(ClockBreak.clock_record_id == record_id)
        .order_by(ClockBreak.start)
    )
    return [(start, end) for start, end in rows]


def _with_breaks(snapshot: dict[str, Any], breaks: Sequence[StoredBreak]) -> dict[str, Any]:
    """A clock record's audit snapshot with its breaks, as stored (to the second)."""
    shown = [
        {"start": _second(start), "end": None if end is None else _second(end)}
        for start, end in sorted(breaks, key=lambda b: b[0])
    ]
    return snapshot | {"breaks": shown}


def _second(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(microsecond=0).isoformat()


async def _activity(session: AsyncSession, activity_id: int) -> Activity:
    row = await session.scalar(select(Activity).where(Activity.id == activity_id).with_for_update())
    if row is None:
        raise NotFound("no such activity", field="id")
    return row


async def _zone(session: AsyncSession, employee_id: int, scoring: Scoring) -> str:
    zone = await session.scalar(
        select(Team.timezone)
        .join(Employee, Employee.team_id == Team.id)
        .where(Employee.id == employee_id)
    )
    return zone or scoring.company_timezone


async def _redate(
    session: AsyncSession, employee_id: int, arounds: set[datetime], scoring: Scoring
) -> set[date]:
    """Date again the employee's activities near a changed clock record (within 16 hours of
    each of ``arounds``), void ones too; the days touched. The activities come with their
    team's zone: one SELECT, then ``workdate.redate``."""
    near = [
        and_(Activity.window_start > around - MAX_SHIFT, Activity.window_start < around + MAX_SHIFT)
        for around in sorted(arounds)
    ]
    rows = (
        await session.execute(
            select(Activity.id, Activity.employee_id, Activity.window_start, Activity.work_date,
                   Team.timezone)
            .join(Employee, Employee.id == Activity.employee_id)
            .outerjoin(Team, Team.id == Employee.team_id)
            .where(Activity.employee_id == employee_id, or_(*near))
        )
    ).all()  # fmt: skip
    zone = (rows[0].timezone if rows else None) or scoring.company_timezone
    done = await redate(
        session=session,
        activities=[Placed(r.id, r.employee_id, r.window_start, r.work_date) for r in rows],
        zone=lambda _: zone,
        now=scoring.now,
    )
    return done.days


async def _refresh(session: AsyncSession, days: set[date], scoring: Scoring) -> None:
    """The days scored again, finalized ones included (``services.finalization``)."""
    for day in sorted(days):
        await rescore_day(
            session=session,
            work_date=day,
            now=scoring.now,
            idle_threshold=scoring.idle_threshold,
            goal=scoring.productivity_goal,
        )
