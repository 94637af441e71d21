"""Teams: the list, and creating or changing one by its key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Team
from services import validation
from services.authentication import Viewer
from services.upserts import Upserted, upsert_by_key


async def list_teams(*, session: AsyncSession) -> Sequence[Team]:
    """Every team, by key."""
    return (await session.scalars(select(Team).order_by(Team.key))).all()


@dataclass(frozen=True)
class TeamIn:
    key: str
    name: str
    timezone: str | None = None  # None: the company's


async def upsert_team(
    *, session: AsyncSession, actor: Viewer, team: TeamIn, company_timezone: str
) -> Upserted[Team]:
    fields = {
        "name": validation.text("name", team.name),
        "timezone": validation.timezone("timezone", team.timezone or company_timezone),
    }
    key = validation.key("key", team.key)
    return await upsert_by_key(
        session=session, actor=actor, model=Team, key=Team.key, value=key, fields=fields
    )
