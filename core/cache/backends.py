"""Two stores with one interface: Redis (shared by every process) and memory (the embedded default).

Both expire entries after the same TTL, bound their memory, and keep counters that never expire.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from cachetools import TTLCache
from redis.asyncio import Redis
from redis.exceptions import RedisError


class CacheError(Exception):
    """The store could not be reached or answered badly; callers degrade to no caching."""


class CacheBackend(Protocol):
    async def read(self, counter: str, key: str) -> tuple[int, bytes | None]:
        """A counter's value (0 if never incremented) and an entry, in one round trip."""

    async def write(self, key: str, value: bytes) -> None:
        """Store an entry until the backend's TTL runs out."""

    async def increment(self, counter: str) -> int: ...

    async def aclose(self) -> None: ...


class MemoryBackend:
    """One process's store: bounded in bytes, entries expire after ``ttl_seconds``."""

    def __init__(
        self,
        *,
        ttl_seconds: float,
        max_bytes: int,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._entries: TTLCache[str, bytes] = TTLCache(
            maxsize=max_bytes, ttl=ttl_seconds, timer=timer, getsizeof=len
        )
        self._counters: dict[str, int] = {}

    async def read(self, counter: str, key: str) -> tuple[int, bytes | None]:
        return self._counters.get(counter, 0), self._entries.get(key)

    async def write(self, key: str, value: bytes) -> None:
        if len(value) <= self._entries.maxsize:  # larger than the whole cache: not kept
            self._entries[key] = value

    async def increment(self, counter: str) -> int:
        self._counters[counter] = self._counters.get(counter, 0) + 1
        return self._counters[counter]

    async def aclose(self) -> None:
        self._entries.clear()


class RedisBackend:
    """Redis, shared by every web and worker process; entries carry a TTL, counters do not.

    The client must answer bytes (``decode_responses=False``, as ``connect_redis`` makes it).
    """

    def __init__(self, client: Redis, *, ttl_seconds: float) -> None:
        self.client = client
        self._ttl_ms = max(1, round(ttl_seconds * 1000))

    async def read(self, counter: str, key: str) -> tuple[int, bytes | None]:
        try:
            raw_counter, entry = await self.client.mget([counter, key])
        except RedisError as exc:
            raise CacheError(str(exc)) from exc
        assert entry is None or isinstance(entry, bytes)  # decode_responses=False
        return int(raw_counter or 0), entry

    async def write(self, key: str, value: bytes) -> None:
        try:
            await self.client.set(key, value, px=self._ttl_ms)
        except RedisError as exc:
            raise CacheError(str(exc)) from exc

    async def increment(self, counter: str) -> int:
        try:
            return int(await self.client.incr(counter))
        except RedisError as exc:
            raise CacheError(str(exc)) from exc

    async def aclose(self) -> None:
        """Nothing to do: the client is the process's, and its owner closes it."""
