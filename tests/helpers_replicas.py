"""What the replica tests share: a primary and its replica (``Pair``), apps of their own
reading from it (``web``), and the reads and writes they count."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from bench.faults.replication import Primary, Replica
from core.settings import Settings
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
