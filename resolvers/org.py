"""Reads of the reference tables (teams, roles) and of single nodes by global id."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from db.models import Employee, Role, Team
from resolvers.context import Context


async def all_teams(ctx: Context) -> Sequence[Team]:
    async with ctx.db.session() as session:
        rows = (await session.scalars(select(Team).order_by(Team.key))).all()
    ctx.loaders.team_by_id.prime_rows(rows)
    return rows


async def all_roles(ctx: Context) -> Sequence[Role]:
    async with ctx.db.session() as session:
        rows = (await session.scalars(select(Role).order_by(Role.key))).all()
    ctx.loaders.role_by_id.prime_rows(rows)
    return rows


async def employee_by_id(ctx: Context, db_id: int) -> Employee | None:
    return await ctx.loaders.employee_by_id.load(db_id)
