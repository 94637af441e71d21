"""Fixtures: the same tests run against SQLite and, when available, a real MariaDB + Redis.

``scripts/test`` starts MariaDB and Redis on loopback and exports ``PRODHUB_TEST_MYSQL_URL``
and ``PRODHUB_TEST_REDIS_URL``; with ``PRODHUB_TEST_REQUIRE_MARIADB=1`` a missing one is an
error instead of a smaller run.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio
from sqlalchemy import delete, event

from db.engine import Database
from db.migrate import upgrade
from db.models import Base
from prodhub.app import create_app
from prodhub.settings import Settings

# The developer's own configuration must not leak into the tests.
for _name in [
    n for n in os.environ if n.startswith("PRODHUB_") and not n.startswith("PRODHUB_TEST_")
]:
    del os.environ[_name]

MYSQL_URL = os.environ.get("PRODHUB_TEST_MYSQL_URL")
REDIS_URL = os.environ.get("PRODHUB_TEST_REDIS_URL")
if os.environ.get("PRODHUB_TEST_REQUIRE_MARIADB") == "1" and not (MYSQL_URL and REDIS_URL):
    raise RuntimeError("PRODHUB_TEST_REQUIRE_MARIADB=1 but MariaDB/Redis URLs are not set")

BACKENDS = ["sqlite", *(["mariadb"] if MYSQL_URL else [])]


@dataclass
class Backend:
    name: str
    settings: Settings
    db: Database


@pytest.fixture(scope="session")
def sqlite_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sqlite") / "test.db"


_backends: dict[str, Backend] = {}


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


@pytest.fixture(params=BACKENDS)
async def backend(request: pytest.FixtureRequest, sqlite_path: Path) -> AsyncIterator[Backend]:
    chosen = await _backend(request.param, sqlite_path)
    yield chosen
    async with chosen.db.session() as session, session.begin():
        for table in reversed(Base.metadata.sorted_tables):
            await session.execute(delete(table))
    if chosen.settings.redis_url:
        async with redis.asyncio.Redis.from_url(chosen.settings.redis_url) as client:
            await client.flushdb()


@pytest.fixture(scope="session", autouse=True)
async def _dispose_engines() -> AsyncIterator[None]:
    yield
    for chosen in _backends.values():
        await chosen.db.dispose()


@pytest.fixture
def db(backend: Backend) -> Database:
    return backend.db


@dataclass
class StatementCounter:
    """Counts SQL statements sent to the database while ``counting`` is on."""

    statements: list[str] = field(default_factory=list)
    counting: bool = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.counting:
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def statements(db: Database) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(db.engine.sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(db.engine.sync_engine, "before_cursor_execute", counter)


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def execute(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post("/graphql", json={"query": query, "variables": variables})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        body = await self.execute(query, **variables)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result


NOW = datetime(2026, 11, 20, 20, 30, tzinfo=UTC)  # 14:30 in Chicago, a Friday


@pytest.fixture
def now() -> datetime:
    """The instant every request in a test sees; override the fixture to move it."""
    return NOW


@pytest.fixture
async def client(backend: Backend, now: datetime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(backend.settings, backend.db, clock=lambda: now)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http
    await app.state.close_clients()


@pytest.fixture
def gql(client: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(client)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
