"""When jobs are due, and one scheduler enqueueing each tick once, with a standby taking over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime

import pytest
from dramatiq import Message
from dramatiq.brokers.stub import StubBroker
from redis.asyncio import Redis

from prodhub.jobs import build_broker
from prodhub.resources import Resources, build_resources
from prodhub.scheduler import LEASE, Scheduler
from tasks.registry import Actors, declare
from tasks.timing import due
from tests.helpers import Backend, utc


def test_only_the_current_slot_is_due_and_finalization_catches_up() -> None:
    morning = due(datetime(2026, 11, 20, 10, 7, 31), unfinalized=[date(2026, 11, 18)])
    evening = due(datetime(2026, 11, 20, 18, 0), unfinalized=[])

    assert [(d.job, d.args) for d in morning] == [
        ("refresh_scores", ("2026-11-20", "2026-11-20T10:05")),
        ("sync_time_clock", ("2026-11-20T10:05",)),
        ("finalize_day", ("2026-11-18", "2026-11-18T18:00")),
        ("build_daily_reports", ("2026-11-18", "2026-11-18T18:30")),  # caught up too
        ("push_performance", ("2026-11-18", "2026-11-18T18:30")),
        ("daily_rollover", ("2026-11-20T00:05",)),
        ("sync_users", ("2026-11-20T02:00",)),
    ]
    assert [d.job for d in due(datetime(2026, 11, 20, 0, 4), unfinalized=[])] == [
        "refresh_scores", "sync_time_clock", "sync_schedules",
    ]  # fmt: skip
    assert [(d.job, d.args) for d in evening] == [
        ("refresh_scores", ("2026-11-20", "2026-11-20T18:00")),
        ("sync_time_clock", ("2026-11-20T18:00",)),
        ("sync_schedules", ("2026-11-20T18:00",)),  # on the half hour
        ("finalize_day", ("2026-11-20", "2026-11-20T18:00")),
        ("daily_rollover", ("2026-11-20T00:05",)),
        ("sync_users", ("2026-11-20T02:00",)),
    ]
    assert [(d.job, d.args) for d in due(datetime(2026, 11, 20, 18, 31), unfinalized=[])][3:5] == [
        ("finalize_day", ("2026-11-20", "2026-11-20T18:00")),
        ("build_daily_reports", ("2026-11-20", "2026-11-20T18:30")),
    ]
    assert [d.job for d in due(datetime(2026, 11, 20, 1, 59), unfinalized=[])] == [
        "refresh_scores", "sync_time_clock", "daily_rollover",
    ]  # fmt: skip


Scheduling = tuple[StubBroker, Actors, Resources]


@asynccontextmanager
async def scheduling_on(chosen: Backend) -> AsyncIterator[Scheduling]:
    broker = build_broker(chosen.settings.model_copy(update={"redis_url": None}))
    assert isinstance(broker, StubBroker)  # messages stay here; the lease uses the Redis below
    resources = build_resources(chosen.settings, db=chosen.db)
    try:
        yield broker, declare(broker), resources
    finally:
        await resources.aclose()


@pytest.fixture
async def scheduling(backend: Backend) -> AsyncIterator[Scheduling]:
    async with scheduling_on(backend) as built:
        yield built


@pytest.fixture
async def scheduling_with_redis(mariadb: Backend) -> AsyncIterator[Scheduling]:
    async with scheduling_on(mariadb) as built:
        yield built


def queued(broker: StubBroker) -> list[tuple[str, tuple[object, ...]]]:
    messages = [
        Message.decode(raw)
        for queue in ("scores", "connecteam")
        for raw in broker.queues[queue].queue
    ]
    return sorted((m.actor_name, tuple(m.args)) for m in messages)


async def test_one_scheduler_enqueues_each_tick_once(scheduling: Scheduling) -> None:
    broker, actors, resources = scheduling
    clock = [utc(2026, 11, 20, 16, 6)]  # 10:06 in Chicago
    scheduler = Scheduler(resources, actors, clock=lambda: clock[0])

    rounds = [len(await scheduler.step()) for _ in range(3)]
    clock[0] = utc(2026, 11, 20, 16, 11)
    rounds.append(len(await scheduler.step()))

    # the rollover and the users sync once, a refresh and a time-clock sync per slot
    assert rounds == [4, 0, 0, 2]
    assert queued(broker) == [
        ("daily_rollover", ("2026-11-20T00:05",)),
        ("refresh_scores", ("2026-11-20", "2026-11-20T10:05")),
        ("refresh_scores", ("2026-11-20", "2026-11-20T10:10")),
        ("sync_time_clock", ("2026-11-20T10:05",)),
        ("sync_time_clock", ("2026-11-20T10:10",)),
        ("sync_users", ("2026-11-20T02:00",)),
    ]


async def lapse(redis: Redis, scheduler: Scheduler) -> bool:
    """``scheduler`` renews its lease for 50 ms once more, then stops (a process paused or
    gone); whether the lease has run out within a second."""
    scheduler.lease_ms = 50
    await scheduler.step()
    for _ in range(100):
        if not await redis.exists(LEASE):
            return True
        await asyncio.sleep(0.01)
    return False


async def test_a_standby_leads_only_once_the_leaders_lease_has_lapsed(
    scheduling_with_redis: Scheduling,
) -> None:
    """Every round is a new slot, so no claimed tick hides who leads: the standby enqueues
    nothing while the leader holds the lease, and takes over when it lapses."""
    broker, actors, resources = scheduling_with_redis
    assert resources.redis is not None
    clock = [utc(2026, 11, 20, 16, 6)]
    first = Scheduler(resources, actors, clock=lambda: clock[0], lease_ms=60_000)
    second = Scheduler(resources, actors, clock=lambda: clock[0], lease_ms=60_000)

    led = len(await first.step())
    clock[0] = utc(2026, 11, 20, 16, 11)
    held = [len(await second.step()), len(await first.step())]
    holder = await resources.redis.get(LEASE)
    lapsed = await lapse(resources.redis, first)
    clock[0] = utc(2026, 11, 20, 16, 16)
    taken_over = len(await second.step())
    clock[0] = utc(2026, 11, 20, 16, 21)
    after = [len(await first.step()), len(await second.step())]

    assert led == 4  # the rollover and the users sync, a refresh and a time-clock sync
    assert held == [0, 2]  # the standby did nothing; the leader enqueued the new slot
    assert holder == first.ident.encode()
    assert lapsed
    assert taken_over == 2
    assert after == [0, 2]  # the first is the standby now
    assert await resources.redis.get(LEASE) == second.ident.encode()
    assert len(queued(broker)) == 10


async def test_a_second_scheduler_waits_and_takes_over_without_repeating_a_tick(
    scheduling_with_redis: Scheduling,
) -> None:
    broker, actors, resources = scheduling_with_redis
    assert resources.redis is not None
    clock = [utc(2026, 11, 20, 16, 6)]
    first = Scheduler(resources, actors, clock=lambda: clock[0], lease_ms=60_000)
    second = Scheduler(resources, actors, clock=lambda: clock[0], lease_ms=60_000)

    both = [len(await first.step()), len(await second.step()), len(await first.step())]
    lapsed = await lapse(resources.redis, first)
    taken_over = [len(await second.step()), len(await first.step())]
    clock[0] = utc(2026, 11, 20, 16, 11)
    next_tick = len(await second.step())

    assert both == [4, 0, 0]  # the leader enqueued; the standby did nothing
    assert lapsed
    assert taken_over == [0, 0]  # the tick was claimed already; the first is now standby
    assert next_tick == 2
    assert len(queued(broker)) == 6


async def test_two_leaders_at_once_enqueue_each_tick_once(
    scheduling_with_redis: Scheduling,
) -> None:
    """Two processes that both believe they lead (one paused past its lease, now awake) run
    their rounds at the same time: the claims let each tick through once."""
    broker, actors, resources = scheduling_with_redis
    clock = [utc(2026, 11, 21, 0, 6)]  # 18:06 in Chicago: the day's finalization is due too
    leaders = [Scheduler(resources, actors, clock=lambda: clock[0]) for _ in range(2)]
    for leader in leaders:
        leader._lead = _always  # type: ignore[method-assign]

    rounds = await asyncio.gather(*(leader.step() for leader in leaders for _ in range(3)))

    assert sum(len(found) for found in rounds) == 5
    assert queued(broker) == sorted(
        (d.job, d.args) for d in due(clock[0].astimezone(resources.settings.zone), [])
    )


async def _always() -> bool:
    return True
