"""How a day's score was reached, from the very computation that scored it.

``explain_day`` takes the rows of one employee-day (activities, clock records with their
breaks), the standard set its score was computed with and the instant it was computed at,
and runs ``services.scores.count_day`` on them, the engine the refresh runs: what it shows
(the clock intervals and breaks as counted, the activity windows merged, the gaps in
available time and which were idle, each role's items, points and earned minutes, each
figure with its formula and the numbers that went in) is what the score is made of, and its
totals are the score's. Plain dataclasses, no GraphQL: the API and the exports read them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.intervals import Interval, minutes, subtract
from services.scores import FIGURES, ClockSample, DayCount, DayScore, Work, count_day
from services.standard_sets import RoleFigures, StandardSet


@dataclass(frozen=True, slots=True)
class Span:
    start: datetime
    end: datetime

    @property
    def minutes(self) -> float:
        return minutes([(self.start, self.end)])

    @property
    def label(self) -> str:
        """ISO 8601's ``start/end``, in UTC."""
        return f"{_instant(self.start)}/{_instant(self.end)}"


@dataclass(frozen=True, slots=True)
class ClockCounted:
    """A clock record as scoring counted it."""

    clock_in: datetime
    clock_out: datetime | None  # None: still open
    counted: Span  # to the clock-out, or the computation's instant when open; at most 16 h
    capped: bool  # cut at 16 h after clock-in
    breaks: list[Span]  # its breaks inside it (an open one to its end), overlaps merged


@dataclass(frozen=True, slots=True)
class Gap:
    """Available time no activity window covers: idle from the idle threshold on."""

    span: Span
    idle: bool


