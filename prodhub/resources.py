"""The composition root: the one place where a process's shared resources are built and wired.

The web app, every CLI command and (with the jobs) the Dramatiq worker get their settings,
database, Redis client and response cache from ``build_resources``, so wiring such as "every
committed write drops cached responses" holds in every process by construction. Nothing
connects here: the engines and the Redis pool connect on first use; ``aclose`` releases them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from redis.asyncio import Redis

from cache import ResponseCache, build_response_cache
from cache.breaker import Breaker
from cache.persisted import (
    MemoryPersistedQueries,
    PersistedQueries,
    RedisPersistedQueries,
)
from core.redis import connect_cache_redis, connect_redis
from core.settings import Settings
from db.engine import Database
from services.board_notices import BoardNotices
from services.login_limits import LoginLimits
from services.revocation import UserStamps

# After a cache Redis failure, this long without asking it (``cache.breaker``).
BREAKER_WINDOW_SECONDS = 5.0


@dataclass
class Resources:
    settings: Settings
    db: Database
    redis: Redis | None
    cache: ResponseCache | None
    persisted: PersistedQueries  # Apollo's automatic persisted queries
    limiter: LoginLimits  # failed sign-ins: in Redis when there is one (shared), and in memory
    stamps: UserStamps  # users' current token stamps: what ends their tokens
    owns_db: bool = True
    cache_redis: Redis | None = None  # the cache's own client: short timeouts, a breaker
    # What committed writes changed of the leaderboards, told to every web process.
    notices: BoardNotices = field(default_factory=lambda: BoardNotices(None))
    _detach: list[Callable[[], None]] = field(default_factory=list, repr=False)

    async def aclose(self) -> None:
        """Close what these resources opened: the cache, the Redis pool, the engines."""
        for detach in self._detach:
            detach()
        self._detach.clear()
        await self.notices.aclose()
        await self.stamps.aclose()
        if self.cache is not None:
            await self.cache.aclose()
        for client in (self.cache_redis, self.redis):
            if client is not None:
                await client.aclose()
        if self.owns_db:
            await self.db.dispose()


def build_resources(settings: Settings | None = None, *, db: Database | None = None) -> Resources:
    """Everything a process shares, from ``settings`` (default: the environment).

    ``db`` lets a caller that already holds a migrated database (the tests, the benchmark)
    share its engines; it stays open when these resources close.
    """
    settings = settings or Settings()
    database = db or Database(settings)
    redis = connect_redis(settings.redis_url) if settings.redis_url else None
    cache_redis = connect_cache_redis(settings.redis_url) if settings.redis_url else None
    breaker = Breaker(window_seconds=BREAKER_WINDOW_SECONDS)
    cache = build_response_cache(settings, cache_redis, breaker)
    persisted: PersistedQueries = (
        RedisPersistedQueries(cache_redis, breaker) if cache_redis else MemoryPersistedQueries()
    )
    limiter = LoginLimits(cache_redis, breaker)  # the cache's Redis client and breaker
    stamps = UserStamps(database, redis=redis)
    resources = Resources(
        settings, database, redis, cache, persisted, limiter, stamps,
        owns_db=db is None, cache_redis=cache_redis,
        notices=BoardNotices(redis, redis_url=settings.redis_url),
    )  # fmt: skip
    if cache is not None:
        resources._detach.append(database.add_write_listener(cache.invalidate))
    # ... and tells every web process's live leaderboards which work dates it changed.
    resources._detach.append(database.add_write_listener(resources.notices.publish))
    # A committed change of a user ends the tokens it changed, in this process at once.
    resources._detach.append(database.add_write_listener(stamps.note_writes))
    return resources


@asynccontextmanager
async def open_resources(settings: Settings | None = None) -> AsyncIterator[Resources]:
    """``build_resources`` for a command that runs and ends: closed on the way out."""
    resources = build_resources(settings)
    try:
        yield resources
    finally:
        await resources.aclose()
