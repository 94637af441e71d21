"""The root mutation type."""

from __future__ import annotations

import strawberry

from schema import users
from schema.users import LoginPayloadType


@strawberry.type
class Mutation:
    login: LoginPayloadType = strawberry.mutation(
        resolver=users.login, description="A token for `Authorization: Bearer <token>`."
    )
