"""Activities, and the day's totals per role."""

from __future__ import annotations

import datetime as dt

import strawberry

from db import models
from loaders.activities import RoleTotal
from resolvers.context import Info
from schema.infra.relay import Node, global_id
from schema.roles import RoleType


@strawberry.type(name="Activity")
class ActivityType(Node):
    items_count: int
    window_start: dt.datetime
    window_end: dt.datetime
    work_date: dt.date
    source: str
    external_ref: str | None
    voided_at: dt.datetime | None
    role_id: strawberry.Private[int]

    @strawberry.field
    async def role(self, info: Info) -> RoleType:
        row = await info.context.loaders.by_id(models.Role).load(self.role_id)
        assert row is not None, "activities reference existing roles (foreign key)"
        return RoleType.from_row(row)

    @classmethod
    def from_row(cls, row: models.Activity) -> ActivityType:
        return cls(
            id=global_id(cls, row.id),
            items_count=row.items_count,
            window_start=row.window_start,
            window_end=row.window_end,
            work_date=row.work_date,
            source=row.source,
            external_ref=row.external_ref,
            voided_at=row.voided_at,
            role_id=row.role_id,
        )


@strawberry.type(name="RoleTotal", description="Items and points of one role on one work date.")
class RoleTotalType:
    role: RoleType
    items: int
    activities: int
    points: float
    earned_minutes: float

    @classmethod
    def from_row(cls, row: RoleTotal) -> RoleTotalType:
        return cls(
            role=RoleType.from_row(row.role),
            items=row.items,
            activities=row.activities,
            points=round(row.points, 2),
            earned_minutes=round(row.earned_minutes, 2),
        )
