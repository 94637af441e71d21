"""Who is asking: ``viewer``."""

from __future__ import annotations

import strawberry

from db import models
from resolvers.context import Info
from schema.employees import EmployeeType
from schema.teams import TeamType
from services.users import UserRole
from services.viewers import Permission, Viewer

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
        if self.employee_id is None:
            return None
        row = await info.context.loaders.by_id(models.Employee).load(self.employee_id)
        return EmployeeType.from_row(row) if row else None

    @strawberry.field(description="The teams a manager manages.")
    async def teams(self, info: Info) -> list[TeamType]:
        loader = info.context.loaders.by_id(models.Team)
        rows = [await loader.load(team_id) for team_id in sorted(self.team_ids)]
        return [TeamType.from_row(row) for row in rows if row is not None]

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
