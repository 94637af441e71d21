"""The read path: autocommit connections the server sees nothing but SELECTs on, which
recover by themselves from a connection the server dropped."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from tests import helpers
from tests.helpers import Backend, ServerStatements


async def _one(session: AsyncSession) -> int:
    return int(await session.scalar(text("SELECT 1")) or 0)


async def test_a_read_costs_the_server_its_select_alone(
    mariadb: Backend, mariadb_server: ServerStatements
) -> None:
    await helpers.warm_reads(mariadb.db)

    mariadb_server.start()
    answers = [await mariadb.db.read(_one) for _ in range(5)]
    seen = mariadb_server.stop()

    assert answers == [1] * 5
    assert seen == {
        "Questions": 5,
        "Com_select": 5,
        "Com_commit": 0,
        "Com_rollback": 0,
        "Com_set_option": 0,
        "Com_admin_commands": 0,
    }


async def _connection_id(session: AsyncSession) -> int:
    return int(await session.scalar(text("SELECT CONNECTION_ID()")) or 0)


async def test_a_read_survives_the_server_dropping_its_connection(
    mariadb: Backend, mariadb_server: ServerStatements
) -> None:
    """On a Database of its own: the session's engines keep their connections, so the tests
    after this one count no reconnection."""
    db = Database(mariadb.settings)
    attempts: list[int] = []

    async def counted(session: AsyncSession) -> int:
        attempts.append(len(attempts) + 1)
        return await _one(session)

    try:
        pooled = await db.read(_connection_id)  # the pool now holds this connection
        held = db.read_engine.pool.checkedin()  # type: ignore[attr-defined]
        with mariadb_server.connection.cursor() as cursor:  # a server restart or timeout
            cursor.execute(f"KILL CONNECTION {pooled}")

        answer = await db.read(counted)  # the dead connection fails; the read runs again
        replaced = await db.read(_connection_id)
    finally:
        await db.dispose()

    assert held == 1
    assert attempts == [1, 2]
    assert answer == 1
    assert replaced != pooled
