"""A MariaDB primary and a replica of its own (GTID replication, ``bench.faults.replication``),
started once for these tests (a few seconds), and apps reading from it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from bench.faults.processes import MariaDB
from bench.faults.replication import Primary, Replica
from core.settings import Settings
from db import models
from db.engine import Database
from db.migrate import upgrade
from db.replicas import Replicas
from prodhub.app import create_app
from prodhub.resources import Resources, build_resources
from tests.helpers import ADMIN, NOW, ServerStatements, bearer

TEAMS = "{ teams { key name } }"
UPSERT_TEAM = """mutation($input: TeamInput!) { upsertTeam(input: $input) { team { key name } } }"""


@dataclass
class Pair:
    primary: Primary
    replica: Replica

    def settings(self, **overrides: Any) -> Settings:
        return Settings(
            database_url=self.primary.url(), database_replica_urls=[self.replica.url()], **overrides
        )

    def counters(self) -> tuple[ServerStatements, ServerStatements]:
        return ServerStatements(self.primary.url()), ServerStatements(self.replica.url())


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


@asynccontextmanager
async def web(settings: Settings, *, poll_seconds: float = 3600) -> AsyncIterator[App]:
    """An app of its own (a web process: its own engines, cache and replica poller), polled
    by the test (``poll``) unless ``poll_seconds`` says how often in the background."""
    resources = build_resources(settings)
    replicas = resources.db.replicas
    assert replicas is not None
    replicas.poll_seconds = poll_seconds
    app = create_app(resources, clock=lambda: NOW)
    transport = httpx.ASGITransport(app=app)
    try:
        replicas.start()
        await replicas.first_poll()
        yield App(resources, replicas, transport)
    finally:
        await resources.aclose()


@dataclass
class App:
    resources: Resources
    replicas: Replicas
    transport: httpx.ASGITransport

    def client(self, cookies: httpx.Cookies | None = None) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=self.transport, base_url="http://test", cookies=cookies, headers=bearer(ADMIN)
        )


async def teams(client: httpx.AsyncClient) -> tuple[list[dict[str, str]], str | None]:
    """The teams as ``client`` reads them, and how the cache answered."""
    response = await client.post("/graphql", json={"query": TEAMS})
    assert response.status_code == 200, response.text
    return response.json()["data"]["teams"], response.headers.get("x-prodhub-cache")


async def upsert_team(client: httpx.AsyncClient, key: str, name: str) -> None:
    response = await client.post(
        "/graphql", json={"query": UPSERT_TEAM, "variables": {"input": {"key": key, "name": name}}}
    )
    assert response.json()["data"]["upsertTeam"]["team"] == {"key": key, "name": name}


def counting(*counters: ServerStatements) -> None:
    for counter in counters:
        counter.start()


def _made(directory: Path) -> Path:
    directory.mkdir(parents=True)
    return directory
