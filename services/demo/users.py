"""Demo sign-ins, one per role, so a fresh demo can be tried in GraphiQL at once.

Their password is public (it is in the README): ``prodhub seed-demo`` refuses to run in
production.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from services.passwords import DEMO_PASSWORD
from services.users import UserRole, create_user

DOMAIN = "@demo.example"
PASSWORD = DEMO_PASSWORD  # accepted outside production only
ADMIN, MANAGER, EMPLOYEE = (f"{name}{DOMAIN}" for name in ("admin", "manager", "employee"))


async def add_demo_users(*, session: AsyncSession) -> list[str]:
    """An admin, the manager of the first team, and the first active employee; their emails."""
    team = await session.scalar(select(models.Team.id).order_by(models.Team.key).limit(1))
    employee = await session.scalar(
        select(models.Employee.id).where(models.Employee.active).order_by(models.Employee.code)
    )
    await create_user(
        session=session, email=ADMIN, password=PASSWORD, role=UserRole.ADMIN, production=False
    )
    await create_user(
        session=session,
        email=MANAGER,
        password=PASSWORD,
        role=UserRole.MANAGER,
        team_ids=[team] if team is not None else [],
        production=False,
    )
    await create_user(
        session=session,
        email=EMPLOYEE,
        password=PASSWORD,
        role=UserRole.EMPLOYEE,
        employee_id=employee,
        production=False,
    )
    return [ADMIN, MANAGER, EMPLOYEE]


async def has_demo_users(*, session: AsyncSession) -> bool:
    """Whether the data is the demo's: its sign-ins are there."""
    found = await session.scalar(select(models.User.id).where(models.User.email == ADMIN))
    return found is not None


async def remove_demo_users(*, session: AsyncSession) -> None:
    await session.execute(delete(models.User).where(models.User.email.endswith(DOMAIN)))
