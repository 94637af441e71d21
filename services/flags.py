"""Review flags of a work date: items for a person to look at, never automatic
discipline. Each is unique per rule and subject, so recomputing a day never duplicates one.

``detect`` is pure: it takes one employee's day and returns the flags it raises (the score
refresh, ``services.score_refresh``, raises and withdraws OPEN flags with it). ``list_flags``
is the list a manager works through (and an employee reads their own in); ``resolve_flag`` a
reviewer's resolution (an admin, or a manager of the flag's team), which the refresh never
undoes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Flag
from services import audit
from services.authentication import Viewer
from services.errors import BadInput, Conflict, Forbidden, NotFound
from services.intervals import Interval, minutes, subtract
from services.keyset import Key, Keyset
from services.scores import MAX_SHIFT, RoleStandard
from services.users import UserRole

RATE_FACTOR = 3  # items per hour over 3 x the engineered standard
OUTSIDE_TOLERANCE = timedelta(minutes=5)
LONG_IDLE = timedelta(minutes=60)
CLOCKED_WITHOUT_WORK = 60.0  # minutes


class FlagRule(StrEnum):
    IMPOSSIBLE_RATE = "IMPOSSIBLE_RATE"
    OVERLAPPING_ACTIVITY = "OVERLAPPING_ACTIVITY"
    OUTSIDE_CLOCK = "OUTSIDE_CLOCK"
    LONG_IDLE = "LONG_IDLE"
    FORGOTTEN_CLOCK_OUT = "FORGOTTEN_CLOCK_OUT"
    NO_ACTIVITY_WHILE_CLOCKED = "NO_ACTIVITY_WHILE_CLOCKED"
    ACTIVITY_WITHOUT_CLOCK = "ACTIVITY_WITHOUT_CLOCK"


@dataclass(frozen=True, slots=True)
class ActivitySpan:
    id: int
    role_id: int
    items: int
    start: datetime
    end: datetime


@dataclass(frozen=True)
class FlagFound:
    rule: FlagRule
    subject_key: str
    activity_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)


def detect(
    *,
    employee_id: int,
    work_date: date,
    activities: Sequence[ActivitySpan],
    shifts: Sequence[Interval],  # clock intervals, open ones up to now and capped
    idle_periods: Sequence[Interval],
    clocked_minutes: float,
    roles: Mapping[int, RoleStandard],
) -> list[FlagFound]:
    """The flags of one employee's day, but for ``unclocked_work``, which depends on who the
    employee is rather than on the day (the refresh reads the employees after their days)."""
    found: list[FlagFound] = []
    for activity in activities:
        found += _activity_flags(activity, roles, shifts)
    found += _overlaps(activities)
    found += [
        FlagFound(FlagRule.LONG_IDLE, f"idle:{employee_id}:{start.isoformat()}",
                  details={"start": start.isoformat(), "end": end.isoformat(),
                           "minutes": minutes([(start, end)])})
        for start, end in idle_periods
        if end - start >= LONG_IDLE
    ]  # fmt: skip
    if not activities and clocked_minutes >= CLOCKED_WITHOUT_WORK:
        details = {"clocked_minutes": clocked_minutes}
        day = f"day:{employee_id}:{work_date.isoformat()}"
        found.append(FlagFound(FlagRule.NO_ACTIVITY_WHILE_CLOCKED, day, details=details))
    return found


def unclocked_work(
    *,
    employee_id: int,
    work_date: date,
    worked: bool,  # the day has activities
    clocked: bool,  # the day has clock records
    mapped: bool,  # the employee has a Connecteam user, so clock records are expected
) -> list[FlagFound]:
    """ACTIVITY_WITHOUT_CLOCK: work on a day without the clock records expected of it."""
    day = f"day:{employee_id}:{work_date.isoformat()}"
    return (
        [FlagFound(FlagRule.ACTIVITY_WITHOUT_CLOCK, day)]
        if worked and not clocked and mapped
        else []
    )


def _activity_flags(
    activity: ActivitySpan, roles: Mapping[int, RoleStandard], shifts: Sequence[Interval]
) -> list[FlagFound]:
    subject, found = f"activity:{activity.id}", []
    hours = (activity.end - activity.start) / timedelta(hours=1)
    expected = roles[activity.role_id].expected_per_hour
    if expected > 0 and hours > 0 and activity.items / hours > RATE_FACTOR * expected:
        details = {
            "items_per_hour": round(activity.items / hours, 1),
            "expected_per_hour": expected,
        }
        found.append(FlagFound(FlagRule.IMPOSSIBLE_RATE, subject, activity.id, details))
    if shifts:
        outside = subtract([(activity.start, activity.end)], shifts)
        if any(end - start > OUTSIDE_TOLERANCE for start, end in outside):
            details = {"minutes_outside": minutes(outside)}
            found.append(FlagFound(FlagRule.OUTSIDE_CLOCK, subject, activity.id, details))
    return found


def _overlaps(activities: Sequence[ActivitySpan]) -> list[FlagFound]:
    """Each activity that starts before an earlier-starting one has ended."""
    found, reach = [], None
    for activity in sorted(activities, key=lambda a: (a.start, a.id)):
        if reach is not None and activity.start < reach[0]:
            found.append(FlagFound(FlagRule.OVERLAPPING_ACTIVITY, f"activity:{activity.id}",
                                   activity.id, {"overlaps_activity": reach[1]}))  # fmt: skip
        if reach is None or activity.end > reach[0]:
            reach = (activity.end, activity.id)
    return found


__all__ = ["FlagFound", "FlagRule", "detect", "unclocked_work"]


@dataclass(frozen=True)
class OpenRecord:
    id: int
    employee_id: int
    team_id: int | None
    clock_in: datetime
    work_date: date


def forgotten_clock_outs(
    records: Sequence[OpenRecord], now: datetime
) -> list[tuple[OpenRecord, FlagFound]]:
    """Open clock records older than the 16-hour cap: someone forgot to clock out."""
    return [
        (record, FlagFound(FlagRule.FORGOTTEN_CLOCK_OUT, f"clock:{record.id}",
                           details={"clock_in": record.clock_in.isoformat()}))
        for record in records
        if now - record.clock_in > MAX_SHIFT
    ]  # fmt: skip


# --- review ---------------------------------------------------------------------------------

MAX_NOTE = 1000


class FlagStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"
    DISMISSED = "DISMISSED"


class FlagResolution(StrEnum):
    RESOLVED = "RESOLVED"  # looked at, and something was done about it
    DISMISSED = "DISMISSED"  # looked at: nothing was wrong


# Newest work date first; served by (status, work_date), (team_id, status, work_date) and
# (work_date), each ending in the primary key as InnoDB's secondary indexes do.
FLAG_ORDER = Keyset("flags", (Key(Flag.work_date, descending=True), Key(Flag.id, descending=True)))


async def list_flags(
    *,
    session: AsyncSession,
    status: FlagStatus | None,
    team_ids: Collection[int] | None,  # None: every team's (and those of no team)
    limit: int,
    after: Sequence[Any] | None,
    employee_id: int | None = None,  # one employee's only
) -> Sequence[Flag]:
    statement = select(Flag).order_by(*FLAG_ORDER.order_by()).limit(limit)
    if status is not None:
        statement = statement.where(Flag.status == status.value)
    if team_ids is not None:
        statement = statement.where(Flag.team_id.in_(sorted(team_ids)))
    if employee_id is not None:
        statement = statement.where(Flag.employee_id == employee_id)
    if after is not None:
        statement = statement.where(FLAG_ORDER.after(after))
    return (await session.scalars(statement)).all()


async def resolve_flag(
    *,
    session: AsyncSession,
    actor: Viewer,
    flag_id: int,
    resolution: FlagResolution,
    note: str | None,
    now: datetime,
) -> Flag:
    """Close an open flag with ``resolution`` and the reviewer's note (audited)."""
    why = _note(note)
    if not reviews_flags(actor):
        raise Forbidden(REVIEWERS, field="id")
    row = await session.get(Flag, flag_id, with_for_update=True)
    if row is None:
        raise NotFound("no such flag", field="id")
    if not may_review(actor, row.team_id):
        raise Forbidden(REVIEWERS, field="id")
    if row.status != FlagStatus.OPEN:
        raise Conflict(f"this flag is already {row.status.lower()}", field="id")
    before = audit.snapshot(row)
    row.status = resolution.value
    row.resolved_by_user_id = actor.user_id
    row.resolved_at = now.replace(microsecond=0)  # as stored: the answer matches later reads
    row.resolution_note = why
    await session.flush()
    await audit.record(
        session=session, actor=actor, action="resolve_flag", row=row, before=before, reason=why
    )
    return row


REVIEWERS = "a flag is reviewed by the managers of its team and by admins"


def reviews_flags(viewer: Viewer) -> bool:
    """Whether ``viewer`` reviews any flags at all (admins and managers)."""
    return viewer.is_admin or viewer.role is UserRole.MANAGER


def may_review(viewer: Viewer, team_id: int | None) -> bool:
    """Whether ``viewer`` may resolve a flag of ``team_id`` (the employee's team when it was
    raised): admins any; managers their teams'."""
    return viewer.is_admin or (
        viewer.role is UserRole.MANAGER and team_id is not None and team_id in viewer.team_ids
    )


def _note(note: str | None) -> str | None:
    if note is None or not note.strip():
        return None
    if len(note) > MAX_NOTE:
        raise BadInput(f"a note has at most {MAX_NOTE:,} characters", field="note")
    return note.strip()
