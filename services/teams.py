"""Reading teams."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Team


async def list_teams(*, session: AsyncSession) -> Sequence[Team]:
    """Every team, by key."""
    return (await session.scalars(select(Team).order_by(Team.key))).all()
