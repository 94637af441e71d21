"""The response cache's rules, the same on memory and on Redis: tag versions, scopes, TTL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import date

import pytest

from cache import MemoryBackend, Policy, RedisBackend, ResponseCache, build_response_cache
from cache.backends import BODY_PREFIX
from cache.batching import MGetBatcher
from cache.entries import body_id
from cache.tags import read_tags, write_tags
from core.redis import connect_cache_redis
from core.settings import Settings
from tests.helpers import REDIS_URL

MAX_TTL = 300.0
STORES = ["memory", *(["redis"] if REDIS_URL else [])]
TODAY, YESTERDAY = date(2026, 11, 20), date(2026, 11, 19)
BODY = b'{"data":{"teams":[]}}'


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
        backend = MemoryBackend(max_ttl_seconds=MAX_TTL, max_bytes=1 << 20, timer=timer)
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


def key(scope: str = "admin", **variables: object) -> str:
    return ResponseCache.key(scope=scope, query="{ teams { name } }", operation_name=None,
                             variables=variables)  # fmt: skip


async def keep(cache: ResponseCache, k: str, tags: set[str], body: bytes = BODY) -> None:
    found = await cache.lookup(k)
    assert found is not None
    await cache.store(found, body=body, tags=tags, policy=Policy(60))


async def cached(cache: ResponseCache, k: str) -> bytes | None:
    found = await cache.lookup(k)
    assert found is not None
    return found.entry.body if found.entry is not None else None


async def test_a_stored_response_is_found_as_the_bytes_kept(cache: ResponseCache) -> None:
    missed = await cache.lookup(key())
    await keep(cache, key(), {"teams", "teams@*"})

    found = await cache.lookup(key())

    assert missed is not None and missed.entry is None
    assert found is not None and found.entry is not None
    assert (found.entry.body, found.entry.max_age, found.entry.private) == (BODY, 60, False)


async def test_a_response_computed_before_a_write_is_never_served(cache: ResponseCache) -> None:
    started = await cache.lookup(key())  # the query starts
    assert started is not None
    await cache.invalidate(frozenset({"teams"}))  # a write commits while it runs
    await cache.store(started, body=BODY, tags={"teams"}, policy=Policy(60))  # pre-write data

    assert await cached(cache, key()) is None


async def test_a_stale_entry_tells_the_next_lookup_its_tags(cache: ResponseCache) -> None:
    """After the write above, the kept (stale) entry hands its tags' versions to the next
    lookup, so the next computation is kept valid even while writes go on elsewhere."""
    started = await cache.lookup(key())
    assert started is not None
    await cache.invalidate(frozenset({"teams"}))
    await cache.store(started, body=BODY, tags={"teams"}, policy=Policy(60))

    again = await cache.lookup(key())
    await cache.invalidate(frozenset({"roles"}))  # an unrelated write moves the epoch
    assert again is not None
    await cache.store(again, body=BODY, tags={"teams"}, policy=Policy(60))

    assert again.entry is None and again.known["teams"] == 1
    assert await cached(cache, key()) == BODY


async def test_a_write_drops_only_the_entries_that_read_what_it_changed(
    cache: ResponseCache,
) -> None:
    today, yesterday, teams = key(day="today"), key(day="yesterday"), key(q="teams")
    await keep(cache, today, read_tags("daily_scores", {TODAY}))
    await keep(cache, yesterday, read_tags("daily_scores", {YESTERDAY}))
    await keep(cache, teams, read_tags("teams", None))

    await cache.invalidate(frozenset(write_tags("daily_scores", {TODAY})))

    assert [await cached(cache, k) for k in (today, yesterday, teams)] == [None, BODY, BODY]


async def test_a_write_without_dates_drops_every_entry_of_its_table(cache: ResponseCache) -> None:
    today, yesterday, teams = key(day="today"), key(day="yesterday"), key(q="teams")
    await keep(cache, today, read_tags("daily_scores", {TODAY}))
    await keep(cache, yesterday, read_tags("daily_scores", {YESTERDAY}))
    await keep(cache, teams, read_tags("teams", None))

    await cache.invalidate(frozenset(write_tags("daily_scores", None)))

    assert [await cached(cache, k) for k in (today, yesterday, teams)] == [None, None, BODY]


async def test_a_read_of_any_date_is_dropped_by_a_write_of_one(cache: ResponseCache) -> None:
    await keep(cache, key(), read_tags("clock_records", None))

    await cache.invalidate(frozenset(write_tags("clock_records", {YESTERDAY})))

    assert await cached(cache, key()) is None


async def test_a_read_of_any_date_is_dropped_by_a_write_without_dates(
    cache: ResponseCache,
) -> None:
    await keep(cache, key(), read_tags("clock_records", None))

    await cache.invalidate(frozenset(write_tags("clock_records", None)))

    assert await cached(cache, key()) is None


async def test_long_ranges_depend_on_months(cache: ResponseCache) -> None:
    quarter = read_tags("daily_scores", (date(2026, 1, 1), date(2026, 3, 31)))
    await keep(cache, key(q="quarter"), quarter)
    await keep(cache, key(q="again"), quarter)

    await cache.invalidate(frozenset(write_tags("daily_scores", {date(2026, 4, 1)})))
    survived = await cached(cache, key(q="quarter"))
    await cache.invalidate(frozenset(write_tags("daily_scores", {date(2026, 2, 10)})))

    assert quarter == {"daily_scores", "daily_scores@2026-01", "daily_scores@2026-02",
                       "daily_scores@2026-03"}  # fmt: skip
    assert survived == BODY
    assert await cached(cache, key(q="again")) is None


async def test_scopes_never_share_an_entry(cache: ResponseCache) -> None:
    await keep(cache, key("manager:1"), {"teams"})

    assert key("manager:1") != key("manager:2")
    assert await cached(cache, key("manager:2")) is None


async def test_variable_order_does_not_matter() -> None:
    assert key(a=1, b=2) == key(b=2, a=1)
    assert key(a=1, b=2) != key(a=2, b=1)


async def test_an_entry_lives_for_its_max_age(cache: ResponseCache, timer: FakeTimer) -> None:
    started = time.monotonic()
    await keep(cache, key(), {"teams"})

    if isinstance(cache.backend, RedisBackend):  # Redis's clock runs: less what has passed
        remaining_ms = await cache.backend.client.pttl(key())
        passed_ms = (time.monotonic() - started) * 1000
        assert 60_000 - passed_ms - 1 <= remaining_ms <= 60_000
    else:
        timer.now += 60 - 0.001
        assert await cached(cache, key()) == BODY
        timer.now += 0.002
        assert await cached(cache, key()) is None


async def test_the_memory_store_keeps_within_its_byte_bound() -> None:
    cache = ResponseCache(MemoryBackend(max_ttl_seconds=MAX_TTL, max_bytes=400), max_ttl_seconds=60)
    big = b"x" * 130  # with its header, about 170 bytes stored

    await keep(cache, key(n=1), {"teams"}, big)
    await keep(cache, key(n=2), {"teams"}, big)
    await keep(cache, key(n=3), {"teams"}, big)  # evicts n=1
    await keep(cache, key(n=4), {"teams"}, b"y" * 400)  # larger than the whole cache

    assert [await cached(cache, key(n=n)) is not None for n in (1, 2, 3, 4)] == [
        False, True, True, False,
    ]  # fmt: skip


async def test_tags_are_shared_by_every_process_on_redis() -> None:
    if REDIS_URL is None:
        pytest.skip("needs Redis")
    one_client, two_client = connect_cache_redis(REDIS_URL), connect_cache_redis(REDIS_URL)
    one = ResponseCache(RedisBackend(one_client), max_ttl_seconds=MAX_TTL)
    two = ResponseCache(RedisBackend(two_client), max_ttl_seconds=MAX_TTL)
    try:
        await keep(one, key(), read_tags("teams", None))
        seen_by_two = await cached(two, key())

        await two.invalidate(frozenset(write_tags("teams", None)))

        assert seen_by_two == BODY
        assert await cached(one, key()) is None
    finally:
        await one_client.flushdb()
        await one_client.aclose()
        await two_client.aclose()


def test_tags_of_reads_and_writes() -> None:
    assert read_tags("activities", {TODAY}) == {"activities", "activities@2026-11-20"}
    assert read_tags("activities", (YESTERDAY, TODAY)) == {
        "activities", "activities@2026-11-19", "activities@2026-11-20",
    }  # fmt: skip
    assert read_tags("teams", None) == {"teams@*"}
    assert write_tags("activities", {TODAY}) == {
        "activities@2026-11-20", "activities@2026-11", "activities@*",
    }  # fmt: skip
    assert write_tags("teams", None) == {"teams", "teams@*"}


async def test_a_process_that_remembers_other_tags_still_checks_the_right_ones() -> None:
    """Process two remembers the key's tags as {teams}; process one then keeps an entry that
    also read roles. Two must compare the entry's own tags, not the ones it remembered."""
    if REDIS_URL is None:
        pytest.skip("needs Redis")
    one_client, two_client = connect_cache_redis(REDIS_URL), connect_cache_redis(REDIS_URL)
    one = ResponseCache(RedisBackend(one_client), max_ttl_seconds=MAX_TTL)
    two = ResponseCache(RedisBackend(two_client), max_ttl_seconds=MAX_TTL)
    try:
        await keep(one, key(), {"teams"})
        assert await cached(two, key()) == BODY  # two now remembers {teams, all}
        await one.invalidate(frozenset({"teams"}))
        await keep(one, key(), {"teams", "roles"}, b"second")

        seen = await cached(two, key())
        await two.invalidate(frozenset({"roles"}))

        assert seen == b"second"
        assert await cached(two, key()) is None
        assert await cached(one, key()) is None
    finally:
        await one_client.flushdb()
        await one_client.aclose()
        await two_client.aclose()


