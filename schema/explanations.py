"""A day's score explained: what it was computed from, with which standards (the standard
set its score names), and how each figure follows (``services.explanations``;
``Employee.scoreExplanation``)."""

from __future__ import annotations

import datetime as dt

import strawberry
from strawberry.utils.str_converters import to_camel_case

from schema.infra.limits.cost import list_size
from schema.infra.numbers import rounded
from services import explanations, standard_sets
from services.scores import FIGURES

PERCENTS = ("productivity", "utilization")  # shown to one decimal, as on DailyScore


@strawberry.type(name="RoleFigures")
class RoleFiguresType:
    role_id: strawberry.Private[int]
    key: str
    points_per_item: float
    expected_per_hour: float


@strawberry.type(name="StandardSet")
class StandardSetType:
    id: str = strawberry.field(
        description="The SHA-256 of its figures: the same figures, the same id."
    )
    first_used_at: dt.datetime | None = strawberry.field(
        description="When scores were first computed with it."
    )
    roles: list[RoleFiguresType] = strawberry.field(metadata=list_size(20))
    idle_threshold_minutes: float
    productivity_goal: float
    leaderboard_min_available_minutes: float

    @classmethod
    def of(cls, found: standard_sets.StandardSet) -> StandardSetType:
        return cls(
            id=found.id,
            first_used_at=found.first_used_at,
            roles=[
                RoleFiguresType(
                    role_id=r.role_id,
                    key=r.key,
                    points_per_item=r.points_per_item,
                    expected_per_hour=r.expected_per_hour,
                )
                for r in found.roles.values()
            ],
            idle_threshold_minutes=found.idle_threshold_minutes,
            productivity_goal=found.productivity_goal,
            leaderboard_min_available_minutes=found.leaderboard_min_available_minutes,
        )


@strawberry.type(name="TimeSpan")
class TimeSpanType:
    start: dt.datetime
    end: dt.datetime
    minutes: float

    @classmethod
    def of(cls, span: explanations.Span) -> TimeSpanType:
        return cls(start=span.start, end=span.end, minutes=round(span.minutes, 2))


@strawberry.type(name="CountedClockRecord")
class CountedClockRecordType:
    clock_in: dt.datetime
    clock_out: dt.datetime | None = strawberry.field(description="Null: still clocked in.")
    counted_until: dt.datetime = strawberry.field(
        description="The clock-out; for an open record the instant of the computation; at "
        "most 16 hours after clock-in."
    )
    minutes: float
    capped: bool = strawberry.field(description="Whether the 16-hour cap cut it.")
    breaks: list[TimeSpanType] = strawberry.field(
        description="Its breaks inside it (an open one to its end), overlaps merged.",
        metadata=list_size(5),
    )

    @classmethod
    def of(cls, clock: explanations.ClockCounted) -> CountedClockRecordType:
        return cls(
            clock_in=clock.clock_in,
            clock_out=clock.clock_out,
            counted_until=clock.counted.end,
            minutes=round(clock.counted.minutes, 2),
            capped=clock.capped,
            breaks=[TimeSpanType.of(b) for b in clock.breaks],
        )


@strawberry.type(name="ScoreGap")
class ScoreGapType:
    start: dt.datetime
    end: dt.datetime
    minutes: float
    idle: bool = strawberry.field(description="Whether it lasts at least the idle threshold.")


@strawberry.type(name="RoleScoreLine")
class RoleScoreLineType:
    key: str = strawberry.field(description="The role's key in the standard set.")
    items: int
    points_per_item: float
    points: float = strawberry.field(description="items x pointsPerItem")
    expected_per_hour: float
    earned_minutes: float = strawberry.field(description="items x 60 / expectedPerHour")


@strawberry.type(name="FigureInput")
class FigureInputType:
    name: str = strawberry.field(
        description="A role's key, an interval (ISO 8601 start/end, UTC), or a figure."
    )
    value: float


@strawberry.type(name="ScoreFigure")
class ScoreFigureType:
    name: str = strawberry.field(description="The DailyScore field.")
    value: float | None = strawberry.field(description="As DailyScore shows it.")
    formula: str
    inputs: list[FigureInputType] = strawberry.field(metadata=list_size(20))

    @classmethod
    def of(cls, figure: explanations.Figure) -> ScoreFigureType:
        shown = rounded(figure.value) if figure.name in PERCENTS else rounded(figure.value, 2)
        return cls(
            name=to_camel_case(figure.name),
            value=shown,
            formula=figure.formula,
            inputs=[FigureInputType(name=n, value=round(v, 2)) for n, v in figure.inputs],
        )


@strawberry.type(name="ScoreExplanation")
class ScoreExplanationType:
    date: dt.date
    computed_at: dt.datetime = strawberry.field(
        description="When the score was computed: open clock records count up to it."
    )
    agrees_with_score: bool = strawberry.field(
        description="Whether the day's stored score has these figures: false when the day's "
        "activities or clock records changed since it was computed (its next refresh agrees)."
    )
    standards: StandardSetType = strawberry.field(
        description="The standards the score was computed with."
    )
    idle_threshold_minutes: float
    clock_records: list[CountedClockRecordType] = strawberry.field(metadata=list_size(5))
    active_windows: list[TimeSpanType] = strawberry.field(
        description="The activity windows, overlaps merged.", metadata=list_size(50)
    )
    outside_available: list[TimeSpanType] = strawberry.field(
        description="The parts of the activity windows outside every clock record or on a "
        "break: active time, but not utilization.",
        metadata=list_size(20),
    )
    gaps: list[ScoreGapType] = strawberry.field(
        description="Available time no activity window covers.", metadata=list_size(50)
    )
    roles: list[RoleScoreLineType] = strawberry.field(metadata=list_size(20))
    figures: list[ScoreFigureType] = strawberry.field(
        description=f"Each DailyScore figure ({len(FIGURES)}), its formula and its inputs.",
        metadata=list_size(len(FIGURES)),
    )

    @classmethod
    def of(
        cls, date: dt.date, explained: explanations.Explanation, agrees: bool
    ) -> ScoreExplanationType:
        return cls(
            date=date,
            computed_at=explained.computed_at,
            agrees_with_score=agrees,
            standards=StandardSetType.of(explained.standards),
            idle_threshold_minutes=explained.standards.idle_threshold_minutes,
            clock_records=[CountedClockRecordType.of(c) for c in explained.clocks],
            active_windows=[TimeSpanType.of(s) for s in explained.windows],
            outside_available=[TimeSpanType.of(s) for s in explained.outside_available],
            gaps=[
                ScoreGapType(
                    start=g.span.start, end=g.span.end, minutes=round(g.span.minutes, 2),
                    idle=g.idle,
                )
                for g in explained.gaps
            ],
            roles=[
                RoleScoreLineType(
                    key=r.key, items=r.items, points_per_item=r.points_per_item,
                    points=round(r.points, 2), expected_per_hour=r.expected_per_hour,
                    earned_minutes=round(r.earned_minutes, 2),
                )
                for r in explained.roles
            ],
            figures=[ScoreFigureType.of(f) for f in explained.figures],
        )  # fmt: skip
