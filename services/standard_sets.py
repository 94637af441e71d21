"""The standards a day's scores are computed with, as one content-addressed snapshot.

Every path that writes daily scores (the refresh, a rescore, the demo seeder) makes the
snapshot of what it scores with (``standard_set``) and stamps it (``stamp``: one INSERT
that adds nothing when the same figures were stamped before), then writes its id on each
score. So a score explains itself with the figures it was computed with, whatever changed
since (``services.explanations``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import DateSpec, dated
from db.models import StandardSet as StandardSetRow
from services.leaderboard import MIN_AVAILABLE_MINUTES

STANDARD_SETS: Table = StandardSetRow.__table__  # type: ignore[assignment]


class RoleRow(Protocol):
    """What a snapshot takes of a role (a ``db.models.Role``, or a row of its columns)."""

    @property
    def id(self) -> int: ...

    @property
    def key(self) -> str: ...

    @property
    def points_per_item(self) -> float: ...

    @property
    def expected_per_hour(self) -> float: ...


@dataclass(frozen=True, slots=True)
class RoleFigures:
    """A role's standard as scoring used it (a ``services.scores.RoleStandard``)."""

    role_id: int
    key: str
    points_per_item: float
    expected_per_hour: float


@dataclass(frozen=True, slots=True)
class StandardSet:
    id: str  # the SHA-256 of ``canonical()``
    roles: Mapping[int, RoleFigures]
    idle_threshold_minutes: float
    productivity_goal: float
    leaderboard_min_available_minutes: float
    first_used_at: datetime | None = None  # when scores were first computed with it

    @property
    def idle_threshold(self) -> timedelta:
        return timedelta(minutes=self.idle_threshold_minutes)


def standard_set(
    *, roles: Iterable[RoleRow], idle_threshold: timedelta, goal: float
) -> StandardSet:
    """The snapshot of these figures (every role's, by id), with its content address."""
    figures = {
        r.id: RoleFigures(r.id, r.key, float(r.points_per_item), float(r.expected_per_hour))
        for r in sorted(roles, key=lambda r: r.id)
    }
    idle, goal, board = idle_threshold / timedelta(minutes=1), float(goal), MIN_AVAILABLE_MINUTES
    return StandardSet(_digest(_role_list(figures), idle, goal, board), figures, idle, goal, board)


def _role_list(roles: Mapping[int, RoleFigures]) -> list[dict[str, Any]]:
    return [
        {"id": r.role_id, "key": r.key, "pointsPerItem": r.points_per_item,
         "expectedPerHour": r.expected_per_hour}
        for r in roles.values()
    ]  # fmt: skip


def _digest(roles: list[dict[str, Any]], idle: float, goal: float, board: float) -> str:
    canonical = json.dumps(
        {"roles": roles, "idleThresholdMinutes": idle, "productivityGoal": goal,
         "leaderboardMinAvailableMinutes": board},
        sort_keys=True, separators=(",", ":"),
    )  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


async def stamp(
    *, session: AsyncSession, standards: StandardSet, days: DateSpec, now: datetime
) -> None:
    """The set stored, once: one INSERT that adds nothing when it is there already (the same
    figures, the same id). Dated on the days scored with it (a range or a collection): it
    changes only their cached explanations."""
    row = {
        "id": standards.id, "idle_threshold_minutes": standards.idle_threshold_minutes,
        "productivity_goal": standards.productivity_goal,
        "leaderboard_min_available_minutes": standards.leaderboard_min_available_minutes,
        "roles": _role_list(standards.roles), "created_at": now,
    }  # fmt: skip
    statement = dated(
        insert(STANDARD_SETS).prefix_with("IGNORE", dialect="mysql"), STANDARD_SETS.name,
        days,
    )  # fmt: skip
    await session.execute(statement.prefix_with("OR IGNORE", dialect="sqlite"), [row])


def from_row(row: StandardSetRow) -> StandardSet:
    """A stored set as scoring uses it."""
    roles = {
        int(r["id"]): RoleFigures(
            int(r["id"]), str(r["key"]), float(r["pointsPerItem"]), float(r["expectedPerHour"])
        )
        for r in row.roles
    }
    return StandardSet(
        row.id, roles, row.idle_threshold_minutes, row.productivity_goal,
        row.leaderboard_min_available_minutes, row.created_at,
    )  # fmt: skip
