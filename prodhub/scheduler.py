"""The one scheduler: enqueues each due tick once, while it holds the leader lease.

With Redis, any number of ``prodhub scheduler`` processes may run: one holds the lease
(``SET NX PX``, renewed by a compare-and-expire script) and enqueues; the others wait and
take over within a lease when it stops. Each tick is also claimed with ``SET NX`` before it
is enqueued, so even two leaders at once (a paused process waking up) enqueue it once. In the
embedded default there is one process: the lease and the claims live in memory.

A claim never outlives a send that failed. It is taken for ``PENDING_SECONDS``; once the
message is sent it is kept for ``CLAIM_SECONDS`` (the tick is done); a send that fails
releases it at once, so the next round (``every`` seconds later) sends the tick again; a
process that dies in between leaves a claim that runs out within ``PENDING_SECONDS``. A send
that failed after Redis had taken the message (a timeout) may thus enqueue a tick twice:
``run_job`` skips a tick that succeeded, and every job is idempotent. Losing a tick would
cost more: a claimed ``finalize_day`` that was never sent held its day for two days.

Dramatiq's ``send`` blocks on Redis: it runs in a thread, never on the event loop, bounded
by the broker's socket timeouts (``prodhub/redis_broker.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

from cachetools import TTLCache
from redis.asyncio import Redis
from structlog.contextvars import bound_contextvars

from core.settings import Settings
from prodhub.resources import Resources
from services.final_days import unfinalized_days
from tasks.registry import Actors
from tasks.timing import Due, due

log = logging.getLogger(__name__)

LEASE = "prodhub:scheduler:leader"
CLAIM = "prodhub:scheduler:tick:"
CLAIM_SECONDS = 2 * 24 * 3600  # a tick sent is never sent again
PENDING_SECONDS = 120  # a claim whose send has not finished: far longer than a send may take
CATCH_UP_DAYS = 7
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
KEEP = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class Scheduler:
    def __init__(
        self,
        resources: Resources,
        actors: Actors,
        *,
        lease_ms: int = 15_000,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.resources, self.actors = resources, actors
        self.clock = clock or _settings_clock(resources.settings)
        self.lease_ms = lease_ms
        self.ident = uuid.uuid4().hex
        self._claims: TTLCache[str, bool] = TTLCache(maxsize=100_000, ttl=CLAIM_SECONDS)

    @property
    def redis(self) -> Redis | None:
        return self.resources.redis

    async def step(self) -> list[Due]:
        """One round: hold or take the lease; if leading, enqueue what is due and not yet
        claimed. Returns what this round enqueued."""
        if not await self._lead():
            return []
        now = self.clock().astimezone(self.resources.settings.zone)
        enqueued = []
        for item in due(now, await self._unfinalized(now.date())):
            if not await self._claim(item):
                continue
            try:  # the tick's key is its job's id in the logs (prodhub.job_logs)
                with bound_contextvars(request_id=item.key):
                    await asyncio.to_thread(self.actors[item.job].send, *item.args)
            except BaseException:
                await self._release(item)  # the next round sends it again
                raise
            await self._sent(item)
            enqueued.append(item)
        return enqueued

    async def run(self, stop: asyncio.Event, every: float = 5.0) -> None:
        while not stop.is_set():
            try:
                for item in await self.step():
                    log.info("enqueued %s", item.key)
            except Exception:  # a round that fails is retried next round
                log.exception("scheduler round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=every)

    async def _lead(self) -> bool:
        if self.redis is None:
            return True  # the embedded default has one process
        renewed = await self.redis.eval(RENEW, 1, LEASE, self.ident, self.lease_ms)
        if renewed:
            return True
        taken = await self.redis.set(LEASE, self.ident, nx=True, px=self.lease_ms)
        return bool(taken)

    async def _claim(self, item: Due) -> bool:
        if self.redis is None:
            if item.key in self._claims:
                return False
            self._claims[item.key] = True
            return True
        return bool(await self.redis.set(CLAIM + item.key, self.ident, nx=True, ex=PENDING_SECONDS))

    async def _sent(self, item: Due) -> None:
        if self.redis is not None:
            await self.redis.eval(KEEP, 1, CLAIM + item.key, self.ident, CLAIM_SECONDS)

    async def _release(self, item: Due) -> None:
        """Best effort: a claim that cannot be released runs out within PENDING_SECONDS."""
        if self.redis is None:
            self._claims.pop(item.key, None)
            return
        try:
            await self.redis.eval(RELEASE, 1, CLAIM + item.key, self.ident)
        except Exception as error:
            log.warning("claim of %s not released: %s", item.key, type(error).__name__)

    async def _unfinalized(self, today: date) -> list[date]:
        return await self.resources.db.read(
            lambda session: unfinalized_days(session=session, today=today, back=CATCH_UP_DAYS)
        )


def _settings_clock(settings: Settings) -> Callable[[], datetime]:
    """The wall clock, or the instant ``scheduler_frozen_at`` stops it at (tests)."""
    frozen = settings.scheduler_frozen_at
    if frozen is not None:
        return lambda: frozen
    return lambda: datetime.now(UTC)
