"""The standards every worker is scored by, disclosed: each role's points per item and
expected rate, the idle threshold, the productivity goal, who is on each leaderboard, and
when each changed, from what to what.

A role's changes come from the audit log (every ``upsertRole`` records the role before and
after); the idle threshold's, the goal's and the leaderboard minimum's (configuration, not
rows an admin edits) from the standard sets scores were computed with
(``services.standard_sets``): a change is dated when scores were first computed with it.
Three SELECTs, however many roles and changes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog, Role, StandardSet
from services.leaderboard import MIN_AVAILABLE_MINUTES, Metric

ROLE_FIGURES = {"points_per_item": "pointsPerItem", "expected_per_hour": "expectedPerHour"}
SET_FIGURES = {
    "idle_threshold_minutes": "idleThresholdMinutes",
    "productivity_goal": "productivityGoal",
    "leaderboard_min_available_minutes": "leaderboardMinAvailableMinutes",
}


@dataclass(frozen=True, slots=True)
class Change:
    changed_at: datetime
    figure: str  # its name in the API: ``pointsPerItem``, ``idleThresholdMinutes``, ...
    before: float | None  # None: the first value (a role created, a figure first used)
    after: float


@dataclass(frozen=True, slots=True)
class DisclosedRole:
    role: Role
    history: list[Change]  # oldest first

    @property
    def description(self) -> str:
        role = self.role
        rate = role.expected_per_hour
        earned = (
            f"the expected rate is {rate:g} items an hour, so each item earns {60 / rate:g} "
            "minutes of work at standard"
            if rate > 0
            else "it has no expected rate: its items earn points, not minutes"
        )
        return f"Each item of {role.name} earns {role.points_per_item:g} points; {earned}."


@dataclass(frozen=True, slots=True)
class Figure:
    value: float
    description: str
    history: list[Change]  # oldest first


@dataclass(frozen=True, slots=True)
class Board:
    metric: Metric
    min_available_minutes: float | None  # None: everyone with a score is on it
    description: str
    history: list[Change]


@dataclass(frozen=True, slots=True)
class Standards:
    roles: list[DisclosedRole]  # by key
    idle_threshold: Figure
    productivity_goal: Figure
    leaderboards: list[Board]


async def current_standards(
    *, session: AsyncSession, idle_threshold: timedelta, goal: float
) -> Standards:
    """The standards in force (the roles as they are, the configured threshold and goal),
    each with its history."""
    roles = (await session.scalars(select(Role).order_by(Role.key))).all()
    changes = await _role_changes(session)
    history = await _set_changes(session)
    idle = idle_threshold / timedelta(minutes=1)
    board = MIN_AVAILABLE_MINUTES
    return Standards(
        roles=[DisclosedRole(role, changes.get(role.id, [])) for role in roles],
        idle_threshold=Figure(
            idle,
            f"A gap of at least {idle:g} minutes in available time (clocked in, not on a "
            "break) that no activity covers is idle time.",
            history["idleThresholdMinutes"],
        ),
        productivity_goal=Figure(
            goal,
            f"A worked day at or above {goal:g}% productivity (earned / available minutes) "
            "counts toward a streak.",
            history["productivityGoal"],
        ),
        leaderboards=[
            Board(Metric.POINTS, None, "Everyone with a daily score in the period, by the "
                  "sum of their points.", []),
            Board(Metric.ITEMS, None, "Everyone with a daily score in the period, by the sum "
                  "of their items.", []),
            Board(Metric.PRODUCTIVITY, board, f"Those with at least {board:g} available "
                  "minutes in the period, by their earned / available minutes.",
                  history["leaderboardMinAvailableMinutes"]),
        ],
    )  # fmt: skip


async def _role_changes(session: AsyncSession) -> dict[int, list[Change]]:
    """Each role's changes of points per item or expected rate, from its audited upserts."""
    entries = await session.execute(
        select(AuditLog.entity_id, AuditLog.created_at, AuditLog.before, AuditLog.after)
        .where(AuditLog.entity == Role.__tablename__)
        .order_by(AuditLog.created_at, AuditLog.id)
    )
    found: dict[int, list[Change]] = defaultdict(list)
    for entity_id, at, before, after in entries:
        found[int(entity_id)] += _changed(at, before, after)
    return found


def _changed(
    at: datetime, before: dict[str, Any] | None, after: dict[str, Any] | None
) -> list[Change]:
    if not after:
        return []
    return [
        Change(at, name, _number(before, column), float(after[column]))
        for column, name in ROLE_FIGURES.items()
        if column in after and _number(before, column) != float(after[column])
    ]


def _number(values: dict[str, Any] | None, column: str) -> float | None:
    return float(values[column]) if values and values.get(column) is not None else None


async def _set_changes(session: AsyncSession) -> dict[str, list[Change]]:
    """Each configured figure's values as scores were computed with them, oldest first."""
    rows: Sequence[Any] = (
        await session.execute(
            select(StandardSet.created_at, *(getattr(StandardSet, c) for c in SET_FIGURES))
            .order_by(StandardSet.created_at, StandardSet.id)
        )
    ).all()  # fmt: skip
    found: dict[str, list[Change]] = {name: [] for name in SET_FIGURES.values()}
    for at, *values in rows:
        for name, value in zip(SET_FIGURES.values(), values, strict=True):
            before = found[name][-1].after if found[name] else None
            if before != value:
                found[name].append(Change(at, name, before, value))
    return found
