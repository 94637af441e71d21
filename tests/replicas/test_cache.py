"""The response cache with a lagging replica: a response computed from it after a write's tags
were bumped is dropped by the write's second bump, and never served to the client that wrote."""

from __future__ import annotations

import asyncio
import time

from bench.faults import processes
from tests.helpers_replicas import Pair, teams, upsert_team, web


async def test_an_entry_read_from_a_lagging_replica_does_not_outlive_the_write(
    clean: Pair, own_redis: processes.Redis
) -> None:
    # Bound 1 s: a write's tags are bumped again 3 s after it (the bound, and two polls).
    settings = clean.settings(redis_url=own_redis.url(), replica_max_lag_seconds=1)
    async with web(settings) as one, web(settings) as other:
        async with one.client() as writer:
            await upsert_team(writer, "north", "North")
            clean.replica.catch_up(clean.primary)
            clean.replica.pause()
            await upsert_team(writer, "north", "North Dock")
            wrote_at = time.monotonic()
            cookies = writer.cookies
        await other.replicas.poll()  # behind since now: within the bound, read
        async with other.client() as reader, other.client(cookies) as same:
            computed = await teams(reader)  # after the bump, from the replica
            served = await teams(reader)
            own = await teams(same)
            clean.replica.resume()
            clean.replica.catch_up(clean.primary)
            await asyncio.sleep(max(0.0, 3.2 - (time.monotonic() - wrote_at)))
            await other.replicas.poll()
            after = await teams(reader)
            again = await teams(reader)

    stale, fresh = [{"key": "north", "name": "North"}], [{"key": "north", "name": "North Dock"}]
    assert computed == (stale, "miss")
    assert served == (stale, "hit")  # as stale as the replica, for as long as it may lag
    assert own == (fresh, None)  # its client wrote lately: read on the primary, uncached
    assert after == (fresh, "miss")  # the second bump dropped it
    assert again == (fresh, "hit")
