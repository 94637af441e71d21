"""Automatic persisted queries (Apollo's protocol): documents by the SHA-256 of their text.

A client sends only the hash; an unknown hash is answered ``PERSISTED_QUERY_NOT_FOUND`` and the
client sends the document with its hash, which is checked and kept. Kept in Redis (shared by
every web process, expiring ``TTL_SECONDS`` after the last registration) or, in the embedded
default, in memory (bounded in size). Only signed-in users and devices register documents,
only documents that parse and validate (the caller checks), and each registrant (a user, a
device) at most ``REGISTRATIONS_PER_DAY`` new ones a day: a client cannot fill the registry
with documents nobody will run.
A registry that cannot be reached is a registry that does not know the hash: the client then
sends the document, and the request still succeeds.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Protocol

from cachetools import TTLCache
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cache.backends import CacheError
from cache.breaker import Breaker, guarded

log = logging.getLogger(__name__)

PREFIX = "prodhub:apq:"
TTL_SECONDS = 7 * 24 * 3600
MEMORY_BYTES = 16 << 20  # the embedded default's registry, bounded in characters kept
REGISTRATIONS_PER_DAY = 200  # new documents a registrant may add; a dashboard sends tens
QUOTA_SECONDS = 24 * 3600
QUOTA_PREFIX = "prodhub:apq-quota:"


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()


class PersistedQueries(Protocol):
    async def get(self, digest: str) -> str | None: ...

    async def put(self, digest: str, document: str, *, registrant: str) -> bool:
        """Keep ``document`` (already checked against ``digest``); whether it is kept (False
        when ``registrant`` has used up its registrations, or the registry is unavailable)."""
        ...


class MemoryPersistedQueries:
    def __init__(self) -> None:
        self._documents: TTLCache[str, str] = TTLCache(
            maxsize=MEMORY_BYTES, ttl=TTL_SECONDS, getsizeof=len
        )
        self._registered: TTLCache[str, int] = TTLCache(maxsize=100_000, ttl=QUOTA_SECONDS)

    async def get(self, digest: str) -> str | None:
        return self._documents.get(digest)

    async def put(self, digest: str, document: str, *, registrant: str) -> bool:
        if digest in self._documents:
            self._documents[digest] = document  # its time to live starts again
            return True
        count = self._registered.get(registrant, 0) + 1
        if count > REGISTRATIONS_PER_DAY or len(document) > MEMORY_BYTES:
            return False
        self._registered[registrant] = count
        self._documents[digest] = document
        return True


class RedisPersistedQueries:
    def __init__(self, client: Redis, breaker: Breaker | None) -> None:
        self.client = client
        self.breaker = breaker

    async def get(self, digest: str) -> str | None:
        async def read() -> bytes | None:
            try:
                found = await self.client.get(PREFIX + digest)
                return found if isinstance(found, bytes) else None
            except RedisError as exc:
                raise CacheError(str(exc)) from exc

        try:
            found = await guarded(self.breaker, read, CacheError)
        except CacheError:
            return None
        return found.decode() if found is not None else None

    async def put(self, digest: str, document: str, *, registrant: str) -> bool:
        key, quota = PREFIX + digest, QUOTA_PREFIX + registrant

        async def write() -> bool:
            try:
                if await self.client.set(key, document.encode(), ex=TTL_SECONDS, xx=True):
                    return True  # known already: its time to live starts again
                async with self.client.pipeline(transaction=True) as pipe:
                    pipe.incr(quota)
                    pipe.expire(quota, QUOTA_SECONDS, nx=True)
                    count, _ = await pipe.execute()
                if int(count) > REGISTRATIONS_PER_DAY:
                    return False
                await self.client.set(key, document.encode(), ex=TTL_SECONDS)
                return True
            except RedisError as exc:
                raise CacheError(str(exc)) from exc

        try:
            kept = await guarded(self.breaker, write, CacheError)
        except CacheError:
            log.warning("persisted query not kept: Redis is unavailable")
            return False
        if not kept:
            log.info("persisted query not kept: %s has registered %d today", registrant,
                     REGISTRATIONS_PER_DAY)  # fmt: skip
        return kept
