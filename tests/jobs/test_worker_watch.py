"""The worker's watchdog (a dead thread, a heartbeat that stopped while Redis answers: the
process exits 70) and the broker's consumers putting back what their worker no longer holds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis
from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker
from redis.backoff import NoBackoff
from redis.retry import Retry

from bench.faults import processes
from prodhub.redis_broker import RecoveringRedisBroker
from prodhub.worker_watch import (
    EXIT_STUCK,
    EXITS,
    STALE_SECONDS,
    STARTS,
    WORKERS,
    Watchdog,
    process_name,
)

pytestmark = pytest.mark.skipif(
    not processes.Redis.available(), reason="needs redis-server (scripts/test installs it)"
)


@pytest.fixture
def client(own_redis: processes.Redis) -> Iterator[redis.Redis]:
    found = redis.Redis.from_url(own_redis.url(), socket_timeout=1)
    yield found
    found.close()


@dataclass
class Thread:
    alive: bool = True

    def is_alive(self) -> bool:
        return self.alive


@dataclass
class Worker:
    consumers: dict[str, Any] = field(
        default_factory=lambda: {"scores": Thread(), "scores.DQ": Thread()}
    )
    workers: list[Any] = field(default_factory=lambda: [Thread(), Thread()])


HEARTBEATS = "dramatiq:__heartbeats__"


def watchdog(worker: Worker, client: Any, clock: list[float], **options: Any) -> Watchdog:
    return Watchdog(
        worker, client, heartbeats=HEARTBEATS, broker_id="b1", clock=lambda: clock[0], **options
    )


def test_a_dead_thread_ends_the_process_with_exit_70(client: redis.Redis) -> None:
    worker, exits = Worker(), []
    ended = threading.Event()

    def die(code: int) -> None:
        exits.append(code)
        ended.set()

    watch = Watchdog(worker, client, heartbeats=HEARTBEATS, broker_id="b1", die=die, every=0.01)
    watch.count_start()
    watch.start()
    healthy = not ended.wait(0.2)
    worker.consumers["scores.DQ"].alive = False
    ended.wait(5)
    watch.join(5)

    assert healthy
    assert exits == [EXIT_STUCK]
    assert watch.check() == "dead: consumer of scores.DQ"
    assert (client.get(STARTS), client.get(EXITS)) == (b"1", b"1")


def test_a_heartbeat_that_stopped_while_redis_answers(client: redis.Redis) -> None:
    clock = [1_000.0]
    watch = watchdog(Worker(), client, clock)
    client.zadd(HEARTBEATS, {"b1": 1_000_000})  # Dramatiq's milliseconds

    fresh = watch.check()
    clock[0] += STALE_SECONDS + 1
    stale = watch.check()

    assert fresh is None
    assert client.zscore(WORKERS, process_name()) == 1_000.0  # beats while healthy
    assert stale == "its heartbeat stopped while Redis answered"


def test_after_an_outage_the_consumers_get_time_to_beat_again(client: redis.Redis) -> None:
    clock = [1_000.0]
    down = redis.Redis(port=processes.free_port(), retry=Retry(NoBackoff(), 0))
    watch = watchdog(Worker(), down, clock)
    client.zadd(HEARTBEATS, {"b1": 1_000_000})

    during = watch.check()  # Redis refused: no verdict
    clock[0] += 100
    watch.client = client
    back = watch.check()  # answers again; the heartbeat is old, but it just came back
    clock[0] += STALE_SECONDS + 1
    still_stale = watch.check()

    assert (during, back) == (None, None)
    assert still_stale == "its heartbeat stopped while Redis answered"


def message(queue: str = "scores") -> Message[Any]:
    return Message(queue_name=queue, actor_name="a", args=(), kwargs={}, options={})


def test_a_fetch_whose_answer_was_lost_is_put_back(own_redis: processes.Redis) -> None:
    stock = RedisBroker(url=own_redis.url())  # type: ignore[no-untyped-call]
    broker = RecoveringRedisBroker(url=own_redis.url())
    for chosen in (stock, broker):
        chosen.declare_queue("scores")
        chosen.enqueue(message())
        chosen.do_fetch("scores", 1)  # Redis ran it; its answer never came

    assert next(stock.consume("scores", timeout=10)) is None  # stuck in the acks
    found = next(broker.consume("scores", timeout=10))
    assert found is not None and found.message_id is not None
    assert broker.client.scard(broker.acks_key("scores")) == 1  # fetched again


def test_what_the_worker_holds_stays_and_a_delay_queue_starts_empty_handed(
    own_redis: processes.Redis,
) -> None:
    broker = RecoveringRedisBroker(url=own_redis.url())
    broker.declare_queue("scores")
    broker.enqueue(message())
    broker.enqueue(message(), delay=60_000)
    held = next(broker.consume("scores", timeout=10))
    delayed = next(broker.consume("scores.DQ", timeout=10))

    again = next(broker.consume("scores", timeout=10))  # a consumer after a lost connection
    redelivered = next(broker.consume("scores.DQ", timeout=10))
    assert held is not None and delayed is not None
    broker.consume("scores", timeout=10).ack(held)

    assert again is None  # the worker holds it: it runs and acknowledges it
    assert redelivered is not None and redelivered.message_id == delayed.message_id
    assert broker.client.scard(broker.acks_key("scores")) == 0
    assert broker.client.scard(broker.acks_key("scores.DQ")) == 1
