"""Connecteam's scheduled shifts into ``scheduled_shifts``, set-based, in the
caller's transaction.

A shift is a row per assigned user mapped to an employee, keyed ``<shift id>:<user id>``; its
team is the employee's, its work date the local date of its start in the shift's own zone. A
shift without anyone assigned (an open shift) or assigned to nobody here is counted, not
kept. Rows of the synced window that Connecteam no longer has are deleted. Running it again
with the same shifts changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dated
from db.models import ScheduledShift
from services.bulk import update_by_id
from services.connecteam import models
from services.connecteam.people import People

SHIFTS: Table = ScheduledShift.__table__  # type: ignore[assignment]
FIELDS = ("employee_id", "team_id", "start", "end", "work_date", "title")


@dataclass(frozen=True)
class Planned:
    external_id: str
    employee_id: int
    team_id: int | None
    start: datetime
    end: datetime
    work_date: date
    title: str


@dataclass(frozen=True)
class SchedulesSynced:
    shifts: int  # read from Connecteam
    unassigned: int  # open shifts, or assigned to nobody mapped here
    created: int
    updated: int
    deleted: int


def planned(shifts: Sequence[models.ScheduledShift], people: People) -> tuple[list[Planned], int]:
    rows, unassigned = [], 0
    for shift in shifts:
        start = datetime.fromtimestamp(shift.start_time, UTC)
        mine = [(u, people.employee_of[u]) for u in shift.assigned_user_ids
                if u in people.employee_of]  # fmt: skip
        if not mine:
            unassigned += 1
        for user_id, employee_id in mine:
            rows.append(
                Planned(
                    external_id=f"{shift.id}:{user_id}", employee_id=employee_id,
                    team_id=people.team_of.get(employee_id), start=start,
                    end=datetime.fromtimestamp(shift.end_time, UTC),
                    work_date=start.astimezone(ZoneInfo(shift.timezone)).date(),
                    title=shift.title[:200],
                )
            )  # fmt: skip
    return rows, unassigned


async def apply_schedules(
    *,
    session: AsyncSession,
    shifts: Sequence[models.ScheduledShift],
    window: tuple[datetime, datetime],
    people: People,
    now: datetime,
) -> SchedulesSynced:
    """``shifts``: every scheduler's shifts that start in ``window`` (start included)."""
    wanted, unassigned = planned(shifts, people)
    by_id = {p.external_id: p for p in wanted}
    first, last = window
    kept = {
        row.external_id: row
        for row in (
            await session.execute(
                select(SHIFTS.c.id, SHIFTS.c.external_id, *(SHIFTS.c[f] for f in FIELDS)).where(
                    SHIFTS.c.external_id.is_not(None),
                    or_(
                        (SHIFTS.c.start >= first) & (SHIFTS.c.start < last),
                        SHIFTS.c.external_id.in_(list(by_id)),
                    ),
                )
            )
        ).all()
    }
    gone = [row for key, row in kept.items() if key not in by_id and first <= row.start < last]
    new = [p for key, p in by_id.items() if key not in kept]
    changed = [
        (kept[key], p)
        for key, p in by_id.items()
        if key in kept and tuple(getattr(kept[key], f) for f in FIELDS) != _values(p)
    ]
    days = (
        {row.work_date for row in gone}
        | {p.work_date for p in new}
        | {d for was, p in changed for d in (was.work_date, p.work_date)}
    )
    if gone:
        await session.execute(
            dated(delete(SHIFTS).where(SHIFTS.c.id.in_([r.id for r in gone])),
                  "scheduled_shifts", days)
        )  # fmt: skip
    rows = [{"id": was.id, **dict(zip(FIELDS, _values(p), strict=True))} for was, p in changed]
    for statement in update_by_id(SHIFTS, rows, updated_at=now):
        await session.execute(dated(statement, "scheduled_shifts", days))
    if new:
        await session.execute(
            dated(insert(SHIFTS), "scheduled_shifts", days),
            [{"external_id": p.external_id, **dict(zip(FIELDS, _values(p), strict=True)),
              "created_at": now, "updated_at": now} for p in new],
        )  # fmt: skip
    return SchedulesSynced(len(shifts), unassigned, len(new), len(changed), len(gone))


def _values(p: Planned) -> tuple[object, ...]:
    return tuple(getattr(p, f) for f in FIELDS)
