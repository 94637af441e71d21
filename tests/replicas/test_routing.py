"""Reads go to the replica; a client's reads see its writes on another web process; a replica
too far behind, or down, hands its reads to the primary and gets them back. Counted by each
server's own ``Com_select`` (the poller's rounds happen only where a test asks)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from core.settings import Settings
from prodhub.app import create_app
from prodhub.resources import build_resources
from tests.helpers import ADMIN, NOW, bearer
from tests.helpers_replicas import Pair, counting, teams, upsert_team, web


async def test_a_request_reads_the_replica_and_writes_the_primary_with_todays_statements(
    clean: Pair,
) -> None:
    """The same write and read, each once warm, without replicas and with one."""
    on_primary, on_replica = clean.counters()
    alone = Settings(database_url=clean.primary.url(), cache_ttl_seconds=0)
    async with _plain(alone) as client:
        await upsert_team(client, "warm", "Warm")
        await teams(client)
        on_primary.start()
        await upsert_team(client, "south", "South")
        write_alone = on_primary.stop()
        on_primary.start()
        await teams(client)
        read_alone = on_primary.stop()
    async with web(clean.settings(cache_ttl_seconds=0)) as app, app.client() as client:
        await upsert_team(client, "warm", "Warmer")
        clean.replica.catch_up(clean.primary)
        await app.replicas.poll()
        client.cookies.clear()  # another client, which wrote nothing
        await teams(client)
        counting(on_primary, on_replica)
        await upsert_team(client, "north", "North")
        wrote = on_primary.stop(), on_replica.stop()
        clean.replica.catch_up(clean.primary)
        await app.replicas.poll()
        client.cookies.clear()
        counting(on_primary, on_replica)
        found, _ = await teams(client)
        read = on_primary.stop(), on_replica.stop()

    assert [t["key"] for t in found] == ["north", "south", "warm"]
    assert write_alone == {**wrote[0], "Questions": write_alone["Questions"]}
    assert wrote[0]["Questions"] == write_alone["Questions"]
    assert wrote[1]["Questions"] == 0
    assert read[0]["Questions"] == 0
    assert read[1] == read_alone
    assert (read_alone["Questions"], read_alone["Com_select"]) == (1, 1)


@asynccontextmanager
async def _plain(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    resources = build_resources(settings)
    transport = httpx.ASGITransport(app=create_app(resources, clock=lambda: NOW))
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=bearer(ADMIN)
        ) as client:
            yield client
    finally:
        await resources.aclose()


async def test_a_client_reads_its_own_write_on_another_web_process(clean: Pair) -> None:
    settings = clean.settings(cache_ttl_seconds=0)
    async with web(settings) as one, web(settings) as other:
        clean.replica.pause()  # the write reaches the replica, which applies nothing
        async with one.client() as writer:
            await upsert_team(writer, "north", "North")
            cookies = writer.cookies
        await other.replicas.poll()  # the replica lags, within the bound: it is read
        on_primary, on_replica = clean.counters()
        async with other.client(cookies) as same, other.client() as another:
            counting(on_primary, on_replica)
            own, _ = await teams(same)
            counted = on_primary.stop(), on_replica.stop()
            others, _ = await teams(another)
            clean.replica.resume()
            clean.replica.catch_up(clean.primary)
            await asyncio.sleep(0.6)  # past the clocks' margin after the write
            await other.replicas.poll()
            counting(on_primary, on_replica)
            caught_up, _ = await teams(same)
            later = on_primary.stop(), on_replica.stop()

    assert "prodhub_wrote" in cookies
    assert own == [{"key": "north", "name": "North"}]
    assert (counted[0]["Com_select"], counted[1]["Com_select"]) == (1, 0)  # on the primary
    assert others == []  # the replica's answer: it has not applied the write
    assert caught_up == [{"key": "north", "name": "North"}]
    assert (later[0]["Com_select"], later[1]["Com_select"]) == (0, 1)  # the replica again


async def test_a_replica_past_the_lag_bound_is_not_read_until_it_catches_up(clean: Pair) -> None:
    clock = [1000.0]
    async with web(clean.settings(replica_max_lag_seconds=5, cache_ttl_seconds=0)) as app:
        app.replicas.clock = lambda: clock[0]
        await app.replicas.poll()
        on_primary, on_replica = clean.counters()
        async with app.client() as client:
            clean.replica.pause()
            await upsert_team(client, "north", "North")
            client.cookies.clear()
            clock[0] += 1
            await app.replicas.poll()  # missing the write since now
            clock[0] += 6
            await app.replicas.poll()  # 6 s behind: past the bound
            counting(on_primary, on_replica)
            behind, _ = await teams(client)
            while_behind = on_primary.stop(), on_replica.stop()
            ready = (await client.get("/readyz")).json()
            metrics = (await client.get("/metrics")).text
            clean.replica.resume()
            clean.replica.catch_up(clean.primary)
            clock[0] += 1
            await app.replicas.poll()
            counting(on_primary, on_replica)
            back, _ = await teams(client)
            caught_up = on_primary.stop(), on_replica.stop()
            ready_again = (await client.get("/readyz")).json()

    name = f"127.0.0.1:{clean.replica.port}"
    assert behind == back == [{"key": "north", "name": "North"}]
    assert (while_behind[0]["Com_select"], while_behind[1]["Com_select"]) == (1, 0)
    assert (caught_up[0]["Com_select"], caught_up[1]["Com_select"]) == (0, 1)
    assert (ready["ready"], ready["status"]) == (True, "degraded")
    assert ready["checks"]["replicas"] == {
        "ok": False, "max_lag_seconds": 5.0,
        "replicas": {name: {"up": True, "lag_seconds": 6.0, "read": False}},
    }  # fmt: skip
    assert f'prodhub_db_replica_lag_seconds{{replica="{name}"}} 6.0' in metrics
    assert f'prodhub_db_replica_read{{replica="{name}"}} 0.0' in metrics
    assert (ready_again["status"], ready_again["checks"]["replicas"]["ok"]) == ("ok", True)
    assert ready_again["checks"]["replicas"]["replicas"][name]["lag_seconds"] == 0.0


async def test_a_stopped_replica_hands_its_reads_to_the_primary_and_gets_them_back(
    clean: Pair,
) -> None:
    """With the poller in the background (every 0.2 s here, every second by default)."""
    async with web(clean.settings(cache_ttl_seconds=0), poll_seconds=0.2) as app:
        replica = app.replicas.members[0]
        async with app.client() as client:
            await teams(client)  # a pooled connection to the replica
            clean.replica.stop()
            answered, _ = await teams(client)  # its connection dies: read again on the primary
            await _until(lambda: not replica.up, 5)
            while_down, _ = await teams(client)
            clean.replica.start()
            await _until(lambda: app.replicas.usable(replica, None, app.replicas.clock()), 20)
            on_primary, on_replica = clean.counters()
            counting(on_primary, on_replica)
            await teams(client)
            back = on_primary.stop(), on_replica.stop()

    assert answered == while_down == []
    assert back[1]["Com_select"] >= 1  # the read, and maybe a poll of the replica meanwhile
    assert back[0]["Com_select"] == back[1]["Com_select"] - 1  # polls: one of each per round


async def _until(check: object, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while True:
            if check():  # type: ignore[operator]
                return
            await asyncio.sleep(0.05)
