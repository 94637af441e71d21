"""A session that commits a write notifies the database's listeners; nothing else does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update

from db import models
from db.engine import Database
from tests import factories


class Calls:
    def __init__(self) -> None:
        self.count = 0

    async def __call__(self) -> None:
        self.count += 1


@pytest.fixture
def calls(db: Database) -> Iterator[Calls]:
    listener = Calls()
    remove = db.add_write_listener(listener)
    yield listener
    remove()


async def test_an_orm_insert_notifies_once(db: Database, calls: Calls) -> None:
    await factories.team(db)

    assert calls.count == 1


async def test_a_bulk_update_notifies_once(db: Database, calls: Calls) -> None:
    async with db.session() as session, session.begin():
        await session.execute(update(models.Team).values(name="Renamed"))
        await session.execute(update(models.Role).values(name="Renamed"))

    assert calls.count == 1


async def test_reads_do_not_notify(db: Database, calls: Calls) -> None:
    async with db.session() as session:
        await session.scalar(select(func.count()).select_from(models.Team))

    assert calls.count == 0


async def test_a_rolled_back_write_does_not_notify(db: Database, calls: Calls) -> None:
    async with db.session() as session:
        session.add(models.Team(key="t", name="T", timezone="UTC"))
        await session.flush()
        await session.rollback()

    async with db.session() as session:
        teams = await session.scalar(select(func.count()).select_from(models.Team))
    assert (teams, calls.count) == (0, 0)


async def test_listeners_are_awaited_before_the_session_block_ends(
    db: Database, calls: Calls
) -> None:
    async with db.session() as session, session.begin():
        await session.execute(update(models.Team).values(name="Renamed"))
        assert calls.count == 0  # not before the commit

    assert calls.count == 1


async def test_a_removed_listener_is_not_called(db: Database) -> None:
    listener = Calls()
    db.add_write_listener(listener)()

    await factories.team(db)

    assert listener.count == 0
