"""Two stores with one interface: Redis (shared by every process) and memory (the embedded
default). Both keep entries (a header and its bodies, see ``cache.entries``) for a TTL and
tag versions that never expire, and answer a lookup in one round trip: the entry if every
tag it was computed at still has that version; else the current versions of its tags.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from cachetools import LRUCache, TLRUCache, TTLCache
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cache import entries
from cache.batching import MGetBatcher
from cache.entries import Bodies, parse_tags

TAG_PREFIX = "prodhub:tag:"
EPOCH = "prodhub:tag-epoch"  # incremented by every write, with the tags it changes
# + a body's id: a response's bodies, packed (``entries.pack``), never changed. A release that
# kept the body alone kept it under "prodhub:body:": neither reads the other's.
BODY_PREFIX = "prodhub:bodies:"


class CacheError(Exception):
    """The store could not be reached or answered badly; callers degrade to no caching."""


@dataclass(frozen=True)
class Found:
    entry: tuple[bytes, Bodies] | None  # a valid entry's header and bodies, or None
    epoch: int  # the write epoch when looked up
    known: dict[str, int] = field(default_factory=dict)  # current versions of a stale entry's tags


class CacheBackend(Protocol):
    async def lookup(self, key: str) -> Found: ...

    async def versions(self, tags: Iterable[str]) -> tuple[int, dict[str, int]]:
        """The write epoch and the current version of each tag, in one round trip."""

    async def store(self, key: str, header: bytes, body: Bodies, ttl_seconds: float) -> None: ...

    async def bump(self, tags: Iterable[str]) -> None:
        """A new version of each tag, and a new epoch, at once."""

    async def aclose(self) -> None: ...


class MemoryBackend:
    """One process's store: bounded in bytes; an entry lives for its own TTL at most."""

    def __init__(
        self, *, max_ttl_seconds: float, max_bytes: int, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._entries: TTLCache[str, tuple[float, bytes, Bodies]] = TTLCache(
            maxsize=max_bytes,
            ttl=max_ttl_seconds,
            timer=timer,
            getsizeof=lambda v: len(v[1]) + v[2].size,
        )
        self._versions: dict[str, int] = {}
        self._epoch = 0
        self._timer = timer

    async def lookup(self, key: str) -> Found:
        kept = self._entries.get(key)
        if kept is None or kept[0] <= self._timer():
            return Found(None, self._epoch)
        _, header, body = kept
        wanted = parse_tags(header)
        current = {tag: self._versions.get(tag, 0) for tag in wanted}
        if current == wanted:
            return Found((header, body), self._epoch)
        return Found(None, self._epoch, current)

    async def versions(self, tags: Iterable[str]) -> tuple[int, dict[str, int]]:
        return self._epoch, {tag: self._versions.get(tag, 0) for tag in tags}

    async def store(self, key: str, header: bytes, body: Bodies, ttl_seconds: float) -> None:
        if len(header) + body.size <= self._entries.maxsize:  # larger than the cache: not kept
            self._entries[key] = (self._timer() + ttl_seconds, header, body)

    async def bump(self, tags: Iterable[str]) -> None:
        for tag in tags:
            self._versions[tag] = self._versions.get(tag, 0) + 1
        self._epoch += 1

    async def aclose(self) -> None:
        self._entries.clear()


# GET the entry's header and the epoch; compare the entry's tag versions (the header's last
# field, "tag=version,...") with the current ones (MGET); answer {header | false, epoch, false
# | "tag=current,..."}. Tag keys are not declared in KEYS: fine for one Redis, not a cluster.
LOOKUP = """
local header = redis.call('GET', KEYS[1])
local epoch = redis.call('GET', KEYS[2]) or '0'
if not header then return {false, epoch, false} end
local tags = string.match(header, '^3 %S+ %S+ %S+ %S+ (%S*)$')
if not tags then return {false, epoch, false} end
local names, wanted, keys = {}, {}, {}
for name, version in string.gmatch(tags, '([^,=]+)=(%-?%d+)') do
  names[#names + 1] = name
  wanted[#wanted + 1] = version
  keys[#keys + 1] = ARGV[1] .. name
end
local current = {}
if #keys > 0 then current = redis.call('MGET', unpack(keys)) end
local valid, now = true, {}
for i, name in ipairs(names) do
  local version = current[i]
  if not version then version = '0' end
  if version ~= wanted[i] then valid = false end
  now[i] = name .. '=' .. version
end
if valid then return {header, epoch, false} end
return {false, epoch, table.concat(now, ',')}
"""


# A header's tag versions, their names in order, the versions as Redis answers them.
Parsed = tuple[dict[str, int], tuple[str, ...], list[bytes]]


class RedisBackend:
    """Redis, shared by every web and worker process. The client must answer bytes and should
    give up fast (``core.redis.connect_cache_redis``): a slow cache is worse than none.

    A key's tags rarely change (the same query reads the same tables and dates), so the
    process remembers them: a lookup is then one MGET of the entry's header, the epoch and
    those tags' versions, compared here, merged with the other lookups in flight into one MGET
    (``cache.batching``). The Lua script (``LOOKUP``), which reads the tags from the header
    itself, answers keys not seen yet and entries whose tags turned out to be others.

    Bodies are stored under their content's id and never change, so the process keeps the
    ones it served (up to ``body_bytes``, unpacked, every coding of one together): a valid
    entry whose bodies it has costs no more than its header; one it has not costs a GET of
    the bodies, once. A copy lasts until the latest entry that named it here expires (its TTL
    when this process stored it, its max age when it read it), and a parsed header until its
    entry does: a write makes every response that read what it changed a new body under a new
    header, so copies kept longer only piled up, to ``body_bytes`` and ``remembered``.
    """

    def __init__(
        self,
        client: Redis,
        *,
        remembered: int = 10_000,
        body_bytes: int = 64 << 20,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self._lookup = client.register_script(LOOKUP)
        self.batcher = MGetBatcher(client)
        # a key's tags, and the keys of its MGET (encoded once: redis-py packs bytes as they are)
        self._tags_of: LRUCache[str, tuple[tuple[str, ...], list[bytes]]] = LRUCache(
            maxsize=remembered
        )
        # a header's parts, until its entry's age reaches its max age
        self._parsed: TLRUCache[bytes, Parsed] = TLRUCache(
            maxsize=remembered, ttu=lambda header, _, __: entries.expires_at(header), timer=clock
        )
        self.body_bytes = body_bytes
        # a body's id: until when (``clock``) its copy is kept, and the copy
        self._bodies: TLRUCache[str, tuple[float, Bodies]] = TLRUCache(
            maxsize=body_bytes,
            ttu=lambda _, kept, __: kept[0],
            timer=clock,
            getsizeof=lambda kept: kept[1].size,
        )
        self._clock = clock

    async def lookup(self, key: str) -> Found:
        remembered = self._tags_of.get(key)
        try:
            if remembered is not None:
                found = await self._remembered(*remembered)
                if found is not None:
                    return found
            header, epoch, known = await self._lookup(keys=[key, EPOCH], args=[TAG_PREFIX])
            versions = parse_tags(b" " + known) if known else {}
            if not header or not entries.is_current(header):
                return Found(None, int(epoch), versions)
            self._remember(key, header)
            return await self._valid(header, int(epoch))
        except RedisError as exc:
            raise CacheError(str(exc)) from exc

    def _remember(self, key: str, header: bytes) -> None:
        names = tuple(self._tags(header))
        keys = [key.encode(), EPOCH.encode(), *(f"{TAG_PREFIX}{name}".encode() for name in names)]
        self._tags_of[key] = (names, keys)

    def _tags(self, header: bytes) -> dict[str, int]:
        """``parse_tags``, once per header (a hit of the same entry sees the same one)."""
        return self._parsed_header(header)[0]

    def _parsed_header(self, header: bytes) -> Parsed:
        """A header's tag versions, their names in order, and the versions as Redis answers
        them (b"0" also for a tag never bumped, which Redis answers as None)."""
        parsed = self._parsed.get(header)
        if parsed is None:
            tags = parse_tags(header)
            answered = [str(v).encode() for v in tags.values()]
            parsed = self._parsed[header] = (tags, tuple(tags), answered)
        return parsed

    async def _remembered(self, names: tuple[str, ...], keys: list[bytes]) -> Found | None:
        """The lookup in one MGET; None when the entry's tags are not these after all."""
        header, epoch, *versions = await self.batcher.mget(keys)
        if header is None or not entries.is_current(header):
            return Found(None, int(epoch or 0))
        wanted, wanted_names, answered = self._parsed_header(header)
        if wanted_names == names and [v or b"0" for v in versions] == answered:
            return await self._valid(header, int(epoch or 0))  # the common case: still valid
        current = {n: int(v or 0) for n, v in zip(names, versions, strict=True)}
        if wanted.keys() != current.keys():
            return None
        if wanted == current:
            return await self._valid(header, int(epoch or 0))
        return Found(None, int(epoch or 0), current)

    async def _valid(self, header: bytes, epoch: int) -> Found:
        """A valid entry with its bodies; without (they expired first, or are not bodies), a
        miss whose tags' versions are the header's, which are current."""
        name = entries.body_id_of(header)
        kept = self._bodies.get(name)
        body = kept[1] if kept is not None else None
        if body is None:
            stored = await self.client.get(BODY_PREFIX + name)
            if stored is None:
                return Found(None, epoch, parse_tags(header))
            assert isinstance(stored, bytes)  # decode_responses=False
            try:
                body = entries.unpack(stored)
            except ValueError:
                return Found(None, epoch, parse_tags(header))
            self._keep_body(name, body, entries.expires_at(header))
        return Found((header, body), epoch)

    def _keep_body(self, name: str, body: Bodies, until: float) -> None:
        """A copy of ``body`` until ``until`` (seconds since the epoch); dropping the copies
        that expired by now."""
        if body.size <= self._bodies.maxsize:
            self._bodies[name] = (until, body)

    async def versions(self, tags: Iterable[str]) -> tuple[int, dict[str, int]]:
        names = list(tags)
        try:
            epoch, *found = await self.client.mget([EPOCH, *(TAG_PREFIX + t for t in names)])
        except RedisError as exc:
            raise CacheError(str(exc)) from exc
        return int(epoch or 0), {t: int(v or 0) for t, v in zip(names, found, strict=True)}

    async def store(self, key: str, header: bytes, body: Bodies, ttl_seconds: float) -> None:
        """The bodies under their id, then the header that names them, in one transaction."""
        name = entries.body_id_of(header)
        ttl_ms = max(1, round(ttl_seconds * 1000))
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.set(BODY_PREFIX + name, entries.pack(body), px=ttl_ms)
                pipe.set(key, header, px=ttl_ms)
                await pipe.execute()
        except RedisError as exc:
            raise CacheError(str(exc)) from exc
        self._remember(key, header)
        self._keep_body(name, body, self._clock() + ttl_seconds)

    async def bump(self, tags: Iterable[str]) -> None:
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                for tag in sorted(tags):
                    pipe.incr(TAG_PREFIX + tag)
                pipe.incr(EPOCH)
                await pipe.execute()
        except RedisError as exc:
            raise CacheError(str(exc)) from exc

    async def aclose(self) -> None:
        """Nothing to do: the client is the process's (``prodhub.resources`` closes it)."""
