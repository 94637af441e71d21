"""Fixtures: the same tests run against SQLite and, when available, a real MariaDB + Redis.

``scripts/test`` starts MariaDB and Redis on loopback and exports ``PRODHUB_TEST_MYSQL_URL``
and ``PRODHUB_TEST_REDIS_URL``; with ``PRODHUB_TEST_REQUIRE_MARIADB=1`` a missing one is an
error instead of a smaller run. Shared helpers live in ``tests/helpers.py``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import httpx
import pytest
import redis.asyncio
from sqlalchemy import delete

from bench.faults import processes
from core.settings import Settings
from db.engine import Database
from db.migrate import upgrade
from db.models import Base
from prodhub.app import create_app
from prodhub.resources import Resources, build_resources
from tests.helpers import (
    ADMIN,
    MYSQL_URL,
    NOW,
    REDIS_URL,
    Backend,
    GraphQLClient,
    ServerStatements,
    StatementCounter,
    admin_client,
    bearer,
    warm_reads,
)

# The developer's own configuration must not leak into the tests.
for _name in [
    n for n in os.environ if n.startswith("PRODHUB_") and not n.startswith("PRODHUB_TEST_")
]:
    del os.environ[_name]

if os.environ.get("PRODHUB_TEST_REQUIRE_MARIADB") == "1" and not (MYSQL_URL and REDIS_URL):
    raise RuntimeError("PRODHUB_TEST_REQUIRE_MARIADB=1 but MariaDB/Redis URLs are not set")

BACKENDS = ["sqlite", *(["mariadb"] if MYSQL_URL else [])]
_backends: dict[str, Backend] = {}


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sqlite") / "test.db"


async def _backend(name: str, sqlite_path: Path) -> Backend:
    if name not in _backends:
        if name == "sqlite":
            settings = Settings(database_url=f"sqlite+aiosqlite:///{sqlite_path}")
        else:
            assert MYSQL_URL is not None
            settings = Settings(database_url=MYSQL_URL, redis_url=REDIS_URL)
        database = Database(settings)
        await upgrade(database.engine)
        _backends[name] = Backend(name, settings, database)
    return _backends[name]


@asynccontextmanager
async def _isolated(chosen: Backend) -> AsyncIterator[Backend]:
    """The backend for one test; afterwards the tables the test wrote are emptied (only those:
    a test costs the server a DELETE per table it touched, not one per table there is)."""
    written: set[str] = set()

    async def note(tables: frozenset[str]) -> None:
        written.update(tag.partition("@")[0] for tag in tables)

    stop_noting = chosen.db.add_write_listener(note)
    try:
        yield chosen
    finally:
        stop_noting()
        if written:
            async with chosen.db.session() as session, session.begin():
                for table in reversed(Base.metadata.sorted_tables):
                    if table.name in written:
                        await session.execute(delete(table))
        if chosen.settings.redis_url:
            async with redis.asyncio.Redis.from_url(chosen.settings.redis_url) as client:
                await client.flushdb()


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, sqlite_path: Path) -> AsyncIterator[Backend]:
    """Each test that asks for it runs on SQLite and on MariaDB + Redis."""
    async with _isolated(await _backend(request.param, sqlite_path)) as chosen:
        yield chosen


@pytest.fixture
async def mariadb(sqlite_path: Path) -> AsyncIterator[Backend]:
    """For the few tests about MariaDB itself (what its server counts, dropped connections)."""
    if not MYSQL_URL:
        pytest.skip("needs MariaDB (scripts/test starts one)")
    async with _isolated(await _backend("mariadb", sqlite_path)) as chosen:
        yield chosen


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[processes.Redis]:
    """A Redis of the test's own (the fault tests): no other test flushes its queues meanwhile,
    and it may be put behind a fault proxy."""
    server = processes.Redis(tmp_path / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
async def _dispose_engines() -> AsyncIterator[None]:
    yield
    for chosen in _backends.values():
        await chosen.db.dispose()


@pytest.fixture
def db(backend: Backend) -> Database:
    return backend.db


@pytest.fixture
def statements(db: Database) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    counter.attach(db)
    yield counter
    counter.detach(db)


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[ServerStatements | None]:
    counter = ServerStatements(MYSQL_URL) if MYSQL_URL else None
    yield counter
    if counter is not None:
        counter.close()


@pytest.fixture
async def server(
    backend: Backend, mariadb_server: ServerStatements | None
) -> ServerStatements | None:
    """The server's own statement counter on MariaDB (its read pool warm: ``warm_reads``);
    None on SQLite, which has no server."""
    if backend.name != "mariadb":
        return None
    await warm_reads(backend.db)
    return mariadb_server


@pytest.fixture
def now() -> datetime:
    """The instant every request in a test sees; override the fixture to move it."""
    return NOW


@pytest.fixture
async def resources(backend: Backend) -> AsyncIterator[Resources]:
    built = build_resources(backend.settings, db=backend.db)
    yield built
    await built.aclose()


@pytest.fixture
async def client(resources: Resources, now: datetime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(resources, clock=lambda: now)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    """A client signed in as an admin, who sees everything; ``signed_in_as`` for others."""
    return GraphQLClient(client, bearer(ADMIN))


@pytest.fixture
async def uncached(backend: Backend) -> AsyncIterator[GraphQLClient]:
    """A client of an app without the response cache: every request is computed."""
    async with admin_client(backend, cache_ttl_seconds=0) as client:
        yield client
