"""Clock records and their breaks."""

from __future__ import annotations

import datetime as dt

import strawberry

from db import models
from loaders.clock_records import BreaksByClockRecordLoader
from resolvers.context import Info
from schema.infra.limits.cost import list_size
from schema.infra.nodes import NodeKind
from schema.infra.relay import Node, global_id


@strawberry.type(name="ClockBreak")
class ClockBreakType:
    start: dt.datetime
    end: dt.datetime | None


@strawberry.input(name="BreakInput", description="A break inside its clock record.")
class BreakInputType:
    start: dt.datetime
    end: dt.datetime


@strawberry.type(name="ClockRecord")
class ClockRecordType(Node):
    clock_in: dt.datetime
    clock_out: dt.datetime | None
    work_date: dt.date
    source: str
    voided_at: dt.datetime | None = strawberry.field(
        description="When an admin voided it: a void record counts for nothing."
    )
    db_id: strawberry.Private[int]

    @strawberry.field(metadata=list_size(5))
    async def breaks(self, info: Info) -> list[ClockBreakType]:
        rows = await info.context.loaders.of(BreaksByClockRecordLoader).load(self.db_id)
        return [ClockBreakType(start=row.start, end=row.end) for row in rows]

    @classmethod
    def from_row(cls, row: models.ClockRecord) -> ClockRecordType:
        return cls(
            id=global_id(cls, row.id),
            db_id=row.id,
            clock_in=row.clock_in,
            clock_out=row.clock_out,
            work_date=row.work_date,
            source=row.source,
            voided_at=row.voided_at,
        )


NODES = (NodeKind(ClockRecordType, models.ClockRecord, owner=lambda row: row.employee_id),)
