"""Reading employees: the keyset-paginated, filterable list."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Employee


async def list_employees(
    *,
    session: AsyncSession,
    limit: int,
    after: tuple[str, int] | None = None,
    team_id: int | None = None,
    search: str | None = None,
    include_inactive: bool = False,
) -> Sequence[Employee]:
    """Employees ordered by (name, id), after the keyset ``after``; at most ``limit`` rows."""
    statement = select(Employee).order_by(Employee.name, Employee.id).limit(limit)
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
        name, last_id = after
        statement = statement.where(
            or_(Employee.name > name, and_(Employee.name == name, Employee.id > last_id))
        )
    return (await session.scalars(statement)).all()
