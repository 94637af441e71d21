"""The standards a day's score was computed with: each role's points per item and expected
rate, the idle threshold and the productivity goal.

Today the scores keep no record of them, so every day of a period is shown with the current
roles and settings. This is the one place an export reads them: once each day's score names
the set of standards it was computed with, this function reads those sets instead (a day
without one keeps today's), and nothing else changes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role


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
    score of that day was computed with: today, the current roles (one SELECT) and
    ``current`` settings for every day."""
    del employee_id  # the recorded sets are per score: the employee's, once there are some
    rows = (await session.scalars(select(Role).order_by(Role.key))).all()
    standards = Standards(
        roles={
            r.id: RoleStandards(r.id, r.key, r.name, r.points_per_item, r.expected_per_hour)
            for r in rows
        },
        idle_threshold_minutes=current.idle_threshold_minutes,
        productivity_goal=current.productivity_goal,
    )
    days = (last - first).days + 1
    return {first + timedelta(days=n): standards for n in range(days)}
