"""Reading employees: the keyset-paginated, filterable list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Employee
from services.keyset import Key, Keyset
from services.users import UserRole
from services.viewers import Viewer

# The employee list's order, served by ix_employees_name_id (and _team_id_name_id).
EMPLOYEE_ORDER = Keyset("employees", (Key(Employee.name), Key(Employee.id)))


def visible_to(viewer: Viewer) -> ColumnElement[bool] | None:
    """The employees ``viewer`` may see, as a condition (None: all of them); the same rule as
    ``Viewer.may_see_employee``, for a query."""
    match viewer.role:
        case UserRole.ADMIN:
            return None
        case UserRole.MANAGER if viewer.team_ids:
            return Employee.team_id.in_(sorted(viewer.team_ids))
        case UserRole.EMPLOYEE if viewer.employee_id is not None:
            return Employee.id == viewer.employee_id
    return false()


async def list_employees(
    *,
    session: AsyncSession,
    viewer: Viewer,
    limit: int,
    after: Sequence[Any] | None = None,
    team_id: int | None = None,
    search: str | None = None,
    include_inactive: bool = False,
) -> Sequence[Employee]:
    """At most ``limit`` of the employees ``viewer`` may see, in ``EMPLOYEE_ORDER``, after the
    row with values ``after``."""
    statement = select(Employee).order_by(*EMPLOYEE_ORDER.order_by()).limit(limit)
    if (visible := visible_to(viewer)) is not None:
        statement = statement.where(visible)
    if not include_inactive:
        statement = statement.where(Employee.active.is_(True))
    if team_id is not None:
        statement = statement.where(Employee.team_id == team_id)
    if search:
        statement = statement.where(
            or_(
                Employee.name.icontains(search, autoescape=True),
                Employee.code.icontains(search, autoescape=True),
            )
        )
    if after is not None:
        statement = statement.where(EMPLOYEE_ORDER.after(after))
    return (await session.scalars(statement)).all()
