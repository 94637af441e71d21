"""Overload on the shipped loop: a real ``prodhub serve`` (uvicorn on uvloop) of two execution
slots and a queue of one, whose executions are held by the test: it locks the table they read
(``LOCK TABLES teams WRITE``: another session's read of it waits until it is unlocked). The
requests beyond slots and queue are shed at once, the one that waited is shed when its wait
ends, ``/healthz`` answers meanwhile, ``/metrics`` counts them, and the admitted ones complete
once the table is unlocked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bench.faults import processes
from tests.helpers import ADMIN, MYSQL_URL, REDIS_URL, Backend, bearer, team

pytestmark = pytest.mark.skipif(not MYSQL_URL, reason="needs MariaDB (scripts/test starts one)")

TEAMS = {"query": "{ teams { key } }"}
# The queue's wait is long enough for the test to fill the queue meanwhile; no request here
# waits for it to pass except the one it sheds.
LIMITS = {
    "PRODHUB_MAX_CONCURRENT_REQUESTS": "2",
    "PRODHUB_MAX_QUEUED_REQUESTS": "1",
    "PRODHUB_QUEUE_WAIT_SECONDS": "2",
    "PRODHUB_CACHE_TTL_SECONDS": "0",  # every request executes
}
SHED_MESSAGE = "the server is overloaded; try again in 1 s"


@asynccontextmanager
async def locked(backend: Backend, table: str) -> AsyncIterator[None]:
    async with backend.db.engine.connect() as connection:
        await connection.exec_driver_sql(f"LOCK TABLES {table} WRITE")
        try:
            yield
        finally:
            await connection.exec_driver_sql("UNLOCK TABLES")


def samples(scraped: str) -> dict[str, float]:
    """``name`` or ``name{reason}`` → value, of the admission's metrics."""
    found = {}
    for family in text_string_to_metric_families(scraped):
        for sample in family.samples:
            if sample.name.startswith(("prodhub_requests_", "prodhub_request_queue_wait")):
                reason = sample.labels.get("reason")
                found[sample.name + (f"{{{reason}}}" if reason else "")] = sample.value
    return found


async def until(http: httpx.AsyncClient, check: Callable[[dict[str, float]], bool]) -> None:
    async with asyncio.timeout(10):
        while True:  # a scrape every 20 ms until ``check`` holds
            if check(samples((await http.get("/metrics")).text)):
                return
            await asyncio.sleep(0.02)


async def test_a_saturated_server_sheds_fast_and_stays_healthy(
    mariadb: Backend, tmp_path: Path
) -> None:
    await team(mariadb.db, key="night")
    env = {"PRODHUB_DATABASE_URL": str(mariadb.settings.database_url), **LIMITS}
    if REDIS_URL:
        env["PRODHUB_REDIS_URL"] = REDIS_URL
    web = processes.serve(env, tmp_path)
    try:
        await asyncio.to_thread(web.wait_ready)
        headers = bearer(ADMIN, now=datetime.now(UTC))
        async with httpx.AsyncClient(base_url=web.url, timeout=10, headers=headers) as http:
            warm = await http.post("/graphql", json=TEAMS)  # stamps read, pool connected
            async with locked(mariadb, "teams"):
                held = [asyncio.create_task(http.post("/graphql", json=TEAMS)) for _ in "ab"]
                await until(http, lambda m: m["prodhub_requests_executing"] == 2)
                waiting = asyncio.create_task(http.post("/graphql", json=TEAMS))
                await until(http, lambda m: m["prodhub_requests_queued"] == 1)
                full = await http.post("/graphql", json=TEAMS)
                report = await http.get(
                    "/reports/daily.csv", params={"teamId": "night", "date": "2026-11-20"}
                )
                health = await http.get("/healthz")
                waited = await waiting
                still_held = [task.done() for task in held]
                scraped = samples((await http.get("/metrics")).text)
            admitted = await asyncio.gather(*held)
            after = samples((await http.get("/metrics")).text)
    finally:
        web.process.stop()

    answer = {"data": {"teams": [{"key": "night"}]}}
    assert warm.json() == answer
    overloaded = {"errors": [{"message": SHED_MESSAGE, "extensions": {"code": "OVERLOADED"}}]}
    for shed in (full, waited):
        assert (shed.status_code, shed.headers["retry-after"], shed.json()) == (
            503,
            "1",
            overloaded,
        )
    assert (report.status_code, report.headers["retry-after"], report.text) == (
        503,
        "1",
        SHED_MESSAGE,
    )
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert still_held == [False, False]
    assert [(response.status_code, response.json()) for response in admitted] == [
        (200, answer),
        (200, answer),
    ]
    assert (
        scraped["prodhub_requests_shed_total{queue_full}"],
        scraped["prodhub_requests_shed_total{waited}"],
        scraped["prodhub_requests_executing"],
    ) == (2, 1, 2)
    assert (after["prodhub_requests_executing"], after["prodhub_requests_queued"]) == (0, 0)
    # Every request that asked for a slot: the warm one, the two held, the three shed.
    assert after["prodhub_request_queue_wait_seconds_count"] == 6
