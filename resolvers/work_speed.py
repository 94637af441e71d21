"""Work-speed exports: who may ask, the period, the audit entry (committed before any data is
read, let alone sent), then the days, whole for GraphQL or streamed as CSV."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing
from datetime import date

from db.models import Employee, Team
from resolvers.context import Context
from services.errors import Forbidden
from services.users import UserRole
from services.work_speed import csv_export
from services.work_speed.days import ExportDay
from services.work_speed.reads import collected, export_days
from services.work_speed.requests import (
    WHO,
    ExportFormat,
    check_period,
    check_viewer,
    record_export,
)
from services.work_speed.standards import CurrentSettings
from services.workdate import local_date


async def requested(
    ctx: Context, employee_id: int, first: date, last: date, form: ExportFormat
) -> Employee:
    """The employee whose data the viewer may export for this period, the export audited;
    else the refusal (``Forbidden``, ``NotFound``, ``BadInput`` on its field), audited never."""
    viewer = ctx.viewer
    if viewer.role is UserRole.EMPLOYEE and viewer.employee_id != employee_id:
        raise Forbidden(WHO, field="employeeId")  # known without a statement
    employee = check_viewer(viewer, await ctx.loaders.by_id(Employee).load(employee_id))
    team = await ctx.loaders.by_id(Team).load(employee.team_id) if employee.team_id else None
    check_period(first, last, local_date(ctx.now, team.timezone if team else ctx.settings.timezone))
    await ctx.db.write(
        lambda session: record_export(
            session=session, actor=viewer, employee=employee, first=first, last=last, form=form
        )
    )
    return employee


async def export(
    ctx: Context, employee_id: int, first: date, last: date
) -> tuple[Employee, list[ExportDay]]:
    """The period's days, for GraphQL."""
    employee = await requested(ctx, employee_id, first, last, ExportFormat.GRAPHQL)
    days = await ctx.db.read(
        lambda session: collected(
            export_days(session=session, employee_id=employee.id, first=first, last=last,
                        current=_current(ctx))
        )
    )  # fmt: skip
    return employee, days


async def csv_lines(
    ctx: Context, employee: Employee, first: date, last: date
) -> AsyncGenerator[str]:
    """The export as CSV text, the header first, then one day at a time as its rows are read
    (on the primary's read pool: the connection stays busy until the last day is taken)."""
    yield csv_export.header()
    async with ctx.db.read_session() as session:
        days = export_days(
            session=session, employee_id=employee.id, first=first, last=last, current=_current(ctx)
        )
        async with aclosing(days):
            async for day in days:
                yield csv_export.day_csv(day)


def _current(ctx: Context) -> CurrentSettings:
    return CurrentSettings(
        idle_threshold_minutes=ctx.settings.idle_threshold_minutes,
        productivity_goal=ctx.settings.productivity_goal,
    )
