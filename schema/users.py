"""Who is asking (``viewer``), and the users who sign in (admins manage them)."""

from __future__ import annotations

import strawberry

from db import models
from resolvers.context import Info
from schema.employees import EmployeeType
from schema.infra.relay import Node, global_id
from schema.teams import TeamType
from services.authentication import Permission, Viewer
from services.users import UserRole

UserRoleType = strawberry.enum(UserRole, name="UserRole")
PermissionType = strawberry.enum(Permission, name="Permission")


@strawberry.type(name="Viewer", description="Who is asking, and what they may see.")
class ViewerType:
    authenticated: bool
    email: str | None
    role: UserRoleType | None  # type: ignore[valid-type]
    permissions: list[PermissionType] = strawberry.field(  # type: ignore[valid-type]
        description="What the viewer may do; the server still checks every field."
    )
    employee_id: strawberry.Private[int | None]
    team_ids: strawberry.Private[frozenset[int]]

    @strawberry.field(description="The viewer's own employee record (role EMPLOYEE).")
    async def employee(self, info: Info) -> EmployeeType | None:
        return await _employee(info, self.employee_id)

    @strawberry.field(description="The teams a manager manages.")
    async def teams(self, info: Info) -> list[TeamType]:
        return await _teams(info, self.team_ids)

    @classmethod
    def of(cls, viewer: Viewer) -> ViewerType:
        return cls(
            authenticated=viewer.is_authenticated,
            email=viewer.email,
            role=viewer.role,
            permissions=viewer.permissions,
            employee_id=viewer.employee_id,
            team_ids=viewer.team_ids,
        )


@strawberry.type(
    name="User", description="Someone who signs in (admins see them); never their password."
)
class UserType(Node):
    email: str
    role: UserRoleType  # type: ignore[valid-type]
    active: bool = strawberry.field(description="An inactive user cannot sign in.")
    employee_id: strawberry.Private[int | None]
    team_ids: strawberry.Private[frozenset[int]]

    @strawberry.field(description="The employee record the user is (role EMPLOYEE; optional "
                      "for others).")  # fmt: skip
    async def employee(self, info: Info) -> EmployeeType | None:
        return await _employee(info, self.employee_id)

    @strawberry.field(description="The teams a manager manages.")
    async def teams(self, info: Info) -> list[TeamType]:
        return await _teams(info, self.team_ids)

    @classmethod
    def from_row(cls, row: models.User) -> UserType:
        return cls(
            id=global_id(cls, row.id),
            email=row.email,
            role=UserRole(row.role),
            active=row.active,
            employee_id=row.employee_id,
            team_ids=frozenset(row.team_ids or ()),
        )


async def _employee(info: Info, employee_id: int | None) -> EmployeeType | None:
    if employee_id is None:
        return None
    row = await info.context.loaders.by_id(models.Employee).load(employee_id)
    return EmployeeType.from_row(row) if row else None


async def _teams(info: Info, team_ids: frozenset[int]) -> list[TeamType]:
    """In order of id, loaded together (one batch for every user of a page)."""
    loader = info.context.loaders.by_id(models.Team)
    rows = await loader.load_many(sorted(team_ids))
    return [TeamType.from_row(row) for row in rows if row is not None]
