"""``updateUser``: change a user's email, role, teams, employee record or whether they may
sign in (admins; audited). A change of any but the email ends the user's tokens."""

from __future__ import annotations

from typing import TypeVar

import strawberry
from strawberry import Maybe

from db.models import User
from resolvers import users as resolve
from resolvers.context import Info
from schema.mutations.create_user import (
    UserPayloadType,
    answer,
    db_id,
    employee_db_id,
    team_db_ids,
)
from schema.users import UserRoleType, UserType
from services.errors import BadInput
from services.user_admin import KEEP, UserChange
from services.users import UserRole

T = TypeVar("T")


@strawberry.input(
    name="UpdateUserInput",
    description="The user `id`, and what to change; what is left out stays. Only `employeeId` "
    "may be null (it unlinks the record).",
)
class UpdateUserInputType:
    id: strawberry.ID
    email: Maybe[str | None] = None
    role: Maybe[UserRoleType | None] = None  # type: ignore[valid-type]
    team_ids: Maybe[list[strawberry.ID] | None] = strawberry.field(
        default=None, description="The teams a MANAGER manages, all of them (replaces the list)."
    )
    employee_id: Maybe[strawberry.ID | None] = strawberry.field(
        default=None, description="The employee record the user is; null unlinks it."
    )
    active: Maybe[bool | None] = strawberry.field(
        default=None, description="False: the user cannot sign in, and their tokens end."
    )


def given(value: Maybe[T | None], field: str) -> T | None:
    """What the input gives (None: left out); a null where only a value may go is refused
    (GraphQL lets a nullable input be null, and a null here would say nothing)."""
    if value is None:
        return None
    if value.value is None:
        raise BadInput(f"`{field}` cannot be null: leave it out to keep it", field=field)
    return value.value


async def update_user(info: Info, input: UpdateUserInputType) -> UserPayloadType:
    async def work() -> User:
        role = given(input.role, "role")
        team_ids = given(input.team_ids, "teamIds")
        change = UserChange(
            user_id=db_id(input.id, UserType, "id"),
            email=given(input.email, "email"),
            role=UserRole(role) if role is not None else None,
            team_ids=team_db_ids(team_ids) if team_ids is not None else None,
            employee_id=employee_db_id(input.employee_id.value) if input.employee_id else KEEP,
            active=given(input.active, "active"),
        )
        return await resolve.update_user(info.context, change)

    return await answer(work)
