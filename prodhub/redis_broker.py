"""Dramatiq's Redis broker, made to survive a Redis that stalls or goes away.

Every Redis call of the broker is bounded in time (``SOCKET_TIMEOUT_SECONDS``; a ``redis://``
URL may set its own ``socket_timeout``). The stock consumer takes a timed-out call
(``redis.TimeoutError``, which is no ``redis.ConnectionError``) for an unexpected error;
then, requeueing the delayed messages it holds, it times out again and its thread dies while
the process heartbeats on, so that its messages are never requeued. Here a timeout is a lost
connection like any other (``ConnectionClosed``), on every call the consumer makes.

A consumer that lost its connection starts again, and then puts back on its queue what it
fetched and has neither handed out nor acknowledged: Redis keeps those in this worker's set
of fetched messages, where only the death of the worker would release them. They are

- the delayed messages (every retry with backoff is one) that Dramatiq's consumer thread
  forgets when its connection fails: a delay queue's consumer starts empty-handed, so
  everything of that set is forgotten; they come back with their due time;
- a fetch that Redis ran but whose answer was lost (a timeout): messages nobody received.

The messages handed out to the worker's threads are still theirs to run and acknowledge.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import redis
from dramatiq import MessageProxy
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.common import dq_name
from dramatiq.errors import ConnectionClosed

SOCKET_TIMEOUT_SECONDS = 5.0  # a fetch, an ack, an enqueue: one short Lua script each
CONNECT_TIMEOUT_SECONDS = 2.0
REQUEUE_CHUNK = 500  # message ids a call, well under Lua's stack


@contextmanager
def _connection_lost() -> Iterator[None]:
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise ConnectionClosed(error) from None  # type: ignore[no-untyped-call]


def _redis_id(message: MessageProxy) -> str:
    return str(message.options["redis_message_id"])


class RecoveringConsumer(_RedisConsumer):
    def __init__(self, broker: RecoveringRedisBroker, queue_name: str, *args: Any) -> None:
        super().__init__(broker, queue_name, *args)  # type: ignore[no-untyped-call]
        self.handed_out = broker.handed_out[queue_name]  # shared by this queue's consumers
        if queue_name == dq_name(queue_name):
            self.handed_out.clear()  # a delay queue's consumer thread starts empty-handed
        self.recovered = False

    def __next__(self) -> MessageProxy | None:
        with _connection_lost():
            if not self.recovered:
                self._requeue_unheld()
                self.recovered = True
            found: MessageProxy | None = super().__next__()  # type: ignore[no-untyped-call]
        if found is not None:
            self.handed_out.add(_redis_id(found))
        return found

    def ack(self, message: MessageProxy) -> None:
        try:
            with _connection_lost():
                super().ack(message)  # type: ignore[no-untyped-call]
        finally:
            self.handed_out.discard(_redis_id(message))

    def nack(self, message: MessageProxy) -> None:
        try:
            with _connection_lost():
                super().nack(message)  # type: ignore[no-untyped-call]
        finally:
            self.handed_out.discard(_redis_id(message))

    def requeue(self, messages: Iterable[MessageProxy]) -> None:
        chosen = list(messages)
        with _connection_lost():
            super().requeue(chosen)  # type: ignore[no-untyped-call]
        self.handed_out.difference_update(_redis_id(m) for m in chosen)

    def _requeue_unheld(self) -> None:
        broker: RecoveringRedisBroker = self.broker
        members = broker.client.smembers(broker.acks_key(self.queue_name))
        fetched = {m.decode() if isinstance(m, bytes) else str(m) for m in members}
        unheld = sorted(fetched - self.handed_out)
        for start in range(0, len(unheld), REQUEUE_CHUNK):
            broker.do_requeue(self.queue_name, *unheld[start : start + REQUEUE_CHUNK])
        if unheld:
            self.logger.warning("put %d messages back on %r", len(unheld), self.queue_name)


class RecoveringRedisBroker(RedisBroker):
    def __init__(self, *, url: str, **options: Any) -> None:
        if options.get("client") is None:  # a caller's client comes with its own timeouts
            options["connection_pool"] = redis.ConnectionPool.from_url(
                url,
                socket_timeout=SOCKET_TIMEOUT_SECONDS,
                socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
            )  # parameters in the URL win
        super().__init__(**options)  # type: ignore[no-untyped-call]
        # By queue, the messages handed out to the worker and not acknowledged yet.
        self.handed_out: defaultdict[str, set[str]] = defaultdict(set)

    @property
    def consumer_class(self) -> type[RecoveringConsumer]:
        return RecoveringConsumer

    def acks_key(self, queue_name: str) -> str:
        """The set of messages this broker fetched from ``queue_name`` and has not acknowledged
        (its name in Dramatiq's ``dispatch.lua``)."""
        return f"{self.namespace}:__acks__.{self.broker_id}.{queue_name}"

    def heartbeats_key(self) -> str:
        """The sorted set of each broker's latest call to Redis (milliseconds), by its id."""
        return f"{self.namespace}:__heartbeats__"
