"""A write whose cache invalidation failed, in a process that never looks anything up (a
worker): once Redis answers again, no other process serves what it changed. Two sets of
resources on MariaDB and a Redis of the test's own: a web app (the reader, straight to Redis)
and a writer whose Redis is behind a ``FaultProxy``, with engines of its own (its writes'
listeners are its own, as in another process)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from bench.faults import processes
from bench.faults.proxy import FaultProxy
from cache.breaker import State
from db import models
from prodhub.app import create_app
from prodhub.graphql_requests import CACHE_HEADER
from prodhub.resources import build_resources
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, bearer

pytestmark = pytest.mark.skipif(
    not processes.Redis.available(), reason="needs redis-server (scripts/test installs it)"
)

NAME = "query Name($code: String!) { employees(search: $code) { edges { node { name } } } }"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[processes.Redis]:
    server = processes.Redis(tmp_path / "redis").start()
    yield server
    server.stop()


async def test_a_failed_invalidation_is_settled_by_the_writer_once_redis_is_back(
    mariadb: Backend, own_redis: processes.Redis
) -> None:
    ana = await helpers.employee(mariadb.db, code="W1", name="Ana")
    proxy = FaultProxy("127.0.0.1", own_redis.port)
    await proxy.start()
    reader = build_resources(
        mariadb.settings.model_copy(update={"redis_url": own_redis.url()}), db=mariadb.db
    )
    writer = build_resources(
        mariadb.settings.model_copy(update={"redis_url": own_redis.url(port=proxy.port)})
    )  # its own engines: a write there tells its own cache only
    app = create_app(reader, clock=lambda: NOW)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")

    async def ask() -> tuple[str | None, list[str]]:
        response = await http.post(
            "/graphql", json={"query": NAME, "variables": {"code": "W1"}}, headers=bearer(ADMIN)
        )
        body: Any = response.json()
        names = [edge["node"]["name"] for edge in body["data"]["employees"]["edges"]]
        return response.headers.get(CACHE_HEADER), names

    try:
        before = [await ask(), await ask()]
        proxy.black_hole()
        await writer.db.write(
            lambda session: session.execute(
                update(models.Employee).where(models.Employee.id == ana.id).values(name="Anna")
            )
        )
        during = await ask()  # the reader cannot know: its Redis never heard of the write
        await asyncio.sleep(0.5)
        await proxy.restore()
        back_at = time.perf_counter()
        seen = [await ask()]
        while seen[-1] != ("miss", ["Anna"]) and time.perf_counter() - back_at < 4:
            await asyncio.sleep(0.05)
            seen.append(await ask())
        settled_after = time.perf_counter() - back_at
        assert writer.cache is not None and writer.cache.breaker is not None
        writer_breaker = writer.cache.breaker.state
    finally:
        await http.aclose()
        await reader.aclose()
        await writer.aclose()
        await proxy.stop()

    assert before == [("miss", ["Ana"]), ("hit", ["Ana"])]
    assert during == ("hit", ["Ana"])
    assert seen[-1] == ("miss", ["Anna"]), seen
    assert all(answer == ("hit", ["Ana"]) for answer in seen[:-1]), seen
    assert settled_after < 1.5, seen
    print(
        f"settled {settled_after:.2f} s after Redis was back, {len(seen)} asks"
    )  # the writer's retries are at most a second apart
    assert writer_breaker is State.CLOSED  # its answer closed the writer's breaker too
