"""A MariaDB primary and a replica of its own (GTID replication, ``bench.faults.replication``),
started once for these tests (a few seconds)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete

from bench.faults.processes import MariaDB
from bench.faults.replication import Primary, Replica
from core.settings import Settings
from db import models
from db.engine import Database
from db.migrate import upgrade
from tests.helpers import ADMIN
from tests.helpers_replicas import Pair


@pytest.fixture(scope="session")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    if not MariaDB.available():
        if os.environ.get("PRODHUB_TEST_REQUIRE_MARIADB") == "1":
            raise RuntimeError("PRODHUB_TEST_REQUIRE_MARIADB=1 but MariaDB is not installed")
        pytest.skip("needs MariaDB installed (mariadbd): scripts/test installs it")
    root = tmp_path_factory.mktemp("replication")
    primary = Primary(_made(root / "primary")).install()
    replica = Replica(_made(root / "replica"))
    try:
        replica.install().follow(primary)
        yield Pair(primary, replica)
    finally:
        replica.stop()
        primary.stop()


@pytest.fixture(scope="session")
async def migrated(pair: Pair) -> Pair:
    database = Database(Settings(database_url=pair.primary.url()))
    await upgrade(database.engine)
    async with database.session() as session, session.begin():
        session.add(
            models.User(id=ADMIN.user_id, email=ADMIN.email, password_hash="-", role="ADMIN")
        )
    await database.dispose()
    pair.replica.catch_up(pair.primary)
    return pair


@pytest.fixture
async def clean(migrated: Pair) -> AsyncIterator[Pair]:
    """The pair, replicating, without teams afterwards."""
    yield migrated
    migrated.replica.resume()
    migrated.replica.catch_up(migrated.primary)
    database = Database(Settings(database_url=migrated.primary.url()))
    async with database.session() as session, session.begin():
        await session.execute(delete(models.AuditLog))
        await session.execute(delete(models.Team))
    await database.dispose()
    migrated.replica.catch_up(migrated.primary)


def _made(directory: Path) -> Path:
    directory.mkdir(parents=True)
    return directory
