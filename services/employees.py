"""Employees: the keyset-paginated list the viewer may see, and creating or changing one by
its badge code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from db.models import Employee, Role, Team
from services import audit, validation
from services.authentication import Viewer
from services.errors import Forbidden, NotFound
from services.keyset import Key, Keyset
from services.upserts import Upserted, upsert_by_key
from services.users import UserRole

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


@dataclass(frozen=True)
class EmployeeIn:
    code: str
    name: str
    email: str | None = None
    team_key: str | None = None
    default_role_key: str | None = None
    active: bool = True


async def upsert_employee(
    *, session: AsyncSession, actor: Viewer, employee: EmployeeIn
) -> Upserted[Employee]:
    fields = {
        "name": validation.text("name", employee.name),
        "email": validation.email("email", employee.email),
        "team_id": await _id_of(session, Team, Team.key, employee.team_key, "teamKey"),
        "default_role_id": await _id_of(
            session, Role, Role.key, employee.default_role_key, "defaultRoleKey"
        ),
        "active": employee.active,
    }
    code = validation.code("code", employee.code)
    return await upsert_by_key(
        session=session, actor=actor, model=Employee, key=Employee.code, value=code, fields=fields
    )


async def _id_of(
    session: AsyncSession,
    model: type[Team] | type[Role],
    key: InstrumentedAttribute[str],
    value: str | None,
    field: str,
) -> int | None:
    if value is None:
        return None
    found = await session.scalar(select(model.id).where(key == value))
    if found is None:
        raise NotFound(f"no {model.__tablename__[:-1]} with key {value[:64]!r}", field=field)
    return found


async def set_leaderboard_opt_out(
    *, session: AsyncSession, actor: Viewer, employee_id: int, opt_out: bool
) -> Employee:
    """Whether the employee appears by name on leaderboards: their own choice (admins may
    set it for anyone). Audited."""
    if not (actor.is_admin or actor.employee_id == employee_id):
        raise Forbidden("only the employee (or an admin) chooses this")
    row = await session.scalar(select(Employee).where(Employee.id == employee_id).with_for_update())
    if row is None:
        raise NotFound("no such employee", field="employeeId")
    if row.leaderboard_opt_out != opt_out:
        before = audit.snapshot(row)
        row.leaderboard_opt_out = opt_out
        await session.flush()
        await audit.record(
            session=session, actor=actor, action="leaderboard_opt_out", row=row, before=before
        )
    return row
