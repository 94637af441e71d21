"""Flags: review items raised by the scoring rules, never automatic discipline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from db import models
from resolvers.context import Info
from schema.activities import ActivityType
from schema.employees import EmployeeType
from schema.infra.relay import Node, global_id
from schema.teams import TeamType
from services.flags import FlagResolution, FlagRule, FlagStatus

FlagRuleType = strawberry.enum(FlagRule, name="FlagRule")
FlagStatusType = strawberry.enum(FlagStatus, name="FlagStatus")
FlagResolutionType = strawberry.enum(FlagResolution, name="FlagResolution")


@strawberry.type(
    name="Flag",
    description="Something for a person to look at: a rule a day's data broke, never discipline.",
)
class FlagType(Node):
    rule: FlagRuleType  # type: ignore[valid-type]
    status: FlagStatusType  # type: ignore[valid-type]
    work_date: dt.date
    details: JSON = strawberry.field(description="What the rule saw (rates, minutes, ids).")
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution_note: str | None
    employee_id: strawberry.Private[int]
    team_id: strawberry.Private[int | None]
    activity_id: strawberry.Private[int | None]
    resolved_by_user_id: strawberry.Private[int | None]

    @strawberry.field
    async def employee(self, info: Info) -> EmployeeType:
        row = await info.context.loaders.by_id(models.Employee).load(self.employee_id)
        assert row is not None, "flags reference existing employees (foreign key)"
        return EmployeeType.seen_by(row, info.context.viewer)

    @strawberry.field(description="The employee's team when the flag was raised.")
    async def team(self, info: Info) -> TeamType | None:
        if self.team_id is None:
            return None
        row = await info.context.loaders.by_id(models.Team).load(self.team_id)
        return TeamType.from_row(row) if row else None

    @strawberry.field(description="The activity the flag is about, for rules about one.")
    async def activity(self, info: Info) -> ActivityType | None:
        if self.activity_id is None:
            return None
        row = await info.context.loaders.by_id(models.Activity).load(self.activity_id)
        return ActivityType.from_row(row) if row else None

    @strawberry.field(
        description="The email of who resolved or dismissed it (an admin or a manager)."
    )
    async def resolved_by(self, info: Info) -> str | None:
        if self.resolved_by_user_id is None:
            return None
        row = await info.context.loaders.by_id(models.User).load(self.resolved_by_user_id)
        return row.email if row else None

    @classmethod
    def from_row(cls, row: models.Flag) -> FlagType:
        details: Any = row.details  # the JSON scalar's annotation is not a type mypy knows
        return cls(
            id=global_id(cls, row.id),
            rule=FlagRule(row.rule),
            status=FlagStatus(row.status),
            work_date=row.work_date,
            details=details,
            created_at=row.created_at,
            resolved_at=row.resolved_at,
            resolution_note=row.resolution_note,
            employee_id=row.employee_id,
            team_id=row.team_id,
            activity_id=row.activity_id,
            resolved_by_user_id=row.resolved_by_user_id,
        )
