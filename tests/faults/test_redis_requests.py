"""Requests while Redis fails (refused, black-holed), on MariaDB with a Redis of the test's own
behind a ``FaultProxy``: the process stays in rotation (degraded, not unready), a scan stored
is answered as stored and its refresh is owed and sent once Redis is back, and an admin's
request that needs the queue is refused with a code that says so."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import httpx
import pytest
import redis
from dramatiq import Message
from sqlalchemy import func, select

from bench.faults import processes
from bench.faults.proxy import FaultProxy
from db import models
from prodhub.app import create_app
from prodhub.job_queue import DEBOUNCE_SECONDS, ENQUEUE_FAILURES, JobQueue
from prodhub.resources import Resources, build_resources
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, GraphQLClient, bearer, utc

pytestmark = pytest.mark.skipif(
    not processes.Redis.available(), reason="needs redis-server (scripts/test installs it)"
)

WINDOW = 0.3  # the breakers' window here: the tests wait it out
RECORD = (
    "mutation($i: [ActivityInput!]!) { recordActivities(input: $i) { accepted errors { code } } }"
)
RECALCULATE = """mutation { recalculateScores(from: "2026-11-01", to: "2026-11-02") {
  enqueued errors { code message } } }"""
SYNC = "mutation { triggerSync(kind: USERS) { enqueued errors { code } } }"


@dataclass
class Setup:
    proxy: FaultProxy
    direct: redis.Redis  # the same Redis, not through the proxy
    resources: Resources
    jobs: JobQueue
    http: httpx.AsyncClient

    @property
    def admin(self) -> GraphQLClient:
        return GraphQLClient(self.http, bearer(ADMIN))

    async def ready(self) -> tuple[int, dict[str, Any], float]:
        started = time.perf_counter()
        response = await self.http.get("/readyz")
        return response.status_code, response.json(), time.perf_counter() - started

    def refreshes_queued(self) -> list[tuple[Any, ...]]:
        return sorted(tuple(message.args) for message in self.messages())

    def messages(self) -> list[Message[Any]]:
        found = cast(list[bytes], self.direct.hvals("dramatiq:scores.DQ.msgs"))
        return [Message.decode(raw) for raw in found]


@pytest.fixture
async def setup(mariadb: Backend, own_redis: processes.Redis) -> AsyncIterator[Setup]:
    proxy = FaultProxy("127.0.0.1", own_redis.port)
    await proxy.start()
    settings = mariadb.settings.model_copy(
        update={"redis_url": own_redis.url(port=proxy.port), "connecteam_api_key": "key"}
    )
    resources = build_resources(settings, db=mariadb.db)
    assert resources.cache is not None and resources.cache.breaker is not None
    resources.cache.breaker.window_seconds = WINDOW
    app = create_app(resources, clock=lambda: NOW)
    jobs: JobQueue = app.state.jobs
    jobs.breaker.window_seconds = WINDOW
    direct = redis.Redis.from_url(own_redis.url())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            yield Setup(proxy, direct, resources, jobs, http)
    finally:
        await proxy.restore()
        await jobs.aclose()
        await resources.aclose()
        await proxy.stop()
        direct.close()


async def until(check: Any, seconds: float) -> float:
    """Seconds until ``check()`` is truthy (asked every 20 ms); fails after ``seconds``."""
    started = time.perf_counter()
    while not check():
        assert time.perf_counter() - started < seconds, f"not within {seconds} s"
        await asyncio.sleep(0.02)
    return time.perf_counter() - started


async def test_readyz_is_degraded_not_unready_while_redis_fails(setup: Setup) -> None:
    up = await setup.ready()
    await setup.proxy.refuse()
    refused = await setup.ready()
    await asyncio.sleep(WINDOW)
    await setup.proxy.restore()
    setup.proxy.black_hole()
    black_holed, breaker_open = await setup.ready(), await setup.ready()
    await asyncio.sleep(WINDOW)
    await setup.proxy.restore()
    back = await setup.ready()

    database = up[1]["checks"]["database"]
    assert (up[0], up[1]["status"], up[1]["checks"]["redis"]) == (200, "ok", {"ok": True})
    assert database["ok"] is True
    for status, body, _ in (refused, black_holed, breaker_open):
        assert (status, body["ready"], body["status"]) == (200, True, "degraded")
        assert body["checks"]["database"]["ok"] is True
    assert refused[1]["checks"]["redis"] == {"ok": False, "error": "ConnectionError"}
    # A black hole costs the probe that finds it one short timeout; while the breaker is
    # open the next ones do not ask Redis at all.
    assert black_holed[1]["checks"]["redis"] == {"ok": False, "error": "TimeoutError"}
    assert black_holed[2] < 0.6, black_holed
    assert breaker_open[1]["checks"]["redis"] == {"ok": False, "error": "CircuitOpen"}
    assert breaker_open[2] < 0.1, breaker_open
    assert (back[0], back[1]["status"], back[1]["checks"]["redis"]) == (200, "ok", {"ok": True})


def _items(code: str, role: str, *days: int) -> list[dict[str, Any]]:
    return [{"employeeCode": code, "roleKey": role, "itemsCount": 3,
             "windowStart": utc(2026, 11, day, 15).isoformat(),
             "windowEnd": utc(2026, 11, day, 15, 10).isoformat()} for day in days]  # fmt: skip


async def test_a_scan_stored_while_redis_refuses_is_answered_stored_and_its_refresh_owed(
    setup: Setup, mariadb: Backend
) -> None:
    role = await helpers.role(mariadb.db)
    await helpers.employee(mariadb.db, code="R1")
    failures = ENQUEUE_FAILURES.labels("refresh_scores")
    failed_before = failures._value.get()

    await setup.proxy.refuse()
    answers = [await setup.admin.execute(RECORD, i=_items("R1", role.key, day)) for day in (16, 17)]
    async with mariadb.db.read_session() as session:
        stored = await session.scalar(select(func.count()).select_from(models.Activity))
    owed = setup.jobs.owed
    queued_meanwhile = setup.refreshes_queued()

    await setup.proxy.restore()
    paid_after = await until(lambda: not setup.jobs.owed, 3)

    assert answers == [{"data": {"recordActivities": {"accepted": 1, "errors": []}}}] * 2
    assert stored == 2
    assert [day.isoformat() for day in owed] == ["2026-11-16", "2026-11-17"]
    assert failures._value.get() - failed_before == 2
    assert queued_meanwhile == []
    tick = "2026-11-20T20:30:00.000Z"
    assert setup.refreshes_queued() == [("2026-11-16", tick), ("2026-11-17", tick)]
    assert paid_after < 1.5  # tried every second at most, past the breaker
    # to run after a burst would have ended, as when sent at once
    etas = [message.options["eta"] for message in setup.messages()]
    assert all(eta >= time.time() * 1000 + (DEBOUNCE_SECONDS - 5) * 1000 for eta in etas)


async def test_admin_requests_that_need_the_queue_are_refused_with_a_code(
    setup: Setup, mariadb: Backend
) -> None:
    await helpers.users(mariadb.db, ADMIN)
    await setup.proxy.refuse()
    started = time.perf_counter()
    recalculation = await setup.admin.data(RECALCULATE)
    sync = await setup.admin.data(SYNC)
    took = time.perf_counter() - started
    async with mariadb.db.read_session() as session:
        runs = (await session.execute(select(models.SyncRun.status, models.SyncRun.error))).all()

    assert recalculation["recalculateScores"]["enqueued"] == 0
    [refused] = recalculation["recalculateScores"]["errors"]
    assert refused == {
        "code": "JOBS_UNAVAILABLE",
        "message": "the job queue does not answer: 0 of 2 messages were queued; ask again "
        "shortly (asking again does each at most once more)",
    }
    assert sync == {"triggerSync": {"enqueued": 0, "errors": [{"code": "JOBS_UNAVAILABLE"}]}}
    # the sync asked for will not run, and says so
    assert [tuple(run) for run in runs] == [("FAILED", "the queue could not be reached")]
    assert took < 1.0
