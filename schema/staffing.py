"""Scheduled shifts, as Connecteam's scheduler planned them, and the staffing plan."""

from __future__ import annotations

import datetime as dt

import strawberry

from db import models
from resolvers.context import Info
from schema.employees import EmployeeType
from services.staffing.plan import StaffingHour


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


@strawberry.type(name="StaffingHour", description="One local hour of a staffing plan.")
class StaffingHourType:
    start: dt.datetime
    hour: int = strawberry.field(description="The local hour, 0-23.")
    forecast_items: float = strawberry.field(
        description="Mean items of this weekday and hour over the last 4 weeks."
    )
    staff_needed: float = strawberry.field(
        description="People for the forecast at the roles' expected rates."
    )
    staff_scheduled: float = strawberry.field(description="People-hours scheduled in the hour.")
    gap: float = strawberry.field(description="Scheduled - needed: below 0, short of people.")

    @classmethod
    def of(cls, hour: StaffingHour) -> StaffingHourType:
        return cls(start=hour.start, hour=hour.hour, forecast_items=hour.forecast_items,
                   staff_needed=hour.staff_needed, staff_scheduled=hour.staff_scheduled,
                   gap=hour.gap)  # fmt: skip


@strawberry.type(name="StaffingPlan")
class StaffingPlanType:
    date: dt.date
    hours: list[StaffingHourType]
