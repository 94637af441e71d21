"""The production shape: two ``prodhub serve`` processes on MariaDB and Redis. A device scans
through one; the day's refresh (the job's work, run here as a worker runs it, through
resources built like a worker's) is told on Redis; the subscriber on the other process gets
the new page."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import redis.asyncio

from bench.faults import processes
from db.engine import Database
from prodhub.resources import build_resources
from services import api_keys
from services.api_keys import ApiKeyScope
from services.authentication import Viewer
from services.board_notices import CHANNEL
from tests.helpers import ADMIN, Backend, bearer
from tests.helpers_live import DAY, Floor, refresh, rows, watching

RECORD = """mutation($items: [ActivityInput!]!) {
  recordActivities(input: $items) { accepted duplicates errors { index field code message } }
}"""


async def device_key(db: Database) -> str:
    async with db.session() as session, session.begin():
        created = await api_keys.create_api_key(
            session=session, actor=Viewer(email="test"), name="dock 1", scope=ApiKeyScope.INGEST
        )
    return f"Bearer {created.secret}"


async def listeners(url: str) -> int:
    """The processes subscribed to the board notices, once there is one (10 s at most)."""
    async with redis.asyncio.Redis.from_url(url) as client:
        for _ in range(200):
            found = int((await client.pubsub_numsub(CHANNEL))[0][1])
            if found:
                return found
            await asyncio.sleep(0.05)
    return 0


async def test_a_refresh_reaches_the_subscriber_on_another_web_process(
    backend: Backend, floor: Floor, tmp_path: Path
) -> None:
    if backend.name != "mariadb":
        pytest.skip("the processes share MariaDB and Redis")
    settings = backend.settings
    assert settings.redis_url is not None
    env = {"PRODHUB_DATABASE_URL": settings.database_url, "PRODHUB_REDIS_URL": settings.redis_url}
    webs = [processes.serve(env, tmp_path) for _ in range(2)]
    device = await device_key(backend.db)
    # The processes' clock is the wall clock: a token of now, a board of DAY named outright.
    token = bearer(ADMIN, now=datetime.now(UTC))["Authorization"]
    start = datetime(2026, 11, 20, 16, tzinfo=UTC)
    scan = {"employeeCode": floor.people["Bob"].code, "roleKey": "pick", "itemsCount": 15,
            "windowStart": start.isoformat(),
            "windowEnd": (start + timedelta(minutes=10)).isoformat()}  # fmt: skip
    worker = build_resources(settings, db=backend.db)  # publishes as a worker's writes do
    try:
        for web in webs:
            await asyncio.to_thread(web.wait_ready)
        watched, scanned = webs
        url = watched.url.replace("http://", "ws://") + "/graphql"
        async with watching(url, token, **{"from": DAY.isoformat(), "to": DAY.isoformat()}) as w:
            first = await w.next()
            subscribed = await listeners(settings.redis_url)
            async with httpx.AsyncClient(base_url=scanned.url) as http:
                recorded = await http.post(
                    "/graphql",
                    json={"query": RECORD, "variables": {"items": [scan]}},
                    headers={"Authorization": device},
                )
            await refresh(backend.db)
            changed = await w.next()
            await refresh(backend.db)
            unchanged = await w.quiet()
    finally:
        await worker.aclose()
        for web in webs:
            web.process.stop()

    assert recorded.json() == {
        "data": {"recordActivities": {"accepted": 1, "duplicates": 0, "errors": []}}
    }
    assert rows(first) == [(1, 30.0, "Ann"), (2, 20.0, "Bob"), (3, 10.0, "Cid")]
    assert rows(changed) == [(1, 35.0, "Bob"), (2, 30.0, "Ann"), (3, 10.0, "Cid")]
    assert unchanged is True
    assert subscribed == 1  # the process with a subscriber listens; the other not yet
