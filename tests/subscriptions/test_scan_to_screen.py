"""From a scan to the floor: a device records activities with its INGEST key, the refresh job
runs as the app runs it, and the floor screen (headless chromium on ``/board``) and a plain
subscription client, both signed in with the team's DISPLAY key, show the new board.

In the embedded default (SQLite, one process: its worker and scheduler in it, the refresh
enqueued by the scan itself), and in production's shape: two ``prodhub serve`` processes on
MariaDB and Redis and a ``prodhub worker``; the scan goes through one, the screen watches the
other."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from bench.faults import processes
from db import models
from db.engine import Database
from prodhub import job_queue
from prodhub.resources import build_resources
from services.api_keys import ApiKeyScope
from tests import helpers
from tests.helpers import Backend
from tests.helpers_browser import Browser
from tests.helpers_live import (
    DAY,
    SCREEN,
    SCREEN_VARIABLES,
    Clock,
    Floor,
    screen_url,
    serving,
    watching,
)

RECORD = """mutation($items: [ActivityInput!]!) {
  recordActivities(input: $items) { accepted duplicates errors { index field code message } }
}"""
FIRST = [["1", "Ann", "30"], ["2", "Bob", "20"], ["3", "Anonymous", "10"]]
AFTER_BOB = [["1", "Bob", "35"], ["2", "Ann", "30"], ["3", "Anonymous", "10"]]
ACCEPTED = {"data": {"recordActivities": {"accepted": 1, "duplicates": 0, "errors": []}}}


def scan_of(floor: Floor) -> dict[str, Any]:
    """Bob's 15 items on DAY, 10:00 to 10:10 in Chicago."""
    start = datetime(2026, 11, 20, 16, tzinfo=UTC)
    return {"employeeCode": floor.people["Bob"].code, "roleKey": "pick", "itemsCount": 15,
            "windowStart": start.isoformat(),
            "windowEnd": (start + timedelta(minutes=10)).isoformat()}  # fmt: skip


def shown(page: dict[str, Any]) -> list[tuple[int, str, float]]:
    edges = page["leaderboardUpdated"]["edges"]
    return [(e["node"]["rank"], e["node"]["displayName"], e["node"]["pointsEarned"]) for e in edges]


def showing(rows: list[list[str]]) -> Any:
    return lambda page: page["state"] == "live" and page["rows"] == rows


async def test_a_scan_reaches_the_floor_in_the_embedded_default(
    backend: Backend, db: Database, floor: Floor, screen: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend.name != "sqlite":
        pytest.skip("the embedded default: SQLite, and the jobs in the web process")
    # The refresh waits this long after a scan for more of the burst: not what is tested here.
    monkeypatch.setattr(job_queue, "DEBOUNCE_SECONDS", 1)
    ingest = await helpers.api_key(db, ApiKeyScope.INGEST)
    display = await helpers.api_key(db, ApiKeyScope.DISPLAY, floor.team.id)
    # The embedded scheduler's clock stands on another day: what it runs at start touches
    # nothing of DAY's board.
    elsewhere = datetime(2026, 11, 10, 20, 30, tzinfo=UTC)
    settings = backend.settings.model_copy(update={"scheduler_frozen_at": elsewhere})
    resources = build_resources(settings, db=db)
    async with (
        serving(resources, Clock(), embedded_jobs=True) as live,
        screen.tab(screen_url(live.url, display)) as tab,
        watching(live.url, display, SCREEN, **SCREEN_VARIABLES) as plain,
    ):
        first_page = await tab.until(showing(FIRST))
        first = await plain.next()
        http_url = live.url.replace("ws://", "http://").removesuffix("/graphql")
        async with httpx.AsyncClient(base_url=http_url) as http:
            recorded = await http.post(
                "/graphql",
                json={"query": RECORD, "variables": {"items": [scan_of(floor)]}},
                headers={"Authorization": ingest},
            )
        changed = await plain.next()  # once the embedded worker has run the refresh
        changed_page = await tab.until(showing(AFTER_BOB))

    assert recorded.json() == ACCEPTED
    assert (first_page["team"], first_page["period"]) == ("Alpha", "2026-11-20")
    assert shown(first) == [(1, "Ann", 30.0), (2, "Bob", 20.0), (3, "Anonymous", 10.0)]
    assert shown(changed) == [(1, "Bob", 35.0), (2, "Ann", 30.0), (3, "Anonymous", 10.0)]
    assert changed["leaderboardUpdated"]["team"] == {"name": "Alpha", "timezone": "America/Chicago"}
    assert changed_page["rows"] == AFTER_BOB
    assert screen.problems == []


async def test_a_scan_reaches_the_floor_across_two_web_processes(
    backend: Backend, floor: Floor, screen: Browser, tmp_path: Path
) -> None:
    if backend.name != "mariadb":
        pytest.skip("the processes share MariaDB and Redis")
    settings = backend.settings
    assert settings.redis_url is not None
    env = {"PRODHUB_DATABASE_URL": settings.database_url, "PRODHUB_REDIS_URL": settings.redis_url}
    ingest = await helpers.api_key(backend.db, ApiKeyScope.INGEST)
    display = await helpers.api_key(backend.db, ApiKeyScope.DISPLAY, floor.team.id)
    webs = [processes.serve(env, tmp_path) for _ in range(2)]
    worker = processes.worker(env, tmp_path)  # runs the refresh the scan enqueued
    # The processes' clock is the wall clock: the board of DAY is named outright.
    day = {"from": DAY.isoformat(), "to": DAY.isoformat()}
    try:
        for web in webs:
            await asyncio.to_thread(web.wait_ready)
        watched, scanned = webs
        url = watched.url.replace("http://", "ws://") + "/graphql"
        async with (
            screen.tab(screen_url(url, display, **day)) as tab,
            watching(url, display, SCREEN, **SCREEN_VARIABLES | day) as plain,
        ):
            first_page = await tab.until(showing(FIRST))
            first = await plain.next()
            async with httpx.AsyncClient(base_url=scanned.url) as http:
                recorded = await http.post(
                    "/graphql",
                    json={"query": RECORD, "variables": {"items": [scan_of(floor)]}},
                    headers={"Authorization": ingest},
                )
            # the refresh runs 30 s after the scan (a burst's debounce), then a worker takes it
            changed = await plain.next(seconds=90)
            changed_page = await tab.until(showing(AFTER_BOB))
    finally:
        worker.stop()
        for web in webs:
            web.process.stop()
        # The processes wrote through databases of their own, which the test's cleanup does
        # not watch: what they may have written is emptied here.
        async with backend.db.session() as session, session.begin():
            for model in (*helpers.SCORED, models.JobRun, models.Activity):
                await session.execute(delete(model))

    assert recorded.json() == ACCEPTED
    assert (first_page["team"], first_page["period"]) == ("Alpha", "2026-11-20")
    assert shown(first) == [(1, "Ann", 30.0), (2, "Bob", 20.0), (3, "Anonymous", 10.0)]
    assert shown(changed) == [(1, "Bob", 35.0), (2, "Ann", 30.0), (3, "Anonymous", 10.0)]
    assert changed_page["rows"] == AFTER_BOB
    assert screen.problems == []
