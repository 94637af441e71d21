"""The daily score of one employee on one work date, as a pure computation.

The scoring jobs feed it rows and persist what it returns; the demo seeder uses it too, so a
seeded database holds the same numbers the engine would compute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Protocol

from services.intervals import Interval, intersect, minutes, subtract, union

# An open clock record counts up to now, and no record counts for more than this.
MAX_SHIFT = timedelta(hours=16)


class RoleStandard(Protocol):
    """What scoring needs of a role (a ``db.models.Role`` is one)."""

    @property
    def points_per_item(self) -> float: ...

    @property
    def expected_per_hour(self) -> float: ...


def points(items: int, role: RoleStandard) -> float:
    """Points for ``items`` of ``role``'s work."""
    return items * role.points_per_item


def earned_minutes(items: int, role: RoleStandard) -> float:
    """The minutes ``items`` take at ``role``'s engineered standard (0 for a role without one)."""
    rate = role.expected_per_hour
    return items * 60 / rate if rate > 0 else 0.0


class Work(Protocol):
    """What scoring needs of an activity (a ``WorkSample``, or the refresh's own rows)."""

    @property
    def role_id(self) -> int: ...

    @property
    def items(self) -> int: ...

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


@dataclass(frozen=True, slots=True)
class WorkSample:
    role_id: int
    items: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class ClockSample:
    clock_in: datetime
    clock_out: datetime | None
    breaks: Sequence[tuple[datetime, datetime | None]] = ()


@dataclass(frozen=True, slots=True)
class DayScore:
    items_processed: int
    points_earned: float
    earned_minutes: float
    active_minutes: float
    clocked_minutes: float
    break_minutes: float
    available_minutes: float
    idle_minutes: float
    productivity: float | None
    utilization: float | None
    idle_periods: list[Interval] = field(default_factory=list)

    def figures(self) -> dict[str, float | int | None]:
        """The figures a ``daily_scores`` row stores, by column name (every field but the
        idle periods, which are rows of their own)."""
        return {name: getattr(self, name) for name in FIGURES}


FIGURES = tuple(f.name for f in fields(DayScore) if f.name != "idle_periods")


def clock_interval(clock: ClockSample, now: datetime) -> Interval:
    """The record's interval: open records run to ``now``, every record is capped at 16 h."""
    end = clock.clock_out if clock.clock_out is not None else now
    return clock.clock_in, max(clock.clock_in, min(end, clock.clock_in + MAX_SHIFT))


def compute_day(
    *,
    work: Sequence[Work],
    clocks: Sequence[ClockSample],
    roles: Mapping[int, RoleStandard],
    now: datetime,
    idle_threshold: timedelta,
) -> DayScore:
    items = sum(w.items for w in work)
    earned = sum(earned_minutes(w.items, roles[w.role_id]) for w in work)
    windows = union((w.start, w.end) for w in work)

    shifts = [clock_interval(c, now) for c in clocks]
    breaks = [
        piece
        for clock, shift in zip(clocks, shifts, strict=True)
        for piece in _breaks_inside(clock, shift)
    ]
    available = subtract(shifts, breaks)
    available_minutes = minutes(available)
    active_minutes = minutes(windows)

    idle = [gap for gap in subtract(available, windows) if gap[1] - gap[0] >= idle_threshold]
    return DayScore(
        items_processed=items,
        points_earned=sum(points(w.items, roles[w.role_id]) for w in work),
        earned_minutes=earned,
        active_minutes=active_minutes,
        clocked_minutes=sum(minutes([s]) for s in shifts),
        break_minutes=minutes(breaks),
        available_minutes=available_minutes,
        idle_minutes=minutes(idle),
        productivity=_productivity(earned, available_minutes, active_minutes),
        utilization=(
            minutes(intersect(windows, available)) / available_minutes * 100
            if available_minutes > 0
            else None
        ),
        idle_periods=idle,
    )


def _breaks_inside(clock: ClockSample, shift: Interval) -> list[Interval]:
    """The record's breaks clipped to its interval; an open break runs to the record's end."""
    return intersect([shift], [(start, end or shift[1]) for start, end in clock.breaks])


def _productivity(earned: float, available: float, active: float) -> float | None:
    if available > 0:
        return earned / available * 100
    if active > 0:
        return earned / active * 100
    return None
