"""Team reads and changes."""

from __future__ import annotations

from collections.abc import Sequence

from db.models import Team
from resolvers.context import Context
from services.teams import TeamIn, list_teams
from services.teams import upsert_team as upsert
from services.upserts import Upserted


async def all_teams(ctx: Context) -> Sequence[Team]:
    rows = await ctx.db.read(lambda session: list_teams(session=session))
    ctx.loaders.by_id(Team).prime_rows(rows)
    return rows


async def upsert_team(ctx: Context, team: TeamIn) -> Upserted[Team]:
    return await ctx.db.write(
        lambda session: upsert(
            session=session,
            actor=ctx.viewer,
            team=team,
            company_timezone=ctx.settings.timezone,
        )
    )
