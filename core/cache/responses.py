"""Whole GraphQL responses, kept as the bytes sent, valid until a write changes what they read.

An entry's key is a hash of the viewer's cache scope (their authorization context; for a
PRIVATE response also the viewer), the document, the operation name and the variables. It is
stored with the versions of the tags it read (``core.cache.tags``) as they were *before* the
query ran: a write that lands while it runs bumps a tag after those versions were read, so the
entry is never served again. Versions come from the lookup itself (the stale entry's tags, read
in the same round trip as the entry) or, for tags new to the key, from a read after the query
that counts only if no write happened in between (the write epoch did not move); otherwise the
entry is kept as already stale, which still tells the next lookup which tags to read first.

Redis trouble never fails a request: every call goes through a circuit breaker
(``core.cache.breaker``) and any failure means "not cached". A write whose tags could not be
bumped makes this process bump the ``all`` tag, which every entry carries, as soon as Redis
answers again; the TTL bounds what a process that died in between leaves behind.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from core.cache import entries
from core.cache.backends import CacheBackend, CacheError, MemoryBackend, RedisBackend
from core.cache.breaker import Breaker, guarded
from core.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

PREFIX = "prodhub:response:"
ALL = "all"
T = TypeVar("T")


@dataclass(frozen=True)
class Policy:
    """How long a response may be kept, and whether it is one viewer's (Apollo's hints)."""

    max_age: int
    private: bool = False


@dataclass(frozen=True)
class Lookup:
    key: str
    epoch: int
    entry: entries.Entry | None  # a valid entry, or None
    known: dict[str, int] = field(default_factory=dict)


class ResponseCache:
    def __init__(
        self,
        backend: CacheBackend,
        *,
        max_ttl_seconds: float,
        breaker: Breaker | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.backend = backend
        self.max_ttl_seconds = max_ttl_seconds
        self.breaker = breaker
        self.clock = clock
        self._owe_all = False  # a write's tags could not be bumped

    @staticmethod
    def key(
        *, scope: str, query: str, operation_name: str | None, variables: dict[str, Any] | None
    ) -> str:
        material = json.dumps(
            [scope, query, operation_name, variables or {}], sort_keys=True, separators=(",", ":")
        )
        return PREFIX + hashlib.sha256(material.encode()).hexdigest()

    async def lookup(self, key: str) -> Lookup | None:
        """The entry if valid; None when the cache cannot be asked (then do not store)."""
        try:
            if self._owe_all:
                await self._call(lambda: self.backend.bump([ALL]))
                self._owe_all = False
            found = await self._call(lambda: self.backend.lookup(key))
        except CacheError:
            return None
        entry = entries.decode(*found.entry) if found.entry is not None else None
        return Lookup(key, found.epoch, entry, found.known)

    async def store(
        self,
        lookup: Lookup,
        *,
        body: bytes,
        tags: Iterable[str],
        policy: Policy,
        stored_at: float | None = None,
    ) -> None:
        """Keep ``body``, computed after ``lookup``, with the versions its ``tags`` had then
        (``stored_at``, seconds since the epoch, is when it was computed: its age counts from
        there)."""
        wanted = {*tags, ALL}
        versions = {t: lookup.known[t] for t in wanted if t in lookup.known}
        new = wanted - versions.keys()
        try:
            if new:
                epoch, current = await self._call(lambda: self.backend.versions(new))
                unchanged = epoch == lookup.epoch  # no write since the lookup
                versions |= current if unchanged else dict.fromkeys(new, -1)
            ttl = min(policy.max_age, self.max_ttl_seconds)
            header = entries.encode(
                stored_at_ms=round((stored_at if stored_at is not None else self.clock()) * 1000),
                max_age=policy.max_age,
                private=policy.private, tags=versions, body_id=entries.body_id(body),
            )  # fmt: skip
            await self._call(lambda: self.backend.store(lookup.key, header, body, ttl))
        except CacheError:
            log.warning("response not kept: the cache is unavailable")

    async def invalidate(self, tags: frozenset[str]) -> None:
        """A committed write changed ``tags``. Never raises: a write must not fail because
        the cache did."""
        if not tags:
            return
        try:
            await self._call(lambda: self.backend.bump(tags))
        except CacheError:
            self._owe_all = True
            log.warning("cache tags not bumped; every entry is dropped when the cache is back")

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        return await guarded(self.breaker, operation, CacheError)

    async def aclose(self) -> None:
        await self.backend.aclose()


def build_response_cache(
    settings: Settings, redis: Redis | None, breaker: Breaker | None = None
) -> ResponseCache | None:
    """On ``redis`` when given (a client that gives up fast, ``core.redis.connect_cache_redis``,
    behind ``breaker``), else in memory; ``None`` when ``PRODHUB_CACHE_TTL_SECONDS=0``."""
    ttl = settings.cache_ttl_seconds
    if ttl <= 0:
        return None
    if redis is not None:
        shared = RedisBackend(redis, body_bytes=settings.cache_max_mb << 20)
        return ResponseCache(shared, max_ttl_seconds=ttl, breaker=breaker)
    backend = MemoryBackend(max_ttl_seconds=ttl, max_bytes=settings.cache_max_mb << 20)
    return ResponseCache(backend, max_ttl_seconds=ttl)
