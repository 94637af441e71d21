"""``changePassword``: the signed-in user's new password, given the current one (audited).
Every token of theirs ends with it, the one that asked too: they sign in again."""

from __future__ import annotations

from db.models import User
from resolvers import users as resolve
from resolvers.context import Info
from schema.mutations.create_user import UserPayloadType, answer


async def change_password(info: Info, old_password: str, new_password: str) -> UserPayloadType:
    async def work() -> User:
        return await resolve.change_password(info.context, old_password, new_password)

    return await answer(work)
