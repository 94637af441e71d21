"""Redis trouble never hurts a request: with the cache's Redis refusing connections, or
black-holed (packets dropped, not refused), requests succeed uncached, a breaker window costs
at most one attempt, and the cache comes back by itself without serving what changed
meanwhile. Shown with a TCP proxy between the app and a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import make_url

from bench.faults.proxy import FaultProxy
from cache import RedisBackend
from cache.backends import CacheError
from cache.breaker import Breaker, State, guarded
from db import models
from prodhub.app import create_app
from prodhub.graphql_requests import CACHE_HEADER
from prodhub.resources import BREAKER_WINDOW_SECONDS, Resources, build_resources
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, bearer

NAME = "query Name($code: String!) { employees(search: $code) { edges { node { name } } } }"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def pass_the_window(self) -> None:
        self.now += BREAKER_WINDOW_SECONDS + 0.1


@dataclass
class Setup:
    proxy: FaultProxy
    resources: Resources
    http: httpx.AsyncClient
    clock: Clock

    async def ask(self) -> tuple[str | None, list[str]]:
        response = await self.http.post(
            "/graphql", json={"query": NAME, "variables": {"code": "C1"}}, headers=bearer(ADMIN)
        )
        assert response.status_code == 200, response.text
        body: Any = response.json()
        assert "errors" not in body, body
        names = [edge["node"]["name"] for edge in body["data"]["employees"]["edges"]]
        return response.headers.get(CACHE_HEADER), names

    @property
    def failures(self) -> int:
        assert self.resources.cache is not None and self.resources.cache.breaker is not None
        return self.resources.cache.breaker.failures


@pytest.fixture
async def setup(backend: Backend) -> AsyncIterator[Setup]:
    if backend.settings.redis_url is None:
        pytest.skip("the cache is in memory on this backend")
    target = make_url(backend.settings.redis_url)
    proxy = FaultProxy(target.host or "127.0.0.1", target.port or 6379)
    await proxy.start()
    settings = backend.settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{proxy.port}/{target.database or 0}"}
    )
    resources = build_resources(settings, db=backend.db)
    clock = Clock()
    assert resources.cache is not None and resources.cache.breaker is not None
    resources.cache.breaker.clock = clock
    app = create_app(resources, clock=lambda: NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        yield Setup(proxy, resources, http, clock)
    await resources.aclose()
    await proxy.stop()


async def test_refused_then_black_holed_then_back(setup: Setup, backend: Backend) -> None:
    ana = await helpers.employee(backend.db, code="C1", name="Ana")
    assert [await setup.ask(), await setup.ask()] == [("miss", ["Ana"]), ("hit", ["Ana"])]

    # Refused: the first request finds out and opens the breaker; the next ones do not try.
    await setup.proxy.refuse()
    refused = [await setup.ask() for _ in range(3)]
    assert refused == [(None, ["Ana"])] * 3
    assert setup.failures == 1

    # Black-holed: after the window, one request probes and waits out the timeout; the next
    # ones in the new window do not try.
    setup.clock.pass_the_window()
    await setup.proxy.restore()
    setup.proxy.black_hole()
    opened = setup.proxy.accepted
    black_holed = [await setup.ask() for _ in range(3)]
    assert black_holed == [(None, ["Ana"])] * 3
    assert setup.failures == 2
    assert setup.proxy.accepted == opened + 1  # one probe, one connection, no retries

    # A write while the cache cannot hear about it.
    async with backend.db.session() as session, session.begin():
        await session.execute(
            update(models.Employee).where(models.Employee.id == ana.id).values(name="Anna")
        )

    # Back: the next probe closes the breaker, and the entry cached before the outage (which
    # the write could not drop) is not served.
    setup.clock.pass_the_window()
    await setup.proxy.restore()
    assert [await setup.ask(), await setup.ask()] == [("miss", ["Anna"]), ("hit", ["Anna"])]
    assert setup.resources.cache is not None and setup.resources.cache.breaker is not None
    assert setup.resources.cache.breaker.state is State.CLOSED
    assert setup.failures == 2


async def test_requests_in_flight_together_wait_out_one_timeout(
    setup: Setup, backend: Backend
) -> None:
    """Their lookups are one MGET (``cache.batching``): a black-holed Redis costs them
    one round trip's timeout together, not one each, and each is answered uncached."""
    await helpers.employee(backend.db, code="C1", name="Ana")
    assert [await setup.ask(), await setup.ask()] == [("miss", ["Ana"]), ("hit", ["Ana"])]
    cache = setup.resources.cache
    assert cache is not None and isinstance(cache.backend, RedisBackend)
    sent = cache.backend.batcher.batches

    setup.proxy.black_hole()
    together = await asyncio.gather(*(setup.ask() for _ in range(4)))

    assert together == [(None, ["Ana"])] * 4
    assert cache.backend.batcher.batches == sent + 1
    assert cache.breaker is not None and cache.breaker.state is State.OPEN


async def test_a_probe_cancelled_with_its_request_passes_the_turn_to_the_next_call() -> None:
    """A probe that ends without an answer (its request cancelled) must not leave the breaker
    half-open, skipping every call for ever: the next call probes."""
    clock = Clock()
    breaker = Breaker(window_seconds=BREAKER_WINDOW_SECONDS, clock=clock)
    breaker.failed()
    clock.pass_the_window()
    started = asyncio.Event()

    async def hangs() -> None:
        started.set()
        await asyncio.sleep(3600)

    probe = asyncio.create_task(guarded(breaker, hangs, CacheError))
    await started.wait()
    probe.cancel()
    with pytest.raises(asyncio.CancelledError):
        await probe

    async def answers() -> str:
        return "pong"

    assert await guarded(breaker, answers, CacheError) == "pong"
    assert (breaker.state, breaker.failures) == (State.CLOSED, 1)
