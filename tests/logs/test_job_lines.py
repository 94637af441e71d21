"""A job's lines carry the id of what asked for it: the request that enqueued it (its
``X-Request-ID``), or the scheduler's tick; each job ends with one line (``job finished``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import build_resources
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, bearer
from tests.helpers_logs import Lines

RECALCULATE = """mutation { recalculateScores(from: "2026-11-20", to: "2026-11-20") {
  enqueued errors { code } } }"""
# The embedded scheduler's clock stands on another day: its ticks touch nothing of the test's.
ELSEWHERE = datetime(2026, 11, 10, 20, 30, tzinfo=UTC)


async def ran(db: Database, tick: str) -> bool:
    async with db.read_session() as session:
        found = await session.scalars(select(models.JobRun.tick).where(models.JobRun.tick == tick))
        return found.first() is not None


async def test_a_job_logs_under_the_id_of_the_request_that_enqueued_it(
    backend: Backend, logs: Lines
) -> None:
    await helpers.users(backend.db, ADMIN)
    settings = backend.settings.model_copy(
        update={"redis_url": None, "scheduler_frozen_at": ELSEWHERE}
    )
    app = create_app(
        build_resources(settings, db=backend.db), clock=lambda: NOW, embedded_jobs=True
    )
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
    ):
        response = await http.post(
            "/graphql",
            json={"query": RECALCULATE},
            headers={**bearer(ADMIN), "X-Request-ID": "recalc-7"},
        )
        assert response.json()["data"]["recalculateScores"] == {"enqueued": 1, "errors": []}
        tick = f"{NOW.strftime('%Y-%m-%dT%H:%M:%S.000Z')}/2026-11-20"
        for _ in range(300):
            if await ran(backend.db, tick) and any(
                line.get("request_id") == "recalc-7" for line in logs.events("job finished")
            ):
                break
            await asyncio.sleep(0.1)

    finished = logs.events("job finished")
    asked = [line for line in finished if line["request_id"] == "recalc-7"]
    assert [(line["job"], line["outcome"]) for line in asked] == [("refresh_scores", "ok")]
    scheduled = {line["request_id"] for line in finished if line["request_id"] != "recalc-7"}
    assert scheduled  # the scheduler's ticks ran at start, each under its key
    assert all(key.split(":")[0] in {"refresh_scores", "daily_rollover", "finalize_day",
               "build_daily_reports", "sync_users", "sync_time_clock", "sync_schedules",
               "push_performance"} for key in scheduled)  # fmt: skip
