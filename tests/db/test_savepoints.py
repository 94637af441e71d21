"""A savepoint is part of its transaction: a unit of work that fails after one rolls back what
the savepoint wrote too, on SQLite as on MariaDB, even when the savepoint is its first
statement (with the SQLite driver's own transaction handling, a SAVEPOINT outside a
transaction began one of SQLite's, and its RELEASE committed it)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from db.engine import Database
from services.upserts import upsert_by_key
from services.users import UserRole, create_user
from tests import helpers
from tests.helpers import ADMIN

EMAIL = "savepoint@example.com"


class Refused(Exception):
    """What a unit of work raises after its savepoint, such as a rule checked later."""


async def count(db: Database, model: type[models.User | models.Team]) -> int:
    async with db.read_session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_a_user_created_in_a_failed_unit_of_work_is_not_kept(db: Database) -> None:
    async def create_then_fail(session: AsyncSession) -> None:
        # its first statement is the SAVEPOINT (the password is hashed off the database)
        await create_user(
            session=session,
            email=EMAIL,
            password="a long and unusual passphrase 7",
            role=UserRole.ADMIN,
        )
        raise Refused()

    with pytest.raises(Refused):
        await db.write(create_then_fail)

    assert await count(db, models.User) == 0


async def test_a_team_upserted_in_a_failed_unit_of_work_is_not_kept(db: Database) -> None:
    await helpers.users(db, ADMIN)  # whom the audit entry names

    async def upsert_then_fail(session: AsyncSession) -> None:
        created = await upsert_by_key(
            session=session, actor=ADMIN, model=models.Team, key=models.Team.key,
            value="savepoint", fields={"name": "Savepoint", "timezone": "America/Chicago"},
        )  # fmt: skip
        assert created.created
        raise Refused()

    with pytest.raises(Refused):
        await db.write(upsert_then_fail)

    assert await count(db, models.Team) == 0