@pytest.fixture
async def redis_cache() -> AsyncIterator[ResponseCache]:
    if REDIS_URL is None:
        pytest.skip("needs Redis")
    client = connect_cache_redis(REDIS_URL)
    await client.flushdb()
    chosen = ResponseCache(RedisBackend(client), max_ttl_seconds=MAX_TTL)
    yield chosen
    await client.flushdb()
    await client.aclose()


def batcher(cache: ResponseCache) -> MGetBatcher:
    assert isinstance(cache.backend, RedisBackend)
    return cache.backend.batcher


async def test_lookups_in_flight_together_are_one_mget(redis_cache: ResponseCache) -> None:
    valid, stale, gone = key(n=1), key(n=2), key(n=3)
    await keep(redis_cache, valid, {"teams"}, b"one")
    await keep(redis_cache, stale, {"roles"}, b"two")
    await keep(redis_cache, gone, {"teams"}, b"three")
    await redis_cache.invalidate(frozenset({"roles"}))
    assert isinstance(redis_cache.backend, RedisBackend)
    await redis_cache.backend.client.delete(gone)
    sent = batcher(redis_cache).batches

    found = await asyncio.gather(*(redis_cache.lookup(k) for k in (valid, stale, gone, valid)))

    assert batcher(redis_cache).batches == sent + 1
    assert [f.entry.body if f and f.entry else None for f in found] == [b"one", None, None, b"one"]
    assert [f.known if f else None for f in found] == [{}, {"all": 0, "roles": 1}, {}, {}]


