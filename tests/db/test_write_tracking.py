"""A session that commits a write tells the database's listeners which tables it wrote;
nothing else does, and read sessions refuse to write at all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update

from db import models
from db.engine import Database
from db.sessions import ReadOnlyError
from tests import helpers


class Calls:
    def __init__(self) -> None:
        self.tables: list[frozenset[str]] = []

    async def __call__(self, tables: frozenset[str]) -> None:
        self.tables.append(tables)

    @property
    def count(self) -> int:
        return len(self.tables)


@pytest.fixture
def calls(db: Database) -> Iterator[Calls]:
    listener = Calls()
    remove = db.add_write_listener(listener)
    yield listener
    remove()


async def test_an_orm_insert_notifies_once(db: Database, calls: Calls) -> None:
    await helpers.team(db)

    assert calls.tables == [frozenset({"teams", "teams@*"})]


async def test_a_bulk_update_notifies_once_with_every_table(db: Database, calls: Calls) -> None:
    async with db.session() as session, session.begin():
        await session.execute(update(models.Team).values(name="Renamed"))
        await session.execute(update(models.Role).values(name="Renamed"))

    assert calls.tables == [frozenset({"teams", "teams@*", "roles", "roles@*"})]


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

    await helpers.team(db)

    assert listener.count == 0


async def test_read_sessions_refuse_writes(db: Database, calls: Calls) -> None:
    async with db.read_session() as session:
        with pytest.raises(ReadOnlyError):
            await session.execute(update(models.Team).values(name="Renamed"))
        session.add(models.Team(key="t", name="T", timezone="UTC"))
        with pytest.raises(ReadOnlyError):
            await session.flush()

    async with db.read_session() as session:
        teams = await session.scalar(select(func.count()).select_from(models.Team))
    assert (teams, calls.count) == (0, 0)
