"""What a committed write changed of the leaderboards, told to every web process.

A board reads daily scores over its range, and shows its entries' names: a write of daily
scores on known work dates changes the boards whose range holds one of them; one whose dates
are not declared, or a write of employees (a name, an opt-out), may change any board
(``changed_of`` reads the write's cache tags, ``cache.tags``). Whether a board did change is
for its readers to find out: a refresh that writes the same figures is still a notice.

``BoardNotices.publish`` is a write listener: the composition root adds it in every process,
next to the response cache's invalidation, so a worker's refresh is told like a web
request's correction. With Redis it is published on ``CHANNEL`` (pub/sub: every web process
hears it, the writer's own too); without, it goes to this process's listeners. A web process
listens on a connection of its own (``listen``), which reconnects by itself when Redis
restarts; each time its subscription is made (the first time too: a board computed just
before may have missed a notice), it tells its listeners that everything may have changed,
since notices published while it was not subscribed are lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from contextvars import Context
from dataclasses import dataclass
from datetime import date

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

CHANNEL = b"prodhub:boards"
SCORES = "daily_scores"  # what a board ranks
NAMES = "employees"  # what its entries show besides their figures
PUBLISH_SECONDS = 1.0  # a notice not published within this is lost (logged), the write is not
HEARTBEAT_SECONDS = 5.0  # a silent subscription is pinged this often; unanswered, it is dead
FIRST_RETRY_SECONDS = 0.1  # a lost connection is retried after this, doubling up to
MAX_RETRY_SECONDS = 2.0

Listener = Callable[["Changed"], None]


@dataclass(frozen=True)
class Changed:
    """Work dates whose boards may have changed (``everything``: any board), and when the
    write committed (wall-clock seconds: a replica is read only once it has the write)."""

    dates: frozenset[date] = frozenset()
    everything: bool = False
    at: float = 0.0

    def covers(self, start: date, end: date) -> bool:
        return self.everything or any(start <= day <= end for day in self.dates)

    def encode(self) -> bytes:
        days = sorted(day.isoformat() for day in self.dates)
        return json.dumps({"dates": days, "everything": self.everything, "at": self.at}).encode()

    @classmethod
    def decode(cls, data: bytes | str) -> Changed:
        """A notice as published; anything unreadable is taken as "everything changed"."""
        try:
            found = json.loads(data)
            return cls(
                frozenset(date.fromisoformat(day) for day in found["dates"]),
                bool(found["everything"]),
                float(found["at"]),
            )
        except (ValueError, TypeError, KeyError):
            log.warning("unreadable board notice: taken as everything changed")
            return cls(everything=True, at=time.time())


def changed_of(tags: frozenset[str], at: float) -> Changed | None:
    """What a write of these cache tags changed of the boards; None: nothing."""
    days: set[date] = set()
    for tag in tags:
        table, _, on = tag.partition("@")
        if (table == SCORES and not on) or (table == NAMES and not on):
            return Changed(everything=True, at=at)  # undeclared dates: any board
        if table == SCORES and len(on) == 10:  # a work date (a month tag comes with its days)
            days.add(date.fromisoformat(on))
    return Changed(frozenset(days), at=at) if days else None


class BoardNotices:
    """The notices of one process: published by its writes, heard by its listeners."""

    def __init__(self, redis: Redis | None, *, redis_url: str | None = None) -> None:
        self._redis = redis
        self._url = redis_url
        self._listeners: list[Listener] = []
        self._listening: asyncio.Task[None] | None = None
        self.subscribed = asyncio.Event()  # set while this process's subscription stands
        self.reconnects = 0  # times the subscription was lost and made again

    async def publish(self, tags: frozenset[str]) -> None:
        """A committed write's tags (a ``Database`` write listener). Never raises: a write
        must not fail because a notice could not be sent."""
        changed = changed_of(tags, time.time())
        if changed is None:
            return
        if self._redis is None:
            self.deliver(changed)
            return
        try:
            async with asyncio.timeout(PUBLISH_SECONDS):
                await self._redis.publish(CHANNEL, changed.encode())
        except (RedisError, OSError, TimeoutError):
            log.warning("board notice not published: live boards miss this change")

    def add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` with every notice from now on (with Redis, once this process's
        subscription is made: ``listen`` starts it); returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def deliver(self, changed: Changed) -> None:
        for listener in list(self._listeners):
            try:
                listener(changed)
            except Exception:
                log.exception("a board listener failed")

    def listen(self) -> None:
        """Subscribe to the other processes' notices, in the background (once: again is a
        no-op), when there is Redis."""
        if self._url is None or (self._listening is not None and not self._listening.done()):
            return
        loop = asyncio.get_running_loop()  # a context of its own, not the first subscriber's
        self._listening = loop.create_task(self._listen_forever(), context=Context())

    async def aclose(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
            self._listening = None

    async def _listen_forever(self) -> None:
        assert self._url is not None
        delay, subscribed_before = FIRST_RETRY_SECONDS, False
        while True:
            # A client of its own that never retries behind our back: a lost connection is
            # seen here, so that what was missed meanwhile is made up for.
            client = Redis.from_url(
                self._url, socket_connect_timeout=1.0, socket_timeout=HEARTBEAT_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )  # fmt: skip
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    if subscribed_before:
                        self.reconnects += 1
                        log.warning("board notices: subscribed again; every board is recomputed")
                    self.subscribed.set()
                    self.deliver(Changed(everything=True, at=time.time()))
                    subscribed_before, delay = True, FIRST_RETRY_SECONDS
                    await self._receive(pubsub)
            except (RedisError, OSError, TimeoutError) as lost:
                log.warning("board notices: subscription lost (%s); retrying", type(lost).__name__)
            finally:
                self.subscribed.clear()
                await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)

    async def _receive(self, pubsub: PubSub) -> None:
        """Deliver what arrives; ping when nothing did for ``HEARTBEAT_SECONDS`` and give up
        (raise) when the ping is not answered within as long (a frozen or vanished server)."""
        heard = time.monotonic()
        pinged = False
        while True:
            message = await pubsub.get_message(timeout=HEARTBEAT_SECONDS)
            if message is not None:
                heard, pinged = time.monotonic(), False
                if message["type"] == "message":
                    self.deliver(Changed.decode(message["data"]))
            elif time.monotonic() - heard >= HEARTBEAT_SECONDS:
                if pinged:
                    raise TimeoutError("no answer to a ping")
                await pubsub.ping()
                pinged = True
