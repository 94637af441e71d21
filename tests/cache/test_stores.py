"""The response cache's rules, the same on memory and on Redis: generations, scopes, TTL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.cache import MemoryBackend, RedisBackend, ResponseCache
from core.redis import connect_redis
from tests.helpers import REDIS_URL

TTL = 30.0
STORES = ["memory", *(["redis"] if REDIS_URL else [])]


class FakeTimer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def timer() -> FakeTimer:
    return FakeTimer()


@pytest.fixture(params=STORES)
async def cache(request: pytest.FixtureRequest, timer: FakeTimer) -> AsyncIterator[ResponseCache]:
    if request.param == "memory":
        chosen = ResponseCache(MemoryBackend(ttl_seconds=TTL, max_bytes=1 << 20, timer=timer))
    else:
        assert REDIS_URL is not None
        chosen = ResponseCache(RedisBackend(connect_redis(REDIS_URL), ttl_seconds=TTL))
    yield chosen
    await chosen.aclose()
    if isinstance(chosen.backend, RedisBackend):
        await chosen.backend.client.flushdb()
        await chosen.backend.client.aclose()


def key(scope: str = "public", **variables: object) -> str:
    return ResponseCache.key(scope=scope, query="{ teams { name } }", operation_name=None,
                             variables=variables)  # fmt: skip


async def test_a_stored_response_is_found(cache: ResponseCache) -> None:
    missed = await cache.lookup(key())
    await cache.store(missed, {"teams": [{"name": "Inbound"}]})

    found = await cache.lookup(key())

    assert (missed.data, missed.generation) == (None, 0)
    assert (found.data, found.generation) == ({"teams": [{"name": "Inbound"}]}, 0)


async def test_a_response_computed_before_a_write_is_never_served(cache: ResponseCache) -> None:
    started = await cache.lookup(key())  # the query starts, reading generation 0
    await cache.invalidate()  # a write commits while it runs
    await cache.store(started, {"teams": []})  # the query ends with pre-write data

    after = await cache.lookup(key())

    assert (after.data, after.generation) == (None, 1)


async def test_invalidation_drops_every_entry(cache: ResponseCache) -> None:
    for scope in ("public", "team:1"):
        await cache.store(await cache.lookup(key(scope)), {"teams": []})

    await cache.invalidate()

    assert [(await cache.lookup(key(scope))).data for scope in ("public", "team:1")] == [None, None]


async def test_scopes_never_share_an_entry(cache: ResponseCache) -> None:
    await cache.store(await cache.lookup(key("team:1")), {"teams": [{"name": "Inbound"}]})

    other = await cache.lookup(key("team:2"))

    assert key("team:1") != key("team:2")
    assert other.data is None


async def test_variable_order_does_not_matter() -> None:
    assert key(a=1, b=2) == key(b=2, a=1)
    assert key(a=1, b=2) != key(a=2, b=1)


async def test_entries_expire_after_the_ttl(cache: ResponseCache, timer: FakeTimer) -> None:
    found = await cache.lookup(key())
    await cache.store(found, {"teams": []})

    if isinstance(cache.backend, RedisBackend):
        remaining_ms = await cache.backend.client.pttl(key())
        assert TTL * 1000 - 1000 < remaining_ms <= TTL * 1000
    else:
        timer.now += TTL - 0.001
        assert (await cache.lookup(key())).data == {"teams": []}
        timer.now += 0.002
        assert (await cache.lookup(key())).data is None


async def test_the_memory_store_keeps_within_its_byte_bound() -> None:
    cache = ResponseCache(MemoryBackend(ttl_seconds=TTL, max_bytes=200))
    big = {"teams": [{"name": "x" * 100}]}  # about 130 bytes stored

    await cache.store(await cache.lookup(key(n=1)), big)
    await cache.store(await cache.lookup(key(n=2)), big)  # evicts n=1
    await cache.store(await cache.lookup(key(n=3)), {"teams": [{"name": "y" * 300}]})  # too big

    found = [(await cache.lookup(key(n=n))).data is not None for n in (1, 2, 3)]
    assert found == [False, True, False]


async def test_the_generation_is_shared_by_every_process_on_redis() -> None:
    if REDIS_URL is None:
        pytest.skip("needs Redis")
    one_client, two_client = connect_redis(REDIS_URL), connect_redis(REDIS_URL)
    one = ResponseCache(RedisBackend(one_client, ttl_seconds=TTL))
    two = ResponseCache(RedisBackend(two_client, ttl_seconds=TTL))
    try:
        await one.store(await one.lookup(key()), {"teams": []})
        seen_by_two = (await two.lookup(key())).data

        await two.invalidate()

        assert seen_by_two == {"teams": []}
        assert (await one.lookup(key())).data is None
    finally:
        await one_client.flushdb()
        await one_client.aclose()
        await two_client.aclose()
