"""``setPassword``: an admin gives a user a new password (audited); their tokens end."""

from __future__ import annotations

import strawberry

from db.models import User
from resolvers import users as resolve
from resolvers.context import Info
from schema.mutations.create_user import UserPayloadType, answer, db_id
from schema.users import UserType


async def set_password(info: Info, user_id: strawberry.ID, password: str) -> UserPayloadType:
    async def work() -> User:
        return await resolve.set_password(
            info.context, db_id(user_id, UserType, "userId"), password
        )

    return await answer(work)
