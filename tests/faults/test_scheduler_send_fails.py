"""The scheduler when Redis fails between a tick's claim and its send: the tick is sent by the
next round, once; and a send that waits on a silent Redis never holds up the event loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from dramatiq import Broker, Message, Middleware

from bench.faults import processes
from bench.faults.proxy import ProxyThread
from prodhub.jobs import build_broker
from prodhub.resources import Resources, build_resources
from prodhub.scheduler import CLAIM, CLAIM_SECONDS, Scheduler
from tasks.registry import declare
from tests.helpers import Backend, utc

pytestmark = pytest.mark.skipif(
    not processes.Redis.available(), reason="needs redis-server (scripts/test installs it)"
)

EVENING = utc(2026, 11, 21, 0, 6)  # 18:06 in Chicago: the day's finalization is due
DUE = [
    ("daily_rollover", ("2026-11-20T00:05",)),
    ("finalize_day", ("2026-11-20", "2026-11-20T18:00")),
    ("refresh_scores", ("2026-11-20", "2026-11-20T18:05")),
    ("sync_time_clock", ("2026-11-20T18:05",)),
    ("sync_users", ("2026-11-20T02:00",)),
]


class RefuseBefore(Middleware):
    """Redis goes away once, just before one job is enqueued: after its claim, before its
    send."""

    def __init__(self, job: str, proxy: ProxyThread) -> None:
        self.job, self.proxy, self.refused = job, proxy, False

    def before_enqueue(self, broker: Broker, message: Message[Any], delay: int | None) -> None:
        if message.actor_name == self.job and not self.refused:
            self.refused = True
            self.proxy.refuse()


@dataclass
class Setup:
    direct: redis.Redis
    proxy: ProxyThread
    resources: Resources

    def scheduler(self, *, middleware: Middleware | None = None) -> Scheduler:
        """A scheduler whose claims go to Redis directly, and its messages through the proxy
        (calls time out after a second)."""
        url = f"redis://127.0.0.1:{self.proxy.port}/0?socket_timeout=1&socket_connect_timeout=1"
        broker = build_broker(self.resources.settings.model_copy(update={"redis_url": url}))
        if middleware is not None:
            broker.add_middleware(middleware)
        return Scheduler(self.resources, declare(broker), clock=lambda: EVENING)

    def queued(self) -> list[tuple[str, tuple[Any, ...]]]:
        found = [
            Message.decode(raw)  # type: ignore[arg-type]
            for queue in ("scores", "connecteam")
            for raw in self.direct.hvals(f"dramatiq:{queue}.msgs")
        ]
        return sorted((m.actor_name, tuple(m.args)) for m in found)


@pytest.fixture
async def setup(mariadb: Backend, own_redis: processes.Redis) -> AsyncIterator[Setup]:
    settings = mariadb.settings.model_copy(update={"redis_url": own_redis.url()})
    resources = build_resources(settings, db=mariadb.db)
    proxy = ProxyThread("127.0.0.1", own_redis.port)
    direct = redis.Redis.from_url(own_redis.url())
    try:
        yield Setup(direct, proxy, resources)
    finally:
        direct.close()
        proxy.stop()
        await resources.aclose()


async def test_a_tick_whose_send_was_refused_is_sent_by_the_next_round(setup: Setup) -> None:
    scheduler = setup.scheduler()
    setup.proxy.refuse()
    with pytest.raises(redis.ConnectionError):
        await scheduler.step()
    setup.proxy.restore()
    rounds = [len(await scheduler.step()) for _ in range(2)]

    assert rounds == [len(DUE), 0]
    assert setup.queued() == DUE  # each once
    kept = setup.direct.ttl(CLAIM + "finalize_day:2026-11-20/2026-11-20T18:00")
    assert CLAIM_SECONDS - 10 < kept <= CLAIM_SECONDS


async def test_a_finalization_whose_send_failed_is_sent_by_the_next_round(setup: Setup) -> None:
    scheduler = setup.scheduler(middleware=RefuseBefore("finalize_day", setup.proxy))
    with pytest.raises(redis.ConnectionError):
        await scheduler.step()  # what came before it was sent
    setup.proxy.restore()
    sent = [(d.job, d.args) for d in await scheduler.step()]
    again = await scheduler.step()

    assert sorted(sent) == [DUE[0], DUE[1], DUE[4]]  # the finalization and what followed it
    assert again == []
    assert setup.queued() == DUE  # each once


async def test_a_send_to_a_silent_redis_does_not_hold_up_the_event_loop(setup: Setup) -> None:
    scheduler = setup.scheduler()
    setup.proxy.black_hole()
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.02)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    ticking = asyncio.create_task(ticker())
    started = time.perf_counter()
    with pytest.raises(redis.TimeoutError):
        await scheduler.step()
    waited = time.perf_counter() - started
    ticking.cancel()

    assert waited >= 1.0  # the send waited for its timeout ...
    assert max(gaps, default=waited) < 0.3  # ... in a thread: the loop ran all along
