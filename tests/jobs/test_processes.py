"""The jobs as they run: inside the web process in the embedded default, and as separate
``prodhub worker`` and ``prodhub scheduler`` processes on Redis (two schedulers, one leads; a
worker killed mid-refresh leaves the day whole, and its message is retried)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import dramatiq
import httpx
from sqlalchemy import delete, select

from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.jobs import build_broker
from services.jobs import Job
from services.score_refresh import refresh_day
from tasks.registry import declare
from tasks.timing import due
from tests import helpers
from tests.helpers import Backend, utc, wait_for

JOB_TABLES = (models.Flag, models.IdlePeriod, models.DailyScore, models.StandardSet, models.JobRun)


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


# The schedulers' clock stands still at 14:30 in Chicago (``scheduler_frozen_at``): what is
# due is the same whenever the test runs, however long it takes. The slot's refresh and
# time-clock sync, the half hour's schedules sync, and the day's rollover and users sync.
FROZEN = helpers.NOW
DUE = [("daily_rollover", "SUCCEEDED"), ("refresh_scores", "SUCCEEDED"),
       ("sync_schedules", "SUCCEEDED"), ("sync_time_clock", "SUCCEEDED"),
       ("sync_users", "SUCCEEDED")]  # fmt: skip


async def forget_runs(db: Database) -> None:
    async with db.session() as session, session.begin():
        for model in JOB_TABLES:
            await session.execute(delete(model))


async def test_the_embedded_default_runs_its_worker_and_scheduler(backend: Backend) -> None:
    settings = backend.settings.model_copy(
        update={"redis_url": None, "scheduler_frozen_at": FROZEN}
    )
    app = create_app(settings, embedded_jobs=True)

    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://t"
            ) as client,
        ):
            found = await wait_for_runs(backend.db, len(DUE))
            ready = (await client.get("/healthz")).status_code
    finally:
        await forget_runs(backend.db)

    # enqueued at start and run: the slot's jobs, and the daily ones whose hour has come
    assert found == DUE
    assert sorted((d.job, "SUCCEEDED") for d in due(FROZEN.astimezone(settings.zone), [])) == DUE
    assert ready == 200


def launcher(backend: Backend) -> Callable[..., subprocess.Popen[str]]:
    """Starts ``prodhub <args>`` processes on the backend's MariaDB and Redis."""
    env = {**os.environ, "PRODHUB_DATABASE_URL": str(backend.settings.database_url),
           "PRODHUB_REDIS_URL": str(backend.settings.redis_url),
           "PRODHUB_SCHEDULER_FROZEN_AT": FROZEN.isoformat()}  # fmt: skip

    def start(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "prodhub", *args], env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )  # fmt: skip

    return start


async def test_worker_and_two_schedulers_as_processes_on_redis(mariadb: Backend) -> None:
    start = launcher(mariadb)
    processes = [start("worker", "--threads", "1"), start("scheduler"), start("scheduler")]
    try:
        found = await wait_for_runs(mariadb.db, len(DUE), seconds=40)
        await asyncio.sleep(1)  # a second scheduler, or a second enqueue, would show by now
        settled = sorted(await refreshes(mariadb.db))
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        outputs = [process.communicate(timeout=30)[0] for process in processes]
        await forget_runs(mariadb.db)

    assert found == DUE, outputs
    assert settled == found  # one run of each tick, though two schedulers ran
    assert [p.returncode for p in processes] == [0, 0, 0], outputs


DAY, TICK = date(2026, 11, 20), "2026-11-20T16:05"  # the tick in company time: 22:05 UTC


async def day_rows(db: Database) -> tuple[list[Any], list[Any], list[Any]]:
    async with db.read_session() as session:
        scores = await session.execute(
            select(models.DailyScore.items_processed, models.DailyScore.idle_minutes)
        )
        idle = await session.execute(
            select(models.IdlePeriod.start, models.IdlePeriod.end).order_by(models.IdlePeriod.start)
        )
        runs = await session.execute(select(models.JobRun.tick, models.JobRun.status))
        return [tuple(r) for r in scores], [tuple(r) for r in idle], [tuple(r) for r in runs]


async def test_a_worker_killed_mid_refresh_leaves_the_day_whole_and_the_retry_completes_it(
    mariadb: Backend,
) -> None:
    db = mariadb.db
    role = await helpers.role(db, key="pick", expected_per_hour=60)
    person = await helpers.employee(db, code="K1")
    shift = models.ClockRecord(
        employee_id=person.id, clock_in=utc(2026, 11, 20, 14), clock_out=utc(2026, 11, 20, 18),
        work_date=DAY,
    )  # fmt: skip
    early = helpers.activity(person, role, utc(2026, 11, 20, 14), 10, work_date=DAY)
    late = helpers.activity(person, role, utc(2026, 11, 20, 17), 10, work_date=DAY)
    await helpers.add(db, shift, early, late)
    await db.write(
        lambda session: refresh_day(session=session, work_date=DAY,
                                    now=utc(2026, 11, 20, 22, 5), idle_threshold=timedelta(minutes=15),
                                    goal=100.0)
    )  # fmt: skip
    before = await day_rows(db)
    # Since that refresh, a window arrived that fills the afternoon's gap.
    await helpers.add(db, helpers.activity(person, role, utc(2026, 11, 20, 15), 50, work_date=DAY))

    worker = launcher(mariadb)("worker", "--threads", "1")
    recovery: dramatiq.Worker | None = None
    try:
        # Hold a row of the day's idle periods: the worker's refresh replaces the day's scores,
        # then waits here, in the middle of its transaction, to replace the idle periods.
        async with db.session() as holder, holder.begin():
            await holder.execute(
                select(models.IdlePeriod.id)
                .where(models.IdlePeriod.work_date == DAY)
                .with_for_update()
            )
            declare(build_broker(mariadb.settings))[Job.REFRESH_SCORES].send(DAY.isoformat(), TICK)
            midway = await wait_for(db, "SELECT 1 FROM information_schema.PROCESSLIST "
                                        "WHERE INFO LIKE 'DELETE FROM idle_periods%'")  # fmt: skip
            worker.kill()  # SIGKILL: no shutdown, no rollback from the worker itself
            worker.wait(timeout=30)
        after_kill = await day_rows(db)

        # Another worker takes the dead one's message over (Dramatiq requeues the messages of a
        # worker whose heartbeat stopped; the timeout and maintenance are shortened here).
        broker = build_broker(mariadb.settings, heartbeat_timeout=500, maintenance_chance=1_000_000)
        declare(broker, min_backoff_ms=10)
        recovery = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
        recovery.start()
        await wait_for_runs(db, 1, seconds=30)
        after_retry = await day_rows(db)
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate(timeout=30)
        if recovery is not None:
            await asyncio.to_thread(recovery.stop)
        await forget_runs(db)

    assert midway
    assert before == (
        [(20, 220.0)],
        [
            (utc(2026, 11, 20, 14, 10), utc(2026, 11, 20, 17)),
            (utc(2026, 11, 20, 17, 10), utc(2026, 11, 20, 18)),
        ],
        [],
    )
    assert after_kill == before  # the half-written transaction died with the worker
    assert after_retry == (
        [(70, 210.0)],
        [(utc(2026, 11, 20, 14, 10), utc(2026, 11, 20, 15)),
         (utc(2026, 11, 20, 15, 10), utc(2026, 11, 20, 17)),
         (utc(2026, 11, 20, 17, 10), utc(2026, 11, 20, 18))],
        [(f"{TICK}/{DAY.isoformat()}", "SUCCEEDED")],
    )  # fmt: skip
