"""Daily scores and idle periods."""

from __future__ import annotations

import datetime as dt

import strawberry

from db import models
from schema.infra.numbers import rounded


@strawberry.type(name="DailyScore")
class DailyScoreType:
    date: dt.date
    items_processed: int
    points_earned: float
    earned_minutes: float
    active_minutes: float
    clocked_minutes: float
    break_minutes: float
    available_minutes: float
    idle_minutes: float
    productivity: float | None = strawberry.field(
        description="Earned / available minutes, in percent."
    )
    utilization: float | None = strawberry.field(
        description="Active minutes inside available time, in percent."
    )
    is_final: bool
    updated_at: dt.datetime

    @classmethod
    def from_row(cls, row: models.DailyScore) -> DailyScoreType:
        return cls(
            date=row.work_date,
            items_processed=row.items_processed,
            points_earned=round(row.points_earned, 2),
            earned_minutes=round(row.earned_minutes, 2),
            active_minutes=round(row.active_minutes, 2),
            clocked_minutes=round(row.clocked_minutes, 2),
            break_minutes=round(row.break_minutes, 2),
            available_minutes=round(row.available_minutes, 2),
            idle_minutes=round(row.idle_minutes, 2),
            productivity=rounded(row.productivity),
            utilization=rounded(row.utilization),
            is_final=row.is_final,
            updated_at=row.updated_at,
        )


@strawberry.type(name="IdlePeriod")
class IdlePeriodType:
    start: dt.datetime
    end: dt.datetime
    minutes: float

    @classmethod
    def from_row(cls, row: models.IdlePeriod) -> IdlePeriodType:
        return cls(start=row.start, end=row.end, minutes=round(row.minutes, 2))
