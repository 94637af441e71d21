"""An entry keeps its body compressed in every coding a hit may send, made once when it is
stored: brotli and gzip for a body of 1 KB or more, none for a smaller one. On Redis the
bodies travel packed and are unpacked once per process; an entry of the release before
(format 2) is a miss, never an error."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Mapping

import brotli
import pytest

from cache import Lookup, MemoryBackend, Policy, RedisBackend, ResponseCache
from cache.backends import BODY_PREFIX
from cache.compression import Coding
from cache.entries import Bodies, body_id, pack, unpack
from core.redis import connect_cache_redis
from tests.helpers import REDIS_URL

MAX_TTL = 300.0
STORES = ["memory", *(["redis"] if REDIS_URL else [])]
LARGE = b'{"data":{"names":[' + b",".join(b'"name %04d"' % n for n in range(200)) + b"]}}"
SMALL = b'{"data":{"teams":[]}}'


@pytest.fixture(params=STORES)
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[ResponseCache]:
    if request.param == "memory":
        backend = MemoryBackend(max_ttl_seconds=MAX_TTL, max_bytes=1 << 20)
        chosen = ResponseCache(backend, max_ttl_seconds=MAX_TTL)
    else:
        assert REDIS_URL is not None
        client = connect_cache_redis(REDIS_URL)
        await client.flushdb()  # what another run left (a benchmark's entries) is not ours
        chosen = ResponseCache(RedisBackend(client), max_ttl_seconds=MAX_TTL)
    yield chosen
    await chosen.aclose()
    if isinstance(chosen.backend, RedisBackend):
        await chosen.backend.client.flushdb()
        await chosen.backend.client.aclose()


@pytest.fixture
async def redis_cache(cache: ResponseCache) -> ResponseCache:
    if not isinstance(cache.backend, RedisBackend):
        pytest.skip("needs Redis")
    return cache


def key(n: int = 1) -> str:
    return ResponseCache.key(scope="admin", query="{ teams { name } }", operation_name=None,
                             variables={"n": n})  # fmt: skip


async def keep(cache: ResponseCache, k: str, body: bytes) -> Bodies:
    found = await cache.lookup(k)
    assert found is not None
    return await cache.store(found, body=body, tags={"teams"}, policy=Policy(60))


async def another_process_looks_up(k: str) -> Lookup | None:
    """A lookup by a process that has kept no body of its own yet."""
    assert REDIS_URL is not None
    client = connect_cache_redis(REDIS_URL)
    try:
        return await ResponseCache(RedisBackend(client), max_ttl_seconds=MAX_TTL).lookup(k)
    finally:
        await client.aclose()


def decoded(encoded: Mapping[Coding, bytes]) -> dict[str, bytes]:
    return {
        "br": bytes(brotli.decompress(encoded["br"])),
        "gzip": zlib.decompress(encoded["gzip"], wbits=16 + zlib.MAX_WBITS),
    }


async def test_a_large_body_is_kept_in_every_coding(cache: ResponseCache) -> None:
    kept = await keep(cache, key(), LARGE)

    found = await cache.lookup(key())

    assert found is not None and found.entry is not None
    assert found.entry.body == LARGE and len(LARGE) > 1024
    assert sorted(found.entry.encoded) == ["br", "gzip"]
    assert decoded(found.entry.encoded) == {"br": LARGE, "gzip": LARGE}
    assert dict(found.entry.encoded) == dict(kept.encoded)
    assert [found.entry.sent(c) for c in ("br", "gzip", None)] == [
        (kept.encoded["br"], "br"), (kept.encoded["gzip"], "gzip"), (LARGE, None),
    ]  # fmt: skip


async def test_a_small_body_is_kept_as_it_is(cache: ResponseCache) -> None:
    await keep(cache, key(), SMALL)

    found = await cache.lookup(key())

    assert found is not None and found.entry is not None
    assert (found.entry.body, dict(found.entry.encoded)) == (SMALL, {})
    assert found.entry.sent("br") == (SMALL, None)


def test_bodies_pack_and_unpack_as_they_were() -> None:
    bodies = Bodies(b"body", {"br": b"b", "gzip": b"gz"})

    assert pack(bodies) == b"4 1 2\nbodybgz"  # the body, br, gzip
    assert unpack(pack(bodies)) == bodies
    assert unpack(pack(Bodies(SMALL))) == Bodies(SMALL, {})
    for wrong in (b"4 2\nbodygz", b"4 2 9\nbodygzb", b'{"data":{}}'):
        with pytest.raises(ValueError):
            unpack(wrong)


async def test_another_process_reads_every_coding_from_redis(redis_cache: ResponseCache) -> None:
    kept = await keep(redis_cache, key(), LARGE)

    found = await another_process_looks_up(key())

    assert found is not None and found.entry is not None
    assert (found.entry.body, dict(found.entry.encoded)) == (LARGE, dict(kept.encoded))


async def test_an_entry_of_the_release_before_is_a_miss(redis_cache: ResponseCache) -> None:
    """Format 2: the header named a body kept alone under ``prodhub:body:``."""
    assert isinstance(redis_cache.backend, RedisBackend)
    client = redis_cache.backend.client
    await client.set(key(), f"2 1000 60 P {body_id(LARGE)} all=0,teams=0".encode())
    await client.set(f"prodhub:body:{body_id(LARGE)}", LARGE)

    old = await redis_cache.lookup(key())
    assert old is not None
    await redis_cache.store(old, body=LARGE, tags={"teams"}, policy=Policy(60))
    again = await redis_cache.lookup(key())

    assert old.entry is None
    assert again is not None and again.entry is not None and again.entry.body == LARGE
    assert await client.get(f"prodhub:body:{body_id(LARGE)}") == LARGE  # left to expire


async def test_bodies_that_do_not_unpack_are_a_miss(redis_cache: ResponseCache) -> None:
    assert isinstance(redis_cache.backend, RedisBackend)
    await keep(redis_cache, key(), LARGE)
    await redis_cache.backend.client.set(BODY_PREFIX + body_id(LARGE), LARGE)  # not packed

    found = await another_process_looks_up(key())

    assert found is not None and found.entry is None and found.known == {"all": 0, "teams": 0}
