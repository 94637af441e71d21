"""Reading employees: the keyset-paginated, filterable list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Employee
from services.keyset import Key, Keyset

# The employee list's order, served by ix_employees_name_id (and _team_id_name_id).
EMPLOYEE_ORDER = Keyset("employees", (Key(Employee.name), Key(Employee.id)))


async def list_employees(
    *,
    session: AsyncSession,
    limit: int,
    after: Sequence[Any] | None = None,
    team_id: int | None = None,
    search: str | None = None,
    include_inactive: bool = False,
) -> Sequence[Employee]:
    """At most ``limit`` employees in ``EMPLOYEE_ORDER``, after the row with values ``after``."""
    statement = select(Employee).order_by(*EMPLOYEE_ORDER.order_by()).limit(limit)
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
