"""``updateUser``: change a user's email, role, teams, employee record or whether they may
sign in (admins; audited). A change of any but the email ends the user's tokens."""

from __future__ import annotations

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
from services.user_admin import KEEP, UserChange
from services.users import UserRole


@strawberry.input(
    name="UpdateUserInput", description="The user `id`, and what to change; the rest stays."
)
class UpdateUserInputType:
    id: strawberry.ID
    email: Maybe[str] = None
    role: Maybe[UserRoleType] = None  # type: ignore[valid-type]
    team_ids: Maybe[list[strawberry.ID]] = strawberry.field(
        default=None, description="The teams a MANAGER manages, all of them (replaces the list)."
    )
    employee_id: Maybe[strawberry.ID | None] = strawberry.field(
        default=None, description="The employee record the user is; null unlinks it."
    )
    active: Maybe[bool] = strawberry.field(
        default=None, description="False: the user cannot sign in, and their tokens end."
    )


async def update_user(info: Info, input: UpdateUserInputType) -> UserPayloadType:
    async def work() -> User:
        change = UserChange(
            user_id=db_id(input.id, UserType, "id"),
            email=input.email.value if input.email else None,
            role=UserRole(input.role.value) if input.role else None,
            team_ids=team_db_ids(input.team_ids.value) if input.team_ids else None,
            employee_id=employee_db_id(input.employee_id.value) if input.employee_id else KEEP,
            active=input.active.value if input.active else None,
        )
        return await resolve.update_user(info.context, change)

    return await answer(work)
