"""Enqueueing from a web process: what resolvers call to have jobs run (``resolvers.context``).

Nothing here blocks the event loop. Dramatiq's Redis broker is synchronous, so every send runs
in a thread of the queue's own (``prodhub-enqueue``), on a client with short timeouts
(``core.redis.connect_broker_redis``), waited for at most ``SEND_SECONDS``, behind a circuit
breaker of the queue's own (``cache.breaker``): a Redis that does not answer costs at most
one timeout per breaker window, and the sends in between fail at once.

A refresh after a write is best-effort: the write is committed and its answer is the truth, so
a refresh that cannot be enqueued is logged, counted (``prodhub_queue_enqueue_failures``) and
*owed* (``prodhub_queue_refreshes_owed``): the day is kept in memory (``MAX_OWED`` days at most)
and a background task tries its refresh every ``RETRY_MAX_SECONDS`` at most, past the breaker
(no request waits on it; its success closes the breaker), so it is sent within about that long
of the queue answering again. A process that stops
while owing loses them; the periodic refresh of today and each day's finalization score those
days anyway. What an admin asks for (a recalculation, a sync) is sent at once or refused with
``JOBS_UNAVAILABLE``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

import redis
from cachetools import TTLCache
from dramatiq import Actor
from prometheus_client import Counter, Gauge
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cache.breaker import Breaker, State, guarded
from services.errors import JobsOff, UserError
from services.jobs import Job, write_tick
from tasks.registry import Actors

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 30  # ingestion bursts within this share one refresh, run after it
# What an admin asked for (a sync, a recalculation of up to 366 days, one message a day, each
# scoring a day in a second or two) is worth doing for a day, not only the 10 minutes a
# periodic refresh is.
ASKED_MAX_AGE_MS = 24 * 3600 * 1000
# After a failed send, this long without asking the queue's Redis.
BREAKER_WINDOW_SECONDS = 5.0
# The longest a send is waited for: a round trip and a reconnection at the client's timeouts.
SEND_SECONDS = 1.5
DEBOUNCE_TIMEOUT_SECONDS = 0.5  # the shared debounce window; past it, this process's own
MAX_OWED = 400  # work dates; past it the oldest is dropped (its day is refreshed periodically)
RETRY_FIRST_SECONDS = 0.5  # the owed refreshes are tried again after this, doubling up to
RETRY_MAX_SECONDS = 1.0  # (while the breaker is open a try costs nothing)

ENQUEUE_FAILURES = Counter(
    "prodhub_queue_enqueue_failures",
    "Messages a web process could not enqueue (the queue's Redis failed, or its breaker was "
    "open), by job; a refresh after a write is owed and sent later, an admin's request refused.",
    ["job"],
)
OWED_REFRESHES = Gauge(
    "prodhub_queue_refreshes_owed",
    "Work dates whose refresh was asked for by a committed write and not yet enqueued.",
    multiprocess_mode="livesum",
)


class QueueDown(Exception):
    """The queue's Redis did not take a message, or was not asked (its breaker is open)."""


class JobsUnavailable(UserError):
    """The job queue does not answer now: nothing was changed by the refusal; ask again."""

    code = "JOBS_UNAVAILABLE"


