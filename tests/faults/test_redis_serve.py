"""A real ``prodhub serve`` (uvicorn on uvloop, as shipped) whose Redis connections freeze (a
NAT or firewall that forgot them: live connections go silent, new ones pass) and then go
black-holed: no request waits on a blocking Redis call, ``/healthz`` answers at once while a
scan is being recorded, every scan is answered as stored, and the refreshes it could not
enqueue are sent once Redis is back. MariaDB, and a Redis of the test's own behind a
``FaultProxy``."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import redis
from dramatiq import Message
from sqlalchemy import delete

from bench.faults import processes
from bench.faults.proxy import FaultProxy
from db import models
from tests import helpers
from tests.helpers import ADMIN, Backend, bearer

pytestmark = pytest.mark.skipif(
    not processes.Redis.available(), reason="needs redis-server (scripts/test installs it)"
)

RECORD = (
    "mutation($i: [ActivityInput!]!) { recordActivities(input: $i) { accepted errors { code } } }"
)
HEALTHZ_WITHIN = 0.2


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[processes.Redis]:
    server = processes.Redis(tmp_path / "redis").start()
    yield server
    server.stop()


def _items(code: str, role: str, day: date) -> list[dict[str, Any]]:
    start = datetime(day.year, day.month, day.day, 15, tzinfo=UTC)
    return [{"employeeCode": code, "roleKey": role, "itemsCount": 3,
             "windowStart": start.isoformat(),
             "windowEnd": (start + timedelta(minutes=10)).isoformat()}]  # fmt: skip


async def _healthz_while(url: str, busy: asyncio.Task[Any]) -> list[float]:
    """``/healthz`` asked every 20 ms until ``busy`` is done: how long each took (inf: no
    answer within a second)."""
    took: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=1.0) as probe:
        while not busy.done():
            started = time.perf_counter()
            try:
                answered = (await probe.get("/healthz")).status_code == 200
            except httpx.TimeoutException:
                answered = False
            took.append(time.perf_counter() - started if answered else math.inf)
            await asyncio.sleep(0.02)
    return took


async def test_frozen_then_black_holed_redis_never_stalls_the_server(
    mariadb: Backend, own_redis: processes.Redis, tmp_path: Path
) -> None:
    role = await helpers.role(mariadb.db)
    await helpers.employee(mariadb.db, code="U1")
    proxy = FaultProxy("127.0.0.1", own_redis.port)
    await proxy.start()
    env = {
        "PRODHUB_DATABASE_URL": str(mariadb.settings.database_url),
        "PRODHUB_REDIS_URL": own_redis.url(port=proxy.port),
    }
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=n) for n in (20, 19, 18)]
    web = processes.serve(env, tmp_path)
    direct = redis.Redis.from_url(own_redis.url())
    try:
        await asyncio.to_thread(web.wait_ready)
        async with httpx.AsyncClient(
            base_url=web.url, timeout=5.0, headers=bearer(ADMIN, now=datetime.now(UTC))
        ) as http:

            async def record(day: date) -> tuple[Any, float]:
                started = time.perf_counter()
                response = await http.post(
                    "/graphql",
                    json={"query": RECORD, "variables": {"i": _items("U1", role.key, day)}},
                )
                return response.json(), time.perf_counter() - started

            warm = await record(days[0])  # Redis answers: its connections are pooled
            proxy.freeze()
            # A load balancer's probe comes first and finds a frozen connection: it answers
            # ready (degraded) within its bound, and that connection is dropped; the scan's
            # own calls then find the others (the broker's), which block if anything does.
            started = time.perf_counter()
            probe = await http.get("/readyz")
            probed = (probe.status_code, probe.json()["status"], time.perf_counter() - started)
            in_flight = asyncio.create_task(record(days[1]))
            frozen_healthz = await _healthz_while(web.url, in_flight)
            frozen = await in_flight
            proxy.black_hole()
            in_flight = asyncio.create_task(record(days[2]))
            black_holed_healthz = await _healthz_while(web.url, in_flight)
            black_holed = await in_flight
            await proxy.restore()

            def queued() -> list[str]:
                found = cast(list[bytes], direct.hvals("dramatiq:scores.DQ.msgs"))
                return sorted(Message.decode(raw).args[0] for raw in found)

            back_at = time.perf_counter()
            refreshes = queued()
            while len(refreshes) < 3 and time.perf_counter() - back_at < 8:
                await asyncio.sleep(0.1)
                refreshes = queued()
            paid_after = time.perf_counter() - back_at
    finally:
        web.process.stop()
        direct.close()
        await proxy.stop()
        async with mariadb.db.session() as session, session.begin():
            await session.execute(delete(models.Activity))  # the server's rows

    stored = {"data": {"recordActivities": {"accepted": 1, "errors": []}}}
    assert [warm[0], frozen[0], black_holed[0]] == [stored] * 3, web.process.output()
    assert probed[:2] == (200, "degraded") and probed[2] < 0.6, probed
    assert frozen_healthz and max(frozen_healthz) < HEALTHZ_WITHIN, frozen_healthz
    assert max(black_holed_healthz, default=0) < HEALTHZ_WITHIN, black_holed_healthz
    # The frozen call waited out a short timeout, off the loop; the next found the breaker open.
    assert frozen[1] < 1.5 and black_holed[1] < 0.5, (frozen[1], black_holed[1])
    assert refreshes == [day.isoformat() for day in days], web.process.output()
    assert paid_after < 3  # the owed ones are tried every second at most
    print(
        f"healthz while frozen: max {max(frozen_healthz) * 1000:.0f} ms of {len(frozen_healthz)};"
        f" record: frozen {frozen[1]:.2f} s, black-holed {black_holed[1]:.2f} s;"
        f" owed refreshes sent {paid_after:.1f} s after Redis was back"
    )
