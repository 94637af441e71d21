"""Flags: review items raised by the scoring rules, never automatic discipline; the list to
review, and resolving one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from db import models
from resolvers import flags as resolve
from resolvers import sessions
from resolvers.context import Info
from schema.activities import ActivityType
from schema.employees import EmployeeType
from schema.infra.cache_control import cached
from schema.infra.nodes import NodeKind
from schema.infra.payloads import Errors, PayloadErrorType, answered
from schema.infra.permissions import SignedIn
from schema.infra.relay import (
    Connection,
    Node,
    connection_of,
    expect_global_id,
    global_id,
    optional_global_id,
)
from schema.teams import TeamType
from services import flags as flag_service
from services.flags import FlagResolution, FlagRule, FlagStatus

# strawberry.enum makes the class itself the GraphQL enum; the alias keeps the *Type name.
strawberry.enum(FlagRule, name="FlagRule")
FlagRuleType = FlagRule
strawberry.enum(FlagStatus, name="FlagStatus")
FlagStatusType = FlagStatus
strawberry.enum(FlagResolution, name="FlagResolution")
FlagResolutionType = FlagResolution


@strawberry.type(
    name="Flag",
    description="Something for a person to look at: a rule a day's data broke, never discipline.",
)
class FlagType(Node):
    rule: FlagRuleType
    status: FlagStatusType
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


NODES = (NodeKind(FlagType, models.Flag, owner=lambda row: row.employee_id),)


@strawberry.type(name="FlagPayload")
class FlagPayloadType:
    flag: FlagType | None
    errors: list[PayloadErrorType]

    @classmethod
    def of(cls, row: models.Flag | None, errors: Errors) -> FlagPayloadType:
        return cls(flag=FlagType.from_row(row) if row else None, errors=errors)


@strawberry.type
class FlagQueries:
    @strawberry.field(
        description="Flags to review, newest work date first: a team's (teamId) or all the "
        "viewer may see (managers: their teams'; admins: everyone's; employees: their own, "
        "with how they were resolved); page size at most 100.",
        permission_classes=[SignedIn],
        directives=cached(60),
    )
    async def flags(
        self,
        info: Info,
        status: FlagStatusType | None = None,
        team_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[FlagType]:
        page = await resolve.flag_page(
            info.context,
            status=status,
            team_id=optional_global_id(team_id, TeamType),
            first=first,
            after=after,
        )
        return connection_of(page, FlagType.from_row)


@strawberry.type
class FlagMutations:
    @strawberry.mutation(
        permission_classes=[SignedIn],
        description="Close an open flag as RESOLVED or DISMISSED, with a note (audited): "
        "admins any flag, managers their teams' (others: FORBIDDEN); the score refresh leaves "
        "it closed.",
    )
    async def resolve_flag(
        self,
        info: Info,
        id: strawberry.ID,
        resolution: FlagResolutionType,
        note: str | None = None,
    ) -> FlagPayloadType:
        flag_id = expect_global_id(id, FlagType)
        ctx = info.context
        work = sessions.change(
            ctx,
            flag_service.resolve_flag,
            flag_id=flag_id,
            resolution=resolution,
            note=note,
            now=ctx.now,
        )
        return await answered(work, FlagPayloadType.of)
