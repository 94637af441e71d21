"""Connecteam's users for admins, and mapping one to an employee."""

from __future__ import annotations

from collections.abc import Sequence

from db.models import ConnecteamUser, Employee
from resolvers.context import Context
from services.connecteam import roster


async def listed_users(ctx: Context) -> Sequence[ConnecteamUser]:
    return await ctx.db.read(lambda session: roster.listed_users(session=session))


async def map_employee(ctx: Context, employee_id: int, user_id: str) -> Employee:
    return await ctx.db.write(
        lambda session: roster.map_employee(
            session=session, actor=ctx.viewer, employee_id=employee_id, user_id=user_id
        )
    )
