"""Corrections by an admin: void an activity, correct one, add or fix a clock record.

Each is audited with its reason (who, when, before, after, why) and flows into scores the one
way scores are made: the affected days are refreshed (``services.score_refresh``) in the same
transaction, never patched by hand. A clock record change also re-dates that employee's
activities around it (SPEC §4: an activity belongs to the day of the clock record that holds
its start).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Activity, ClockRecord, Employee, Role, Team
from services import audit, validation
from services.activities import MAX_ITEMS_COUNT, MAX_WINDOW
from services.errors import BadInput, NotFound
from services.finalization import rescore_day
from services.scores import MAX_SHIFT
from services.viewers import Viewer
from services.workdate import activity_work_date, local_date

CORRECTED = "correction"  # a clock record's source once an admin added or fixed it


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


def _reason(reason: str) -> str:
    return validation.text("reason", reason, longest=500)


async def void_activity(
    *, session: AsyncSession, actor: Viewer, activity_id: int, reason: str, scoring: Scoring
) -> Activity:
    why = _reason(reason)
    row = await _activity(session, activity_id)
    if row.voided_at is not None:
        raise BadInput("this activity is already void", field="id")
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
    row.work_date = await _date_of(session, row.employee_id, row.window_start, scoring)
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
    if fix.clock_out is not None and not fix.clock_in < fix.clock_out <= fix.clock_in + MAX_SHIFT:
        raise BadInput("a record ends after it starts, within 16 hours", field="clockOut")
    if fix.record_id is not None:
        row = await session.scalar(
            select(ClockRecord).where(ClockRecord.id == fix.record_id).with_for_update()
        )
        if row is None:
            raise NotFound("no such clock record", field="id")
        before, days, moved_from = audit.snapshot(row), {row.work_date}, row.clock_in
    else:
        employee = await session.scalar(
            select(Employee.id).where(Employee.code == fix.employee_code)
        )
        if employee is None:
            raise NotFound("no employee with this code", field="employeeCode")
        row, before, days = ClockRecord(employee_id=employee), None, set()
        moved_from = fix.clock_in
    row.clock_in, row.clock_out = fix.clock_in, fix.clock_out
    row.source = CORRECTED  # a Connecteam sync leaves it as corrected from now on
    row.work_date = local_date(fix.clock_in, await _zone(session, row.employee_id, scoring))
    session.add(row)
    await session.flush()
    action = "correct" if before is not None else "add"
    await audit.record(
        session=session, actor=actor, action=action, row=row, before=before, reason=why
    )
    for around in {moved_from, fix.clock_in}:  # activities near where it was and where it is
        days |= await _redate(session, row.employee_id, around, scoring)
    days.add(row.work_date)
    await _refresh(session, days, scoring)
    return row


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


async def _date_of(
    session: AsyncSession, employee_id: int, start: datetime, scoring: Scoring
) -> date:
    clocks = (
        await session.execute(
            select(ClockRecord.clock_in, ClockRecord.clock_out, ClockRecord.work_date)
            .where(ClockRecord.employee_id == employee_id,
                   ClockRecord.clock_in > start - MAX_SHIFT, ClockRecord.clock_in <= start)
            .order_by(ClockRecord.clock_in)
        )
    ).all()  # fmt: skip
    zone = await _zone(session, employee_id, scoring)
    return activity_work_date(start, [tuple(c) for c in clocks], zone, scoring.now)  # type: ignore[misc]


async def _redate(
    session: AsyncSession, employee_id: int, around: datetime, scoring: Scoring
) -> set[date]:
    """Date again the employee's activities near a changed clock record; the days touched."""
    rows = (
        await session.scalars(
            select(Activity).where(
                Activity.employee_id == employee_id,
                Activity.window_start > around - MAX_SHIFT,
                Activity.window_start < around + MAX_SHIFT,
            )
        )
    ).all()
    touched: set[date] = set()
    for row in rows:
        new = await _date_of(session, employee_id, row.window_start, scoring)
        if new != row.work_date:
            touched |= {row.work_date, new}
            row.work_date = new
    await session.flush()
    return touched


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
