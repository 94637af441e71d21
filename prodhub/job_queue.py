"""Enqueueing from a web process: what resolvers call to have jobs run (``resolvers.context``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from cachetools import TTLCache
from redis.asyncio import Redis

from services.errors import JobsOff
from services.jobs import write_tick
from tasks.registry import Actors

DEBOUNCE_SECONDS = 30  # ingestion bursts within this share one refresh, run after it
# What an admin asked for (a sync, a recalculation of up to 366 days, one message a day, each
# scoring a day in a second or two) is worth doing for a day, not only the 10 minutes a
# periodic refresh is.
ASKED_MAX_AGE_MS = 24 * 3600 * 1000


class JobQueue:
    """Enqueues jobs from a web process: a refresh of the days a write touched, debounced
    (a thousand calls in a minute enqueue one refresh per day), or one right away. Without
    ``actors`` (several web processes and no Redis: nothing would run them) it enqueues
    nothing: refreshes wait for the next run of the jobs, recalculations are refused."""

    def __init__(self, actors: Actors | None, redis: Redis | None) -> None:
        self.actors, self.redis = actors, redis
        self._recent: TTLCache[str, bool] = TTLCache(maxsize=10_000, ttl=DEBOUNCE_SECONDS)

    async def refresh_soon(self, days: Iterable[date], now: datetime) -> int:
        if self.actors is None:
            return 0
        sent = 0
        for day in sorted(set(days)):
            if await self._first_in_window(f"prodhub:debounce:refresh:{day.isoformat()}"):
                tick = write_tick(now)
                self.actors.refresh_scores.send_with_options(
                    args=(day.isoformat(), tick), delay=DEBOUNCE_SECONDS * 1000
                )
                sent += 1
        return sent

    async def recalculate(self, days: Iterable[date], tick: str) -> int:
        if self.actors is None:
            raise JobsOff()
        chosen = sorted(set(days))
        for day in chosen:  # finalized days included: a recalculation is for them too
            self.actors.refresh_scores.send_with_options(
                args=(day.isoformat(), tick, True), max_age=ASKED_MAX_AGE_MS
            )
        return len(chosen)

    @property
    def running(self) -> bool:
        return self.actors is not None

    async def sync(self, job: str, messages: Iterable[tuple[Any, ...]]) -> int:
        """Send a sync's messages now; a backfill may wait in the queue up to a day."""
        if self.actors is None:
            raise JobsOff()
        actor = getattr(self.actors, job)
        sent = 0
        for args in messages:
            actor.send_with_options(args=args, max_age=ASKED_MAX_AGE_MS)
            sent += 1
        return sent

    async def _first_in_window(self, key: str) -> bool:
        if self.redis is not None:  # shared by every web process
            return bool(await self.redis.set(key, 1, nx=True, ex=DEBOUNCE_SECONDS))
        if key in self._recent:
            return False
        self._recent[key] = True
        return True
