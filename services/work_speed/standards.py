"""The standards a day's score was computed with: each role's points per item and expected
rate, the idle threshold and the productivity goal.

Each day's score names the standard set it was computed with (``services.standard_sets``):
a day is shown with that set, whatever changed since; a day without one (no score yet, or a
score from before the sets were recorded) with the current roles and settings. This is the
one place an export reads them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import DailyScore, Role
from db.models import StandardSet as StandardSetRow
from services.standard_sets import RoleFigures, from_row


@dataclass(frozen=True, slots=True)
class RoleStandards:
    role_id: int
    key: str
    name: str
    points_per_item: float
    expected_per_hour: float  # items per hour; 0: the role has no engineered standard


@dataclass(frozen=True)
class Standards:
    roles: Mapping[int, RoleStandards]
    idle_threshold_minutes: float  # a gap in available time this long or longer is idle
    productivity_goal: float  # percent: a worked day at or above it counts toward a streak


@dataclass(frozen=True)
class CurrentSettings:
    """What the settings say now (``PRODHUB_IDLE_THRESHOLD_MINUTES``,
    ``PRODHUB_PRODUCTIVITY_GOAL``)."""

    idle_threshold_minutes: float
    productivity_goal: float


async def standards_applied(
    *,
    session: AsyncSession,
    employee_id: int,
    first: date,
    last: date,
    current: CurrentSettings,
) -> Mapping[date, Standards]:
    """Each day from ``first`` to ``last`` (both included) with the standards ``employee_id``'s
    score of that day was computed with, else the current ones: two SELECTs (the current
    roles, for their names and the days without a set; the period's scores' sets)."""
    rows = (await session.scalars(select(Role).order_by(Role.key))).all()
    names = {r.id: r.name for r in rows}
    today = Standards(
        roles={
            r.id: RoleStandards(r.id, r.key, r.name, r.points_per_item, r.expected_per_hour)
            for r in rows
        },
        idle_threshold_minutes=float(current.idle_threshold_minutes),
        productivity_goal=current.productivity_goal,
    )
    recorded = await session.execute(
        select(DailyScore.work_date, StandardSetRow)
        .join(StandardSetRow, StandardSetRow.id == DailyScore.standard_set_id)
        .where(DailyScore.employee_id == employee_id, DailyScore.work_date.between(first, last))
    )
    by_day: dict[date, Standards] = {}
    sets: dict[str, Standards] = {}
    for work_date, row in recorded:
        if row.id not in sets:
            stored = from_row(row)
            sets[row.id] = Standards(
                # a role made after the day was scored: today's figures, until it is rescored
                roles=dict(today.roles)
                | {r.role_id: _recorded(r, names) for r in stored.roles.values()},
                idle_threshold_minutes=stored.idle_threshold_minutes,
                productivity_goal=stored.productivity_goal,
            )
        by_day[work_date] = sets[row.id]
    days = (last - first).days + 1
    dates = (first + timedelta(days=n) for n in range(days))
    return {d: by_day.get(d, today) for d in dates}


def _recorded(role: RoleFigures, names: Mapping[int, str]) -> RoleStandards:
    name = names.get(role.role_id, role.key)  # a role's name is not a standard: today's
    return RoleStandards(role.role_id, role.key, name, role.points_per_item, role.expected_per_hour)
