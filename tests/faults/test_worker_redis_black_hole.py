"""A ``prodhub worker`` whose Redis goes silent (a black hole: connections accepted, nothing
answered) and comes back: the delayed messages it held, and those sent meanwhile, all run
in the end, by the same process, which never lingered with a dead consumer."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import redis
from sqlalchemy import delete, select

from bench.faults import processes
from bench.faults.proxy import FaultProxy
from db import models
from db.engine import Database
from prodhub.jobs import build_broker
from services.jobs import Job
from tasks.registry import declare
from tests.helpers import Backend

pytestmark = pytest.mark.skipif(
    not processes.Redis.available(), reason="needs redis-server (scripts/test installs it)"
)

DAY = "2026-11-20"  # no activity: each refresh is quick and records its run
HELD_MS, MEANWHILE_MS = 6_000, 500  # held across the outage; due during it


@pytest.fixture
async def proxy(own_redis: processes.Redis) -> AsyncIterator[FaultProxy]:
    found = FaultProxy("127.0.0.1", own_redis.port)
    await found.start()
    yield found
    await found.stop()


async def runs(db: Database) -> list[tuple[str, str]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.JobRun.tick, models.JobRun.status).where(
                models.JobRun.job == "refresh_scores"
            )
        )
        return sorted((tick, status) for tick, status in rows)


async def until(check: Callable[[], object], seconds: float) -> None:
    """Until ``check()`` (or what it awaits) is truthy, for up to ``seconds``."""
    for _ in range(int(seconds * 10)):
        found = check()
        if inspect.isawaitable(found):
            found = await found
        if found:
            return
        await asyncio.sleep(0.1)


async def test_a_black_holed_redis_loses_no_delayed_message(
    mariadb: Backend, own_redis: processes.Redis, proxy: FaultProxy, tmp_path: Path
) -> None:
    direct = redis.Redis.from_url(own_redis.url())
    # The worker's calls time out after a second (the URL's parameters win), so that the
    # outage below outlasts a fetch and the requeue after it.
    env = {
        "PRODHUB_DATABASE_URL": str(mariadb.settings.database_url),
        "PRODHUB_REDIS_URL": own_redis.url(port=proxy.port)
        + "?socket_timeout=1&socket_connect_timeout=1",
    }
    sender = declare(
        build_broker(mariadb.settings.model_copy(update={"redis_url": own_redis.url()}))
    )
    ticks = [f"{DAY}T10:{minute:02d}" for minute in range(0, 25, 5)]
    worker = processes.worker(env, tmp_path, threads=1)
    try:
        await until(lambda: direct.zcard("dramatiq:__heartbeats__"), 30)
        for tick in ticks[:3]:
            sender[Job.REFRESH_SCORES].send_with_options(args=(DAY, tick), delay=HELD_MS)
        # the worker fetched them: they wait in its memory for their time
        await until(lambda: direct.llen("dramatiq:scores.DQ") == 0, 10)
        held = direct.llen("dramatiq:scores.DQ")

        proxy.black_hole()
        for tick in ticks[3:]:
            sender[Job.REFRESH_SCORES].send_with_options(args=(DAY, tick), delay=MEANWHILE_MS)
        await asyncio.sleep(5)  # fetches time out, and so would the requeue of what it holds
        await proxy.restore()

        expected = [(f"{tick}/{DAY}", "SUCCEEDED") for tick in ticks]
        await until(lambda: _equal(runs(mariadb.db), expected), 25)
        done = await runs(mariadb.db)
        alive = worker.running
        unacknowledged = sum(direct.scard(key) for key in direct.keys("dramatiq:__acks__.*"))
    finally:
        worker.stop()
        direct.close()
        async with mariadb.db.session() as session, session.begin():
            await session.execute(delete(models.JobRun))

    assert held == 0
    assert done == expected, worker.output()
    assert alive  # the same process recovered: no thread of it died
    assert "Exception in thread" not in worker.output()
    assert unacknowledged == 0


async def _equal(found: Awaitable[object], expected: object) -> bool:
    return await found == expected
