"""One day of an export, computed from its rows: pure, so a test, the GraphQL field and the CSV
file all get the same figures.

Per role, the day's items and the time they took: the role's activity windows (its
activities' windows merged where they overlap or touch, each with the items done in it), its
points and earned minutes (``services.scores``' formulas), its active minutes and the rate
achieved over them, beside the standards applied. The day's score figures, idle periods and
flags are the stored ones (written by the day's refresh), as every other screen shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from db.models import DailyScore, IdlePeriod
from services.intervals import minutes
from services.scores import earned_minutes, points
from services.work_speed.standards import RoleStandards, Standards


@dataclass(frozen=True, slots=True)
class ActivityRow:
    """What an export reads of a live activity."""

    role_id: int
    items: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of one role's work: activity windows merged where they overlap or touch."""

    start: datetime
    end: datetime
    items: int

    @property
    def minutes(self) -> float:
        return minutes([(self.start, self.end)])

    @property
    def rate_per_hour(self) -> float | None:
        """Items per hour over the window (None for an empty one)."""
        return self.items * 60 / self.minutes if self.minutes > 0 else None


@dataclass(frozen=True)
class RoleDay:
    standard: RoleStandards
    items: int
    points: float
    earned_minutes: float
    active_minutes: float  # the union of the role's windows
    windows: list[Window]

    @property
    def rate_per_hour(self) -> float | None:
        """Items per hour of the role's active time (None without any)."""
        return self.items * 60 / self.active_minutes if self.active_minutes > 0 else None


@dataclass(frozen=True)
class FlagRow:
    """A review flag as the export shows it, with who resolved it (their email)."""

    id: int
    work_date: date
    rule: str
    status: str
    details: dict[str, Any]
    raised_at: datetime
    resolved_by: str | None
    resolved_at: datetime | None
    resolution_note: str | None


@dataclass(frozen=True)
class ExportDay:
    work_date: date
    idle_threshold_minutes: float
    productivity_goal: float
    score: DailyScore | None  # the stored score; None on a day the refresh has not scored
    roles: list[RoleDay]  # by role key
    idle_periods: list[IdlePeriod]  # by start
    flags: list[FlagRow]  # as raised


def export_day(
    *,
    work_date: date,
    standards: Standards,
    activities: Sequence[ActivityRow],
    score: DailyScore | None,
    idle_periods: Sequence[IdlePeriod],
    flags: Sequence[FlagRow],
) -> ExportDay:
    by_role: dict[int, list[ActivityRow]] = {}
    for activity in activities:
        by_role.setdefault(activity.role_id, []).append(activity)
    roles = [_role_day(standards.roles[role_id], worked) for role_id, worked in by_role.items()]
    return ExportDay(
        work_date=work_date,
        idle_threshold_minutes=standards.idle_threshold_minutes,
        productivity_goal=standards.productivity_goal,
        score=score,
        roles=sorted(roles, key=lambda r: r.standard.key),
        idle_periods=sorted(idle_periods, key=lambda p: p.start),
        flags=list(flags),
    )


def _role_day(standard: RoleStandards, worked: Sequence[ActivityRow]) -> RoleDay:
    items = sum(a.items for a in worked)
    windows = merged(worked)
    return RoleDay(
        standard=standard,
        items=items,
        points=points(items, standard),
        earned_minutes=earned_minutes(items, standard),
        active_minutes=sum(w.minutes for w in windows),
        windows=windows,
    )


def merged(activities: Sequence[ActivityRow]) -> list[Window]:
    """The activities' windows merged where they overlap or touch (as ``intervals.union``
    merges them), each with the items of the activities inside it."""
    windows: list[Window] = []
    for a in sorted(activities, key=lambda a: (a.start, a.end)):
        if windows and a.start <= windows[-1].end:
            last = windows[-1]
            windows[-1] = Window(last.start, max(last.end, a.end), last.items + a.items)
        else:
            windows.append(Window(a.start, a.end, a.items))
    return windows
