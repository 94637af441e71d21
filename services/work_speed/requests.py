"""What an export request may ask for, and its audit entry.

A period is ``from`` to ``to``, both included: at most ``MAX_DAYS`` days, ``to`` not before
``from`` and not after today (the employee's local date). Who may ask: admins for anyone,
managers for their teams' employees, an employee for themselves (``Viewer.may_see_employee``).
Every export is audited (who, for whom, which period, which format) in a transaction of its
own, committed before any of its data is sent."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog, Employee
from services import audit
from services.authentication import Viewer
from services.errors import BadInput, Forbidden, NotFound

MAX_DAYS = 90
ACTION = "export_work_speed"
WHO = "an employee's work-speed data is for them, their team's managers and admins"


class ExportFormat(StrEnum):
    GRAPHQL = "GRAPHQL"
    CSV = "CSV"


def check_period(first: date, last: date, today: date) -> None:
    """``BadInput`` on the field at fault when the period is not one an export covers."""
    if last < first:
        raise BadInput("`to` is before `from`", field="to")
    if last > today:
        raise BadInput(f"`to` is after today, {today.isoformat()}", field="to")
    if (last - first).days + 1 > MAX_DAYS:
        earliest = last - timedelta(days=MAX_DAYS - 1)
        raise BadInput(
            f"an export covers at most {MAX_DAYS} days: `from` is {earliest.isoformat()} "
            "at the earliest for this `to`",
            field="from",
        )


def check_viewer(viewer: Viewer, employee: Employee | None) -> Employee:
    """The employee, when ``viewer`` may export their data; else ``Forbidden``. One that does
    not exist is refused the same way, so that nobody learns who exists, but to admins, who
    see everyone: to them it is ``NotFound``."""
    if employee is None:
        if viewer.is_admin:
            raise NotFound("no such employee", field="employeeId")
        raise Forbidden(WHO, field="employeeId")
    if not viewer.may_see_employee(employee.id, employee.team_id):
        raise Forbidden(WHO, field="employeeId")
    return employee


async def record_export(
    *,
    session: AsyncSession,
    actor: Viewer,
    employee: Employee,
    first: date,
    last: date,
    form: ExportFormat,
) -> AuditLog:
    """The audit entry of an export, in the caller's transaction."""
    return await audit.record(
        session=session,
        actor=actor,
        action=ACTION,
        row=employee,
        before=None,
        after={"employee_id": employee.id, "from": first.isoformat(), "to": last.isoformat(),
               "format": form.value},
    )  # fmt: skip