@dataclass(frozen=True, slots=True)
class RoleLine:
    role_id: int
    key: str
    items: int
    points_per_item: float
    points: float  # items x points per item
    expected_per_hour: float  # 0: no engineered standard, no earned minutes
    earned_minutes: float  # items x 60 / expected per hour


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure of the daily score, its formula and the numbers that went in."""

    name: str  # the daily score's field (``services.scores.FIGURES``)
    value: float | None
    formula: str
    # (name, value): per role its key, per interval its ISO 8601 ``start/end``, else the
    # figure's name as the API spells it (``earnedMinutes``)
    inputs: list[tuple[str, float]]


@dataclass(frozen=True, slots=True)
class Explanation:
    standards: StandardSet
    computed_at: datetime  # open clock records count up to this instant
    clocks: list[ClockCounted]
    windows: list[Span]  # the activity windows, overlaps merged
    outside_available: list[Span]  # the parts of those outside every clock record or on a break
    gaps: list[Gap]
    roles: list[RoleLine]
    figures: list[Figure]  # in ``FIGURES`` order
    score: DayScore

    def agrees_with(self, stored: Mapping[str, Any]) -> bool:
        """Whether the stored score has these figures (not when the day's rows changed since
        it was computed: its next refresh agrees)."""
        return all(_same(getattr(self.score, name), stored[name]) for name in FIGURES)


def explain_day(
    *,
    work: Sequence[Work],
    clocks: Sequence[ClockSample],
    standards: StandardSet,
    now: datetime,
) -> Explanation:
    """The day of these rows, scored with ``standards`` at ``now`` (the score's own
    ``updated_at`` to explain a stored score). A role the set does not know (made after the
    score was computed) counts with no points and no rate."""
    roles: dict[int, RoleFigures] = {
        w.role_id: RoleFigures(w.role_id, "", 0.0, 0.0)
        for w in work
        if w.role_id not in standards.roles
    }
    roles.update(standards.roles)
    day = count_day(
        work=work, clocks=clocks, roles=roles, now=now, idle_threshold=standards.idle_threshold
    )
    lines = [
        RoleLine(r.role_id, roles[r.role_id].key, r.items, r.points_per_item, r.points,
                 r.expected_per_hour, r.earned_minutes)
        for r in day.roles
    ]  # fmt: skip
    return Explanation(
        standards=standards,
        computed_at=now,
        clocks=_clocks(clocks, day, now),
        windows=_spans(day.windows),
        outside_available=_spans(subtract(day.windows, day.available)),
        gaps=[Gap(Span(*gap), gap[1] - gap[0] >= day.idle_threshold) for gap in day.gaps],
        roles=lines,
        figures=_figures(day, lines, standards),
        score=day.score,
    )


def _clocks(clocks: Sequence[ClockSample], day: DayCount, now: datetime) -> list[ClockCounted]:
    return [
        ClockCounted(clock.clock_in, clock.clock_out, Span(*shift),
                     shift[1] < (clock.clock_out or now), _spans(breaks))
        for clock, shift, breaks in zip(clocks, day.shifts, day.breaks, strict=True)
    ]  # fmt: skip


def _figures(day: DayCount, roles: list[RoleLine], standards: StandardSet) -> list[Figure]:
    score = day.score
    threshold = f"{standards.idle_threshold_minutes:g}"
    per_role = {
        "items_processed": [(r.key, float(r.items)) for r in roles],
        "points_earned": [(r.key, r.points) for r in roles],
        "earned_minutes": [(r.key, r.earned_minutes) for r in roles],
    }
    intervals = {
        "active_minutes": day.windows,
        "clocked_minutes": day.shifts,
        "break_minutes": [piece for pieces in day.breaks for piece in pieces],
        "available_minutes": day.available,
        "idle_minutes": score.idle_periods,
    }
    formulas = {
        "items_processed": "the sum of the items of the day's activities, per role",
        "points_earned": "the sum over roles of items x points per item",
        "earned_minutes": "the sum over roles of items x 60 / expected items per hour "
        "(a role without an expected rate earns none)",
        "active_minutes": "the length of the activity windows, overlaps counted once",
        "clocked_minutes": "the sum over clock records of clock-out (an open record: the "
        "instant of the computation; at most 16 hours after clock-in) - clock-in",
        "break_minutes": "the sum of the breaks inside their clock records",
        "available_minutes": "the length of the clock intervals less their breaks, "
        "overlapping records counted once",
        "idle_minutes": "the sum of the gaps in available time that no activity window "
        f"covers and that last at least the idle threshold of {threshold} minutes",
    }
    inputs = per_role | {
        name: [(Span(*i).label, minutes([i])) for i in spans] for name, spans in intervals.items()
    }
    return [
        *(Figure(n, getattr(score, n), text, inputs[n]) for n, text in formulas.items()),
        _productivity(score),
        _utilization(score, day.working),
    ]


def _productivity(score: DayScore) -> Figure:
    earned = ("earnedMinutes", score.earned_minutes)
    if score.available_minutes > 0:
        formula = "earned minutes / available minutes x 100"
        return Figure(
            "productivity", score.productivity, formula,
            [earned, ("availableMinutes", score.available_minutes)],
        )  # fmt: skip
    if score.active_minutes > 0:
        formula = "no available time: earned minutes / active minutes x 100"
        return Figure(
            "productivity", score.productivity, formula,
            [earned, ("activeMinutes", score.active_minutes)],
        )  # fmt: skip
    return Figure("productivity", None, "no available and no active time: none", [])


def _utilization(score: DayScore, working: list[Interval]) -> Figure:
    if score.available_minutes <= 0:
        return Figure("utilization", None, "no available time: none", [])
    return Figure(
        "utilization", score.utilization,
        "minutes of activity inside available time / available minutes x 100",
        [("activeMinutesInsideAvailable", minutes(working)),
         ("availableMinutes", score.available_minutes)],
    )  # fmt: skip


def _spans(intervals: Sequence[Interval]) -> list[Span]:
    return [Span(start, end) for start, end in intervals]


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _same(computed: float | int | None, stored: float | int | None) -> bool:
    if computed is None or stored is None:
        return computed is stored
    return math.isclose(computed, stored, rel_tol=1e-9, abs_tol=1e-9)
