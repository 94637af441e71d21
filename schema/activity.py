"""Activities, role totals and clock records."""

from __future__ import annotations

import datetime as dt

import strawberry

from db import models
from loaders.activity import RoleTotal as RoleTotalRow
from schema.context import Info
from schema.org import Role
from schema.relay import Node, to_global_id


@strawberry.type
class Activity(Node):
    items_count: int
    window_start: dt.datetime
    window_end: dt.datetime
    work_date: dt.date
    source: str
    external_ref: str | None
    voided_at: dt.datetime | None
    role_id: strawberry.Private[int]

    @strawberry.field
    async def role(self, info: Info) -> Role:
        row = await info.context.loaders.role_by_id.load(self.role_id)
        assert row is not None, "activities reference existing roles (foreign key)"
        return Role.from_row(row)

    @classmethod
    def from_row(cls, row: models.Activity) -> Activity:
        return cls(
            id=to_global_id("Activity", row.id),
            items_count=row.items_count,
            window_start=row.window_start,
            window_end=row.window_end,
            work_date=row.work_date,
            source=row.source,
            external_ref=row.external_ref,
            voided_at=row.voided_at,
            role_id=row.role_id,
        )


@strawberry.type(description="Items and points of one role on one work date.")
class RoleTotal:
    role: Role
    items: int
    activities: int
    points: float
    earned_minutes: float

    @classmethod
    def from_row(cls, row: RoleTotalRow) -> RoleTotal:
        return cls(
            role=Role.from_row(row.role),
            items=row.items,
            activities=row.activities,
            points=round(row.points, 2),
            earned_minutes=round(row.earned_minutes, 2),
        )


@strawberry.type
class ClockBreak:
    start: dt.datetime
    end: dt.datetime | None


@strawberry.type
class ClockRecord(Node):
    clock_in: dt.datetime
    clock_out: dt.datetime | None
    work_date: dt.date
    source: str
    db_id: strawberry.Private[int]

    @strawberry.field
    async def breaks(self, info: Info) -> list[ClockBreak]:
        rows = await info.context.loaders.breaks_by_clock_record.load(self.db_id)
        return [ClockBreak(start=row.start, end=row.end) for row in rows]

    @classmethod
    def from_row(cls, row: models.ClockRecord) -> ClockRecord:
        return cls(
            id=to_global_id("ClockRecord", row.id),
            db_id=row.id,
            clock_in=row.clock_in,
            clock_out=row.clock_out,
            work_date=row.work_date,
            source=row.source,
        )
