"""Automatic persisted queries (Apollo's protocol): documents by the SHA-256 of their text.

A client sends only the hash; an unknown hash is answered ``PERSISTED_QUERY_NOT_FOUND`` and the
client sends the document with its hash, which is checked and kept. Kept in Redis (shared by
every web process, expiring ``TTL_SECONDS`` after the last registration) or, in the embedded
default, in memory (bounded in size). Only signed-in users and devices register documents.
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

from core.cache.backends import CacheError
from core.cache.breaker import Breaker, guarded

log = logging.getLogger(__name__)

PREFIX = "prodhub:apq:"
TTL_SECONDS = 7 * 24 * 3600
MEMORY_BYTES = 16 << 20  # the embedded default's registry, bounded in characters kept


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8", "surrogatepass")).hexdigest()


class PersistedQueries(Protocol):
    async def get(self, digest: str) -> str | None: ...

    async def put(self, digest: str, document: str) -> None: ...


class MemoryPersistedQueries:
    def __init__(self) -> None:
        self._documents: TTLCache[str, str] = TTLCache(
            maxsize=MEMORY_BYTES, ttl=TTL_SECONDS, getsizeof=len
        )

    async def get(self, digest: str) -> str | None:
        return self._documents.get(digest)

    async def put(self, digest: str, document: str) -> None:
        if len(document) <= MEMORY_BYTES:
            self._documents[digest] = document


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

    async def put(self, digest: str, document: str) -> None:
        async def write() -> None:
            try:
                await self.client.set(PREFIX + digest, document.encode(), ex=TTL_SECONDS)
            except RedisError as exc:
                raise CacheError(str(exc)) from exc

        try:
            await guarded(self.breaker, write, CacheError)
        except CacheError:
            log.warning("persisted query not kept: Redis is unavailable")
