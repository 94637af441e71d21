"""Whole GraphQL responses, kept as the bytes sent, valid until a write changes what they read.

An entry's key is a hash of the viewer's cache scope (their authorization context; for a
PRIVATE response also the viewer), the document, the operation name and the variables. It is
stored with the versions of the tags it read (``cache.tags``) as they were *before* the
query ran: a write that lands while it runs bumps a tag after those versions were read, so the
entry is never served again. Versions come from the lookup itself (the stale entry's tags, read
in the same round trip as the entry) or, for tags new to the key, from a read after the query
that counts only if no write happened in between (the write epoch did not move); otherwise the
entry is kept as already stale, which still tells the next lookup which tags to read first.

Redis trouble never fails a request: every call goes through a circuit breaker
(``cache.breaker``) and any failure means "not cached". A write whose tags could not be
bumped makes this process owe a bump of the ``all`` tag, which every entry carries: a task on
the writer's event loop (a web process's, or a worker's, which never looks anything up) tries
it every ``SETTLE_MAX_SECONDS`` at most, whatever the breaker says (it is nobody's request),
until Redis takes it, so other processes stop serving what the write changed within about that
long of Redis answering again; a lookup in the writer pays it first too. Closing the cache
tries once more; the TTL bounds what a process that died owing leaves behind.

With database replicas (``db.replicas``) a response may be computed from a replica that has
not applied a write yet, after that write bumped its tags: it would be stored as current.
Two rules keep that from lasting. Every write's tags are bumped a second time once no replica
that reads are sent to can still miss it (``rebump_seconds``, the settings'
``replica_staleness_seconds``), so such an entry lives that long at most, like the replica's
own staleness; and a request whose client wrote less than that long ago (``cache.freshness``)
is answered nothing from the cache and stores nothing: it reads what it wrote.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from cache import compression, entries, freshness
from cache.backends import CacheBackend, CacheError, MemoryBackend, RedisBackend
from cache.breaker import Breaker, guarded
from core.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

PREFIX = "prodhub:response:"
ALL = "all"
SETTLE_FIRST_SECONDS = 0.1  # an owed bump of ``all`` is tried again after this, doubling up to
SETTLE_MAX_SECONDS = 1.0
CLOSE_SECONDS = 1.0  # the last try of an owed bump when the cache closes
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
        rebump_seconds: float = 0.0,
    ) -> None:
        self.backend = backend
        self.max_ttl_seconds = max_ttl_seconds
        self.breaker = breaker
        self.clock = clock
        self.rebump_seconds = rebump_seconds  # 0: no second bump (no replicas)
        self._rebumps: set[asyncio.Task[None]] = set()
        # Writes whose tags could not be bumped, and how many of them a bump of ``all`` has
        # settled (one that began after they failed).
        self._owed = self._settled = 0
        self._settling: asyncio.Task[None] | None = None

    @property
    def owes(self) -> bool:
        """Whether a write's tags could not be bumped and ``all`` is not bumped since."""
        return self._settled < self._owed

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
        if self.rebump_seconds and self._client_wrote_lately():
            return None
        try:
            if self.owes:
                await self._settle()
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
    ) -> entries.Bodies:
        """Keep ``body``, computed after ``lookup``, with the versions its ``tags`` had then
        (``stored_at``, seconds since the epoch, is when it was computed: its age counts from
        there), and compressed in every coding a hit may send (``cache.compression``): those
        bodies are returned, kept or not, for the response that computed them to send."""
        bodies = entries.Bodies(body, await compression.variants(body))
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
            await self._call(lambda: self.backend.store(lookup.key, header, bodies, ttl))
        except CacheError:
            log.warning("response not kept: the cache is unavailable")
        return bodies

    async def invalidate(self, tags: frozenset[str]) -> None:
        """A committed write changed ``tags``. Never raises: a write must not fail because
        the cache did."""
        if not tags:
            return
        if self.rebump_seconds:
            self._rebump_later(tags)
        await self._bump(tags)

    async def _bump(self, tags: frozenset[str]) -> None:
        try:
            await self._call(lambda: self.backend.bump(tags))
        except CacheError:
            self._owed += 1
            log.warning("cache tags not bumped; every entry is dropped when the cache is back")
            self._settle_later()

    def _client_wrote_lately(self) -> bool:
        request = freshness.current.get()
        wrote_at = request.wrote_at if request is not None else None
        return wrote_at is not None and self.clock() - wrote_at < self.rebump_seconds

    def _rebump_later(self, tags: frozenset[str]) -> None:
        """Bump ``tags`` again once every replica read has the write: what a lagging one
        answered meanwhile is dropped (a failure owes ``all``, as the first bump's does)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        async def later() -> None:
            await asyncio.sleep(self.rebump_seconds)
            await self._bump(tags)

        task = loop.create_task(later())
        self._rebumps.add(task)
        task.add_done_callback(self._rebumps.discard)

    async def _rebump_now(self) -> None:
        """The second bumps not done yet, now: early rather than never (an entry computed
        from a lagging replica after this may then live until its TTL: logged)."""
        pending = [task for task in self._rebumps if not task.done()]
        if not pending:
            return
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        log.warning("closing: %d writes' second bumps done early", len(pending))
        with contextlib.suppress(CacheError, TimeoutError):
            async with asyncio.timeout(CLOSE_SECONDS):
                await self._call(lambda: self.backend.bump([ALL]))

    async def _call(self, operation: Callable[[], Awaitable[T]]) -> T:
        return await guarded(self.breaker, operation, CacheError)

    async def _settle(self, *, past_the_breaker: bool = False) -> None:
        """Bump ``all`` for the writes that failed before it began. ``past_the_breaker``: for
        what no request waits on (an answer closes the breaker)."""
        owed = self._owed
        if past_the_breaker:
            await self.backend.bump([ALL])
            if self.breaker is not None:
                self.breaker.succeeded()
        else:
            await self._call(lambda: self.backend.bump([ALL]))
        if self._settled < owed:
            self._settled = owed
            log.warning("cache tags bumped after a failure: every entry is dropped")

    def _settle_later(self) -> None:
        if self._settling is not None and not self._settling.done():
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (never so in the app): the next lookup pays it
            return
        self._settling = loop.create_task(self._settle_until_done())

    async def _settle_until_done(self) -> None:
        delay = SETTLE_FIRST_SECONDS
        while self.owes:
            await asyncio.sleep(delay)
            try:
                await self._settle(past_the_breaker=True)
            except CacheError:
                pass
            except Exception:  # not Redis's: keep trying, the entries must go
                log.exception("cache tags not bumped")
            delay = min(delay * 2, SETTLE_MAX_SECONDS)

    async def aclose(self) -> None:
        await self._rebump_now()
        if self._settling is not None:
            self._settling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._settling
            self._settling = None
        if self.owes:
            with contextlib.suppress(CacheError, TimeoutError):
                async with asyncio.timeout(CLOSE_SECONDS):
                    await self._settle(past_the_breaker=True)
        if self.owes:
            log.error(
                "closing with cache tags not bumped: entries may be served stale for up to "
                "%.0f s", self.max_ttl_seconds,
            )  # fmt: skip
        await self.backend.aclose()


def build_response_cache(
    settings: Settings, redis: Redis | None, breaker: Breaker | None = None
) -> ResponseCache | None:
    """On ``redis`` when given (a client that gives up fast, ``core.redis.connect_cache_redis``,
    behind ``breaker``), else in memory; ``None`` when ``PRODHUB_CACHE_TTL_SECONDS=0``."""
    ttl = settings.cache_ttl_seconds
    if ttl <= 0:
        return None
    rebump = settings.replica_staleness_seconds
    if redis is not None:
        shared = RedisBackend(redis, body_bytes=settings.cache_max_mb << 20)
        return ResponseCache(shared, max_ttl_seconds=ttl, breaker=breaker, rebump_seconds=rebump)
    backend = MemoryBackend(max_ttl_seconds=ttl, max_bytes=settings.cache_max_mb << 20)
    return ResponseCache(backend, max_ttl_seconds=ttl, rebump_seconds=rebump)
