"""Role reads and changes."""

from __future__ import annotations

from collections.abc import Sequence

from db.models import Role
from resolvers.context import Context
from services.roles import RoleIn, list_roles
from services.roles import upsert_role as upsert
from services.upserts import Upserted


async def all_roles(ctx: Context) -> Sequence[Role]:
    rows = await ctx.db.read(lambda session: list_roles(session=session))
    ctx.loaders.by_id(Role).prime_rows(rows)
    return rows


async def upsert_role(ctx: Context, role: RoleIn) -> Upserted[Role]:
    return await ctx.db.write(lambda session: upsert(session=session, actor=ctx.viewer, role=role))
