"""Reading roles."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role


async def list_roles(*, session: AsyncSession) -> Sequence[Role]:
    """Every role, by key."""
    return (await session.scalars(select(Role).order_by(Role.key))).all()
