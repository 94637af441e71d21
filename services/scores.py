"""The daily score of one employee on one work date, as a pure computation.

The scoring jobs feed it rows and persist what it returns; the demo seeder uses it too, so a
seeded database holds the same numbers the engine would compute; and a score's explanation
(``services.explanations``) shows the very counts the score was made of (``count_day``).
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


@dataclass(frozen=True, slots=True)
class RoleWork:
    """One role's share of a day: its items, at the role's standard."""

    role_id: int
    items: int
    points_per_item: float
    expected_per_hour: float
    points: float
    earned_minutes: float  # items x 60 / expected per hour; 0 for a role without a rate


@dataclass(frozen=True, slots=True)
class DayCount:
    """A day as scoring counts it: every interval and role total its score is made of.

    ``compute_day`` keeps only the score; ``services.explanations`` shows the rest, so the
    score and its explanation are one computation."""

    shifts: list[Interval]  # each clock record as counted (open: to now; at most 16 h)
    breaks: list[list[Interval]]  # each record's breaks, clipped to it and merged
    available: list[Interval]  # the shifts less their breaks, overlapping records once
    windows: list[Interval]  # the activity windows, overlaps merged
    working: list[Interval]  # the windows inside available time
    gaps: list[Interval]  # available time no window covers
    idle_threshold: timedelta
    roles: list[RoleWork]  # by role id
    score: DayScore


def compute_day(
    *,
    work: Sequence[Work],
    clocks: Sequence[ClockSample],
    roles: Mapping[int, RoleStandard],
    now: datetime,
    idle_threshold: timedelta,
) -> DayScore:
    """The day's score (``count_day``'s, without the intervals it was counted from)."""
    return count_day(
        work=work, clocks=clocks, roles=roles, now=now, idle_threshold=idle_threshold
    ).score


def count_day(
    *,
    work: Sequence[Work],
    clocks: Sequence[ClockSample],
    roles: Mapping[int, RoleStandard],
    now: datetime,
    idle_threshold: timedelta,
) -> DayCount:
    """The day counted and scored: items, points and earned minutes per role (summed over
    roles in id order), the clock, break, available, active and idle time."""
    by_role = _role_work(work, roles)
    earned = sum(r.earned_minutes for r in by_role)
    windows = union((w.start, w.end) for w in work)

    shifts = [clock_interval(c, now) for c in clocks]
    record_breaks = [_breaks_inside(c, s) for c, s in zip(clocks, shifts, strict=True)]
    breaks = [piece for pieces in record_breaks for piece in pieces]
    available = subtract(shifts, breaks)
    available_minutes = minutes(available)
    active_minutes = minutes(windows)
    working = intersect(windows, available)
    gaps = subtract(available, windows)

    idle = [gap for gap in gaps if gap[1] - gap[0] >= idle_threshold]
    score = DayScore(
        items_processed=sum(r.items for r in by_role),
        points_earned=sum(r.points for r in by_role),
        earned_minutes=earned,
        active_minutes=active_minutes,
        clocked_minutes=sum(minutes([s]) for s in shifts),
        break_minutes=minutes(breaks),
        available_minutes=available_minutes,
        idle_minutes=minutes(idle),
        productivity=_productivity(earned, available_minutes, active_minutes),
        utilization=(minutes(working) / available_minutes * 100 if available_minutes > 0 else None),
        idle_periods=idle,
    )
    return DayCount(
        shifts, record_breaks, available, windows, working, gaps, idle_threshold, by_role, score
    )


def _role_work(work: Sequence[Work], roles: Mapping[int, RoleStandard]) -> list[RoleWork]:
    """Items per role, then each role's points and earned minutes from its total."""
    items: dict[int, int] = {}
    for w in work:
        items[w.role_id] = items.get(w.role_id, 0) + w.items
    found = []
    for role_id in sorted(items):
        role, n = roles[role_id], items[role_id]
        found.append(
            RoleWork(
                role_id, n, role.points_per_item, role.expected_per_hour,
                points(n, role), earned_minutes(n, role),
            )
        )  # fmt: skip
    return found


def _breaks_inside(clock: ClockSample, shift: Interval) -> list[Interval]:
    """The record's breaks clipped to its interval; an open break runs to the record's end."""
    return intersect([shift], [(start, end or shift[1]) for start, end in clock.breaks])


def _productivity(earned: float, available: float, active: float) -> float | None:
    if available > 0:
        return earned / available * 100
    if active > 0:
        return earned / active * 100
    return None
