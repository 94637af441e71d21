"""Roles: activity types with their points and engineered standard; an admin's upsert."""

from __future__ import annotations

from functools import lru_cache

import strawberry

from db import models
from resolvers import sessions
from resolvers.context import Info
from schema.infra.cache_control import cached
from schema.infra.nodes import NodeKind
from schema.infra.payloads import Errors, PayloadErrorType, answered
from schema.infra.permissions import IsAdmin, SignedIn
from schema.infra.relay import Node, global_id
from services import roles as role_service
from services.upserts import Upserted


@strawberry.type(name="Role")
class RoleType(Node):
    key: str
    name: str
    points_per_item: float
    expected_per_hour: float = strawberry.field(
        description="Engineered standard: items per hour of this activity."
    )
    db_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Role) -> RoleType:
        """A role as the API shows it: one object for the same values, however many times a
        response names it (a breakdown names each role once per employee)."""
        return _role_type(row.id, row.key, row.name, row.points_per_item, row.expected_per_hour)


@lru_cache(maxsize=1024)
def _role_type(
    db_id: int, key: str, name: str, points_per_item: float, expected_per_hour: float
) -> RoleType:
    return RoleType(
        id=global_id(RoleType, db_id),
        db_id=db_id,
        key=key,
        name=name,
        points_per_item=points_per_item,
        expected_per_hour=expected_per_hour,
    )


NODES = (NodeKind(RoleType, models.Role),)


@strawberry.input(name="RoleInput")
class RoleInputType:
    key: str
    name: str
    points_per_item: float
    expected_per_hour: float = strawberry.field(
        description="Engineered standard, items per hour; 0 when there is none."
    )


@strawberry.type(name="RolePayload")
class RolePayloadType:
    role: RoleType | None
    created: bool = strawberry.field(description="Whether the key was new.")
    errors: list[PayloadErrorType]

    @classmethod
    def of(cls, found: Upserted[models.Role] | None, errors: Errors) -> RolePayloadType:
        if found is None:
            return cls(role=None, created=False, errors=errors)
        return cls(role=RoleType.from_row(found.row), created=found.created, errors=errors)


@strawberry.type
class RoleQueries:
    @strawberry.field(permission_classes=[SignedIn], directives=cached(300))
    async def roles(self, info: Info) -> list[RoleType]:
        rows = await sessions.listed(info.context, role_service.list_roles, models.Role)
        return [RoleType.from_row(row) for row in rows]


@strawberry.type
class RoleMutations:
    @strawberry.mutation(permission_classes=[IsAdmin])
    async def upsert_role(self, info: Info, input: RoleInputType) -> RolePayloadType:
        role = role_service.RoleIn(
            key=input.key,
            name=input.name,
            points_per_item=input.points_per_item,
            expected_per_hour=input.expected_per_hour,
        )
        work = sessions.change(info.context, role_service.upsert_role, role=role)
        return await answered(work, RolePayloadType.of)
