"""Role reads."""

from __future__ import annotations

from collections.abc import Sequence

from db.models import Role
from resolvers.context import Context
from services.roles import list_roles


async def all_roles(ctx: Context) -> Sequence[Role]:
    rows = await ctx.db.read(lambda session: list_roles(session=session))
    ctx.loaders.by_id(Role).prime_rows(rows)
    return rows
