"""Roles: the list, and creating or changing one by its key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Role
from services import validation
from services.authentication import Viewer
from services.upserts import Upserted, upsert_by_key


async def list_roles(*, session: AsyncSession) -> Sequence[Role]:
    """Every role, by key."""
    return (await session.scalars(select(Role).order_by(Role.key))).all()


@dataclass(frozen=True)
class RoleIn:
    key: str
    name: str
    points_per_item: float
    expected_per_hour: float  # the engineered standard; 0: none (earns no minutes)


async def upsert_role(*, session: AsyncSession, actor: Viewer, role: RoleIn) -> Upserted[Role]:
    fields = {
        "name": validation.text("name", role.name),
        "points_per_item": validation.amount("pointsPerItem", role.points_per_item),
        "expected_per_hour": validation.amount("expectedPerHour", role.expected_per_hour),
    }
    key = validation.key("key", role.key)
    return await upsert_by_key(
        session=session, actor=actor, model=Role, key=Role.key, value=key, fields=fields
    )
