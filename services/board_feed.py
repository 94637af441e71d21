"""Live boards: each distinct board, for each viewer scope, computed once per change and handed
to all its subscribers, each of whom holds one page at most.

Subscribers of the same key (a board and what its viewers may see of it) share a group. A
group is computed when its first subscriber comes, and again when a notice
(``services.board_notices.Changed``) covers its range; a computation equal to the group's
last one is dropped, so a refresh that writes the same figures sends nothing. A new value is
put in every subscriber's ``Slot``, which keeps the latest value not yet taken: a subscriber
that does not keep up holds one page, never a queue. One that has not taken a value for
``stall_seconds`` when a newer one arrives is dropped (``SlowConsumer``).

Nothing here knows GraphQL: a group's ``compute`` is the caller's (the leaderboard's resolvers).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import asynccontextmanager
from contextvars import Context
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from services.board_notices import Changed
from services.errors import UserError

log = logging.getLogger(__name__)

T = TypeVar("T")
Compute = Callable[[Changed | None], Awaitable[T]]  # None: the first computation
RECOMPUTE_AT_ONCE = 4  # groups recomputed side by side after a notice (each reads the pool)
RETRY_SECONDS = 2.0  # a computation that failed after a notice is tried again after this,
RETRIES = 5  # this many times at most (the next notice tries anyway)


class TooManySubscriptions(UserError):
    code = "TOO_MANY_SUBSCRIPTIONS"


class SlowConsumer(UserError):
    code = "SLOW_CONSUMER"


class Slot(Generic[T]):
    """One subscriber's outgoing value: the latest not yet taken (a newer one replaces it)."""

    def __init__(self, stall_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._stall_seconds = stall_seconds
        self._clock = clock
        self._value: T | None = None
        self._waiting_since: float | None = None  # when the value not taken yet was first put
        self._failure: BaseException | None = None
        self._ready = asyncio.Event()

    @property
    def pending(self) -> bool:
        return self._waiting_since is not None

    def put(self, value: T) -> bool:
        """Hand ``value`` over; False (and the subscriber is dropped) when the one before has
        waited longer than the stall allows."""
        now = self._clock()
        if self._waiting_since is not None and now - self._waiting_since > self._stall_seconds:
            self.fail(
                SlowConsumer(
                    f"updates were not read for over {self._stall_seconds:g} s: the "
                    "subscription is ended; subscribe again"
                )
            )
            return False
        if self._waiting_since is None:
            self._waiting_since = now
        self._value = value
        self._ready.set()
        return True

    def fail(self, failure: BaseException) -> None:
        """End the subscription: ``take`` raises ``failure`` (what was pending is dropped)."""
        self._failure, self._value = failure, None
        self._ready.set()

    async def take(self) -> T:
        """The next value: the latest put since the last ``take``."""
        await self._ready.wait()
        if self._failure is not None:
            raise self._failure
        self._ready.clear()
        value, self._value, self._waiting_since = self._value, None, None
        assert value is not None
        return value


@dataclass(eq=False)
class _Group(Generic[T]):
    compute: Compute[T]
    covers: Callable[[Changed], bool]
    slots: set[Slot[T]] = field(default_factory=set)
    latest: T | None = None
    running: asyncio.Task[None] | None = None
    owed: Changed | None = None  # a notice that came while a computation ran: run again


class BoardFeed(Generic[T]):
    """The live boards of one process."""

    def __init__(self, *, max_subscriptions: int, stall_seconds: float) -> None:
        self.max_subscriptions = max_subscriptions
        self.stall_seconds = stall_seconds
        self._groups: dict[Hashable, _Group[T]] = {}
        self._reserved = 0
        self._at_once = asyncio.Semaphore(RECOMPUTE_AT_ONCE)
        self.computations = 0  # every computation of a group, for the tests and the benchmark

    @property
    def subscriptions(self) -> int:
        return self._reserved

    @property
    def groups(self) -> int:
        return len(self._groups)

    def reserve(self) -> None:
        """Count one more subscription in this process, or refuse it past the limit."""
        if self._reserved >= self.max_subscriptions:
            raise TooManySubscriptions(
                f"this server holds {self.max_subscriptions} subscriptions at most; try again later"
            )
        self._reserved += 1

    def release(self) -> None:
        self._reserved -= 1

    @asynccontextmanager
    async def subscribe(
        self, key: Hashable, compute: Compute[T], covers: Callable[[Changed], bool]
    ) -> AsyncIterator[Slot[T]]:
        """A slot that gets the group's current value first, then every change, while the
        block runs."""
        slot: Slot[T] = Slot(self.stall_seconds)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(compute, covers)
            group.slots.add(slot)
            self._start(group, None)
        else:
            group.slots.add(slot)
            if group.latest is not None:
                slot.put(group.latest)
            elif group.running is None or group.running.done():  # its first computation failed
                self._start(group, None)
        try:
            yield slot
        finally:
            group.slots.discard(slot)
            if not group.slots and self._groups.get(key) is group:
                del self._groups[key]
                if group.running is not None:
                    group.running.cancel()

    def changed(self, changed: Changed) -> None:
        """A notice (a ``BoardNotices`` listener): recompute the groups it covers."""
        for group in list(self._groups.values()):
            if group.covers(changed):
                if group.running is not None and not group.running.done():
                    group.owed = changed if group.owed is None else _merged(group.owed, changed)
                else:
                    self._start(group, changed)

    async def settled(self) -> None:
        """Once no group is being computed (what a notice started has ended)."""
        while running := [
            g.running for g in self._groups.values() if g.running and not g.running.done()
        ]:
            await asyncio.wait(running)

    async def aclose(self) -> None:
        running = [g.running for g in self._groups.values() if g.running is not None]
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def _start(self, group: _Group[T], changed: Changed | None) -> None:
        # A context of its own: not that of the write (or subscriber) that started it.
        running = self._run(group, changed)
        group.running = asyncio.get_running_loop().create_task(running, context=Context())

    async def _run(self, group: _Group[T], changed: Changed | None) -> None:
        attempt = 0
        while True:
            try:
                async with self._at_once:
                    self.computations += 1
                    value = await group.compute(changed)
            except asyncio.CancelledError:
                raise
            except Exception as failure:
                if changed is None:  # the first computation: its subscribers are told
                    for slot in list(group.slots):
                        slot.fail(failure)
                    return
                attempt += 1
                log.warning("a live board was not recomputed (%s)", type(failure).__name__)
                if attempt > RETRIES:
                    return
                await asyncio.sleep(RETRY_SECONDS)
                continue
            log.debug("live board computed", extra={"subscribers": len(group.slots)})
            if value != group.latest:
                group.latest = value
                for slot in list(group.slots):
                    if not slot.put(value):
                        group.slots.discard(slot)  # dropped: it is told when it takes
            if group.owed is None:
                return
            changed, group.owed, attempt = group.owed, None, 0


def _merged(first: Changed, second: Changed) -> Changed:
    return Changed(
        first.dates | second.dates, first.everything or second.everything, max(first.at, second.at)
    )
