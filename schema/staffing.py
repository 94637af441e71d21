"""Scheduled shifts, as Connecteam's scheduler planned them, and the staffing plan."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from db import models
from resolvers import staffing as resolve
from resolvers.context import Info
from schema.employees import EmployeeType
from schema.infra.cache_control import cached
from schema.infra.permissions import SignedIn
from schema.infra.relay import expect_global_id
from schema.teams import TeamType
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


FromDate = Annotated[dt.date, strawberry.argument(name="from")]


@strawberry.type
class StaffingQueries:
    @strawberry.field(
        description="A team's scheduled shifts from `from` to `to` (work dates, at most 62 "
        "days), in order of start: every shift to its managers and admins, an employee's own "
        "to them.",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def schedule(
        self, info: Info, team_id: strawberry.ID, from_: FromDate, to: dt.date
    ) -> list[ScheduledShiftType]:
        chosen = expect_global_id(team_id, TeamType)
        rows = await resolve.team_schedule(info.context, chosen, from_, to)
        return [ScheduledShiftType.from_row(row) for row in rows]

    @strawberry.field(
        description="A team's day per local hour: forecast items, staff needed at the roles' "
        "expected rates, staff scheduled and the gap (its managers and admins).",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def staffing_plan(
        self, info: Info, team_id: strawberry.ID, date: dt.date
    ) -> StaffingPlanType:
        chosen = expect_global_id(team_id, TeamType)
        hours = await resolve.staffing_plan(info.context, chosen, date)
        return StaffingPlanType(date=date, hours=[StaffingHourType.of(h) for h in hours])