async def test_a_process_keeps_the_bodies_it_served(redis_cache: ResponseCache) -> None:
    """Bodies are stored under their content's id and never change: a process reads one once.
    Without it (another process, its body gone from Redis first), the entry is a miss that
    hands on its tags' versions."""
    assert REDIS_URL is not None and isinstance(redis_cache.backend, RedisBackend)
    await keep(redis_cache, key(), {"teams"}, b"a body")
    other_client = connect_cache_redis(REDIS_URL)
    other = ResponseCache(RedisBackend(other_client), max_ttl_seconds=MAX_TTL)
    try:
        await redis_cache.backend.client.delete(BODY_PREFIX + body_id(b"a body"))
        kept = await redis_cache.lookup(key())
        lost = await other.lookup(key())
    finally:
        await other_client.aclose()

    assert kept is not None and kept.entry is not None and kept.entry.body == b"a body"
    assert lost is not None and lost.entry is None and lost.known == {"all": 0, "teams": 0}


async def test_an_entry_of_an_older_format_is_a_miss(redis_cache: ResponseCache) -> None:
    assert isinstance(redis_cache.backend, RedisBackend)
    await redis_cache.backend.client.set(key(), b'1 1 60 P all=0\n{"data":{}}')

    found = await redis_cache.lookup(key())

    assert found is not None and found.entry is None


