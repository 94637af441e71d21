"""The engine is built from settings, lazily, one per Database."""

from __future__ import annotations

from sqlalchemy.pool import QueuePool

from core.settings import Settings
from db.engine import Database

MYSQL = "mysql+aiomysql://app:secret@127.0.0.1:1/prodhub"


async def test_mysql_pool_follows_settings_without_connecting() -> None:
    db = Database(
        Settings(
            database_url=MYSQL,
            db_pool_size=7,
            db_max_overflow=3,
            db_pool_recycle_seconds=900,
        )
    )

    writes, reads = db.engine, db.read_engine  # nothing listens on port 1: no connecting here

    for engine, pre_ping in ((writes, True), (reads, False)):
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert (pool.size(), pool._max_overflow, pool._recycle) == (7, 3, 900)
        assert (pool._pre_ping, pool.checkedout()) == (pre_ping, 0)
    # Autocommit reads with no ROLLBACK are shown on a real server in tests/db/test_reads.py.
    assert (reads.dialect.skip_autocommit_rollback, writes.dialect.skip_autocommit_rollback) == (
        True,
        False,
    )
    assert (db.engine, db.read_engine) == (writes, reads)  # one of each per Database
    await db.dispose()
    assert db.is_started is False


def test_nothing_is_built_until_asked() -> None:
    db = Database(Settings(database_url=MYSQL))

    assert db.is_started is False
