"""``upsertRole``: create a role, or change the one with this key (admins; audited)."""

from __future__ import annotations

import strawberry

from resolvers import roles as resolve
from resolvers.context import Info
from schema.infra.payloads import PayloadErrorType, outcome
from schema.roles import RoleType
from services.roles import RoleIn


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


async def upsert_role(info: Info, input: RoleInputType) -> RolePayloadType:
    role = RoleIn(
        key=input.key,
        name=input.name,
        points_per_item=input.points_per_item,
        expected_per_hour=input.expected_per_hour,
    )
    result = await outcome(resolve.upsert_role(info.context, role))
    if isinstance(result, list):
        return RolePayloadType(role=None, created=False, errors=result)
    return RolePayloadType(role=RoleType.from_row(result.row), created=result.created, errors=[])
