"""Team reads."""

from __future__ import annotations

from collections.abc import Sequence

from db.models import Team
from resolvers.context import Context
from services.teams import list_teams


async def all_teams(ctx: Context) -> Sequence[Team]:
    rows = await ctx.db.read(lambda session: list_teams(session=session))
    ctx.loaders.by_id(Team).prime_rows(rows)
    return rows