async def test_the_bodies_a_process_keeps_are_bounded(redis_cache: ResponseCache) -> None:
    """At most ``PRODHUB_CACHE_MAX_MB`` of copies per process; the least recently served goes."""
    assert REDIS_URL is not None and isinstance(redis_cache.backend, RedisBackend)
    client = redis_cache.backend.client
    small = ResponseCache(RedisBackend(client, body_bytes=100), max_ttl_seconds=MAX_TTL)
    first, second = b"1" * 60, b"2" * 60
    await keep(small, key(n=1), {"teams"}, first)
    await keep(small, key(n=2), {"teams"}, second)  # 120 bytes: the first copy goes
    await client.delete(BODY_PREFIX + body_id(first), BODY_PREFIX + body_id(second))

    assert [await cached(small, key(n=n)) for n in (1, 2)] == [None, second]
    built = build_response_cache(Settings(cache_max_mb=3), client)
    assert built is not None and isinstance(built.backend, RedisBackend)
    assert built.backend.body_bytes == 3 << 20


async def test_a_process_keeps_a_body_while_an_entry_it_stored_may_live(
    redis_cache: ResponseCache, timer: FakeTimer
) -> None:
    """A write makes every response that read what it changed a new body under a new header:
    copies and parsed headers kept past their entries' TTL (60 s here) would pile up to
    ``PRODHUB_CACHE_MAX_MB`` and 10,000 headers."""
    assert isinstance(redis_cache.backend, RedisBackend)
    client = redis_cache.backend.client
    backend = RedisBackend(client, clock=timer)
    timed = ResponseCache(backend, max_ttl_seconds=MAX_TTL, clock=timer)
    for n in range(50):  # a new body every 10 s
        await keep(timed, key(n=n), {"teams"}, b"body %d" % n)
        timer.now += 10
    await client.delete(*(BODY_PREFIX + body_id(b"body %d" % n) for n in range(50)))

    kept = [n for n in range(50) if await cached(timed, key(n=n)) is not None]

    assert (kept, len(backend._parsed)) == ([45, 46, 47, 48, 49], 5)


async def test_a_body_read_is_kept_while_its_entry_may_live(
    redis_cache: ResponseCache, timer: FakeTimer
) -> None:
    """Read from Redis, a copy lasts until its entry's age reaches its max age (60 s)."""
    assert isinstance(redis_cache.backend, RedisBackend)
    client = redis_cache.backend.client
    await keep(ResponseCache(RedisBackend(client), max_ttl_seconds=MAX_TTL, clock=timer), key(),
               {"teams"}, b"a body")  # fmt: skip
    reader = ResponseCache(RedisBackend(client, clock=timer), max_ttl_seconds=MAX_TTL, clock=timer)
    timer.now += 30
    assert await cached(reader, key()) == b"a body"
    await client.delete(BODY_PREFIX + body_id(b"a body"))

    timer.now += 29
    before = await cached(reader, key())
    timer.now += 2
    after = await cached(reader, key())

    assert (before, after) == (b"a body", None)