class JobQueue:
    """Enqueues jobs from a web process: a refresh of the days a write touched, debounced
    (a thousand calls in a minute enqueue one refresh per day), or one right away. Without
    ``actors`` (several web processes and no Redis: nothing would run them) it enqueues
    nothing: refreshes wait for the next run of the jobs, recalculations are refused.

    ``redis`` (a client that gives up fast) holds the debounce window shared by every web
    process; without it, or while it fails, each process keeps its own."""

    def __init__(self, actors: Actors | None, redis: Redis | None) -> None:
        self.actors, self.redis = actors, redis
        self.breaker = Breaker(window_seconds=BREAKER_WINDOW_SECONDS, name="job queue Redis")
        self._recent: TTLCache[str, bool] = TTLCache(maxsize=10_000, ttl=DEBOUNCE_SECONDS)
        self._owed: OrderedDict[date, str] = OrderedDict()  # day: the latest write's tick
        self._paying: asyncio.Task[None] | None = None
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prodhub-enqueue")

    @property
    def owed(self) -> list[date]:
        """The days whose refresh is owed, oldest first."""
        return list(self._owed)

    async def refresh_soon(self, days: Iterable[date], now: datetime) -> int:
        """Called after a commit: never raises for the queue's sake (see the module)."""
        if self.actors is None:
            return 0
        tick, sent = write_tick(now), 0
        for day in sorted(set(days)):
            if not await self._first_in_window(f"prodhub:debounce:refresh:{day.isoformat()}"):
                continue
            self._owe(day, tick)  # until it is sent: a cancelled request owes it too
            try:
                await self._send_refresh(day, tick)
                sent += 1
            except QueueDown as down:
                ENQUEUE_FAILURES.labels(Job.REFRESH_SCORES.value).inc()
                log.warning("refresh of %s not enqueued (%s): owed, sent later", day, down)
            except Exception:  # not the queue's: still never the committed write's failure
                ENQUEUE_FAILURES.labels(Job.REFRESH_SCORES.value).inc()
                log.exception("refresh of %s not enqueued: owed, sent later", day)
            finally:
                if day in self._owed:
                    self._pay_later()
        return sent

    async def recalculate(self, days: Iterable[date], tick: str) -> int:
        if self.actors is None:
            raise JobsOff()
        chosen = sorted(set(days))
        actor = self.actors[Job.REFRESH_SCORES]
        for n, day in enumerate(chosen):  # finalized days included: a recalculation is for them
            args = (day.isoformat(), tick, True)
            await self._asked(actor, args, done=n, of=len(chosen))
        return len(chosen)

    @property
    def running(self) -> bool:
        return self.actors is not None

    async def sync(self, job: str, messages: Iterable[tuple[Any, ...]]) -> int:
        """Send a sync's messages now; a backfill may wait in the queue up to a day."""
        if self.actors is None:
            raise JobsOff()
        actor = self.actors[Job(job)]
        chosen = list(messages)
        for n, args in enumerate(chosen):
            await self._asked(actor, args, done=n, of=len(chosen))
        return len(chosen)

    async def aclose(self) -> None:
        """At shutdown: one last try of what is owed (within ``SEND_SECONDS``), then the
        sending thread and the broker's client go."""
        if self._paying is not None:
            self._paying.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._paying
            self._paying = None
        if self._owed:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(SEND_SECONDS):
                    await self._pay_owed()
        if self._owed:
            log.warning(
                "stopping with refreshes owed for %s: the periodic refresh and finalization "
                "score those days", ", ".join(d.isoformat() for d in self._owed),
            )  # fmt: skip
            OWED_REFRESHES.dec(len(self._owed))
            self._owed.clear()
        broker = self.actors[Job.REFRESH_SCORES].broker if self.actors else None
        client = getattr(broker, "client", None)
        if isinstance(client, redis.Redis):
            with contextlib.suppress(Exception):
                await asyncio.get_running_loop().run_in_executor(self._sender, client.close)
        self._sender.shutdown(wait=False, cancel_futures=True)

    # --- sending -------------------------------------------------------------------------

    async def _send_refresh(self, day: date, tick: str, *, past_the_breaker: bool = False) -> None:
        assert self.actors is not None
        await self._send(
            self.actors[Job.REFRESH_SCORES],
            (day.isoformat(), tick),
            past_the_breaker=past_the_breaker,
            delay=DEBOUNCE_SECONDS * 1000,
        )
        if self._owed.get(day) == tick:  # a later write's tick stays owed
            del self._owed[day]
            OWED_REFRESHES.dec()

    async def _asked(
        self, actor: Actor[Any, Any], args: tuple[Any, ...], *, done: int, of: int
    ) -> None:
        """An admin's message: sent, or the request refused with what was sent so far."""
        try:
            await self._send(actor, args, max_age=ASKED_MAX_AGE_MS)
        except QueueDown as down:
            ENQUEUE_FAILURES.labels(actor.actor_name).inc()
            log.warning("%s not enqueued: %s", actor.actor_name, down)
            raise JobsUnavailable(
                f"the job queue does not answer: {done} of {of} messages were queued; "
                "ask again shortly (asking again does each at most once more)"
            ) from down

    async def _send(
        self,
        actor: Actor[Any, Any],
        args: tuple[Any, ...],
        *,
        past_the_breaker: bool = False,
        **options: Any,
    ) -> None:
        """One message, sent in the sending thread through the breaker (``past_the_breaker``:
        for what no request waits on; its success closes the breaker); ``QueueDown`` when it
        was not taken, or may not have been (a send that outlived its wait: sent again later,
        its job is idempotent)."""
        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + SEND_SECONDS
        # The sending thread sends in the request's context: its id goes with the message.
        context = contextvars.copy_context()

        def send() -> None:  # in the sending thread
            if time.monotonic() > deadline:
                raise QueueDown("not sent in time")
            if self.breaker.state is State.OPEN and not past_the_breaker:  # opened meanwhile
                raise QueueDown("the circuit breaker is open")
            try:
                actor.send_with_options(args=args, **options)
            except (RedisError, OSError) as exc:
                raise QueueDown(f"{type(exc).__name__}: {exc}") from exc

        async def sent() -> None:
            try:
                async with asyncio.timeout(SEND_SECONDS):
                    await loop.run_in_executor(self._sender, context.run, send)
            except TimeoutError as exc:
                raise QueueDown("no answer in time") from exc

        if not past_the_breaker:
            await guarded(self.breaker, sent, QueueDown)
            return
        await sent()
        self.breaker.succeeded()

    async def _first_in_window(self, key: str) -> bool:
        if self.redis is not None and self.breaker.state is State.CLOSED:
            try:  # shared by every web process
                async with asyncio.timeout(DEBOUNCE_TIMEOUT_SECONDS):
                    return bool(await self.redis.set(key, 1, nx=True, ex=DEBOUNCE_SECONDS))
            except (RedisError, OSError, TimeoutError) as exc:
                log.warning("refresh debounced in this process only: %s", type(exc).__name__)
        if key in self._recent:
            return False
        self._recent[key] = True
        return True

    # --- what is owed --------------------------------------------------------------------

    def _owe(self, day: date, tick: str) -> None:
        if day not in self._owed:
            OWED_REFRESHES.inc()
            if len(self._owed) >= MAX_OWED:
                dropped, _ = self._owed.popitem(last=False)
                OWED_REFRESHES.dec()
                log.error("refresh of %s dropped: too many owed", dropped)
        self._owed[day] = tick
        self._owed.move_to_end(day)

    def _pay_later(self) -> None:
        """Have the owed refreshes sent in the background, on this loop, until none is owed."""
        if self._paying is None or self._paying.done():
            # In a context of its own: what it sends is no one request's.
            self._paying = asyncio.get_running_loop().create_task(
                self._pay_until_done(), context=contextvars.Context()
            )

    async def _pay_until_done(self) -> None:
        delay = RETRY_FIRST_SECONDS
        while self._owed:
            await asyncio.sleep(delay)
            try:
                await self._pay_owed(past_the_breaker=True)
            except QueueDown:
                delay = min(delay * 2, RETRY_MAX_SECONDS)
            except Exception:
                log.exception("owed refreshes not sent")
                delay = min(delay * 2, RETRY_MAX_SECONDS)
            else:
                log.warning("owed refreshes enqueued")

    async def _pay_owed(self, *, past_the_breaker: bool = False) -> None:
        for day, tick in list(self._owed.items()):
            await self._send_refresh(day, tick, past_the_breaker=past_the_breaker)
