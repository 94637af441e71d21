"""Whole GraphQL responses, cached by who asks and what they ask, dropped by every write.

An entry's key is a hash of the viewer's cache scope, the document, the operation name and the
variables. Every entry is tagged with the *generation* read before the query ran; a committed
write increments the generation (the composition root, ``prodhub.resources``, has every
committed write call ``invalidate``), so entries computed before it are never served again,
even one whose query was still running when the write landed. The TTL bounds what a response
derives from the clock ("today", "clocked in now").
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.cache.backends import CacheBackend, CacheError, MemoryBackend, RedisBackend
from core.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

PREFIX = "prodhub:response:"
GENERATION = PREFIX + "generation"


@dataclass(frozen=True)
class Lookup:
    key: str
    generation: int
    data: dict[str, Any] | None  # None: not cached (or cached before the last write)


class ResponseCache:
    def __init__(self, backend: CacheBackend) -> None:
        self.backend = backend

    @staticmethod
    def key(
        *, scope: str, query: str, operation_name: str | None, variables: dict[str, Any] | None
    ) -> str:
        material = json.dumps(
            [scope, query, operation_name, variables or {}],
            sort_keys=True,
            separators=(",", ":"),
        )
        return PREFIX + hashlib.sha256(material.encode()).hexdigest()

    async def lookup(self, key: str) -> Lookup:
        generation, raw = await self.backend.read(GENERATION, key)
        if raw is not None:
            tag, _, payload = raw.partition(b"\n")
            if tag == str(generation).encode():
                return Lookup(key, generation, json.loads(payload))
        return Lookup(key, generation, None)

    async def store(self, lookup: Lookup, data: dict[str, Any]) -> None:
        """Keep ``data`` under the generation its query started in."""
        payload = json.dumps(data, separators=(",", ":")).encode()
        await self.backend.write(lookup.key, str(lookup.generation).encode() + b"\n" + payload)

    async def invalidate(self, tables: frozenset[str] = frozenset()) -> None:
        """Forget every response, whichever ``tables`` a write touched (one generation for all).

        Never raises: a write must not fail because Redis did.
        """
        try:
            await self.backend.increment(GENERATION)
        except CacheError:
            log.exception("response cache invalidation failed; entries expire by TTL")

    async def aclose(self) -> None:
        await self.backend.aclose()


def build_response_cache(settings: Settings, redis: Redis | None) -> ResponseCache | None:
    """On ``redis`` when given, else in memory; ``None`` when ``PRODHUB_CACHE_TTL_SECONDS=0``."""
    ttl = settings.cache_ttl_seconds
    if ttl <= 0:
        return None
    if redis is not None:
        return ResponseCache(RedisBackend(redis, ttl_seconds=ttl))
    return ResponseCache(MemoryBackend(ttl_seconds=ttl, max_bytes=settings.cache_max_mb << 20))
