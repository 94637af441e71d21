"""The read path: autocommit connections the server sees nothing but SELECTs on, which
recover by themselves from a connection the server dropped."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

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


async def test_a_read_survives_the_server_dropping_its_connection(
    mariadb: Backend, mariadb_server: ServerStatements
) -> None:
    db = mariadb.db
    await helpers.warm_reads(db)
    pooled = db.read_engine.pool.checkedin()  # type: ignore[attr-defined]
    with mariadb_server.connection.cursor() as cursor:  # what a server restart or timeout does
        cursor.execute(
            "SELECT id FROM information_schema.PROCESSLIST"
            " WHERE user = 'prodhub' AND id <> CONNECTION_ID()"
        )
        for (connection_id,) in cursor.fetchall():
            cursor.execute(f"KILL CONNECTION {int(connection_id)}")

    answer = await db.read(_one)  # the dead connection fails; the read runs again on a new one

    assert pooled >= 1
    assert answer == 1
    assert await db.read(_one) == 1
