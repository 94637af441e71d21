"""Scheduled shifts, as Connecteam's scheduler planned them."""

from __future__ import annotations

import datetime as dt

import strawberry

from db import models
from resolvers.context import Info
from schema.employees import EmployeeType


@strawberry.type(name="ScheduledShift", description="A shift planned for one employee.")
class ScheduledShiftType:
    start: dt.datetime
    end: dt.datetime
    work_date: dt.date = strawberry.field(description="Its start's date, in the shift's zone.")
    title: str | None
    employee_id: strawberry.Private[int | None]

    @strawberry.field
    async def employee(self, info: Info) -> EmployeeType | None:
        if self.employee_id is None:
            return None
        row = await info.context.loaders.by_id(models.Employee).load(self.employee_id)
        return EmployeeType.seen_by(row, info.context.viewer) if row else None

    @classmethod
    def from_row(cls, row: models.ScheduledShift) -> ScheduledShiftType:
        return cls(start=row.start, end=row.end, work_date=row.work_date, title=row.title,
                   employee_id=row.employee_id)  # fmt: skip
