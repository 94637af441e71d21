"""The jobs as they run: inside the web process in the embedded default, and as separate
``prodhub worker`` and ``prodhub scheduler`` processes on Redis (two schedulers, one leads)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import httpx
from sqlalchemy import delete, select

from db import models
from db.engine import Database
from prodhub.app import create_app
from tests.helpers import Backend

JOB_TABLES = (models.Flag, models.IdlePeriod, models.DailyScore, models.JobRun)


async def refreshes(db: Database) -> list[tuple[str, str]]:
    async with db.read_session() as session:
        rows = await session.execute(select(models.JobRun.job, models.JobRun.status))
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def wait_for_runs(db: Database, count: int, seconds: float = 20) -> list[tuple[str, str]]:
    for _ in range(int(seconds * 10)):
        found = await refreshes(db)
        if len(found) >= count:
            return sorted(found)
        await asyncio.sleep(0.1)
    return sorted(await refreshes(db))


async def forget_runs(db: Database) -> None:
    async with db.session() as session, session.begin():
        for model in JOB_TABLES:
            await session.execute(delete(model))


async def test_the_embedded_default_runs_its_worker_and_scheduler(backend: Backend) -> None:
    settings = backend.settings.model_copy(update={"redis_url": None})
    app = create_app(settings, embedded_jobs=True)

    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as client,
        ):
            found = await wait_for_runs(backend.db, 2)
            ready = (await client.get("/healthz")).status_code
    finally:
        await forget_runs(backend.db)

    # enqueued at start and run: today's refresh and today's rollover
    assert found == [("daily_rollover", "SUCCEEDED"), ("refresh_scores", "SUCCEEDED")]
    assert ready == 200


async def test_worker_and_two_schedulers_as_processes_on_redis(mariadb: Backend) -> None:
    env = {**os.environ, "PRODHUB_DATABASE_URL": str(mariadb.settings.database_url),
           "PRODHUB_REDIS_URL": str(mariadb.settings.redis_url)}  # fmt: skip

    def start(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "prodhub", *args], env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip

    processes = [start("worker", "--threads", "1"), start("scheduler"), start("scheduler")]
    try:
        found = await wait_for_runs(mariadb.db, 2, seconds=40)
        await asyncio.sleep(1)  # a second scheduler, or a second enqueue, would show by now
        settled = sorted(await refreshes(mariadb.db))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=30)[0] for process in processes]
        await forget_runs(mariadb.db)

    assert found == [("daily_rollover", "SUCCEEDED"), ("refresh_scores", "SUCCEEDED")], outputs
    assert settled == found  # one run of each tick, though two schedulers ran
    assert [p.returncode for p in processes] == [0, 0, 0], outputs
