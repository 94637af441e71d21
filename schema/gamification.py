"""Streaks and achievements: what a phone shows an employee about their own progress."""

from __future__ import annotations

import datetime as dt

import strawberry

from db import models
from services.gamification import DESCRIPTIONS, BadgeCode

# strawberry.enum makes the class itself the GraphQL enum; the alias keeps the *Type name.
strawberry.enum(BadgeCode, name="Badge")
BadgeType = BadgeCode


@strawberry.type(name="Streak", description="Consecutive worked days at or above the goal.")
class StreakType:
    current: int = strawberry.field(description="The run ending at the latest finalized day.")
    longest: int
    goal: float = strawberry.field(description="The productivity (percent) a day needs.")
    last_worked_date: dt.date | None = strawberry.field(
        description="The latest finalized day the employee worked."
    )

    @classmethod
    def of(cls, row: models.Streak | None, goal: float) -> StreakType:
        if row is None:  # no finalized day yet
            return cls(current=0, longest=0, goal=goal, last_worked_date=None)
        return cls(
            current=row.current, longest=row.longest, goal=goal, last_worked_date=row.last_worked
        )


@strawberry.type(name="Achievement", description="A badge, awarded once, at finalization.")
class AchievementType:
    badge: BadgeType
    description: str
    work_date: dt.date = strawberry.field(description="The finalized day that earned it.")
    awarded_at: dt.datetime

    @classmethod
    def from_row(cls, row: models.Badge) -> AchievementType:
        badge = BadgeCode(row.badge)
        return cls(
            badge=badge,
            description=DESCRIPTIONS[badge],
            work_date=row.work_date,
            awarded_at=row.awarded_at,
        )
