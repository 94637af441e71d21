"""A ``prodhub worker`` process killed (SIGKILL) in the middle of ``sync_time_clock``: the day
it had committed stays whole, the day it was writing is as before, and another worker's retry
completes the run. MariaDB and Redis only (a process of its own needs the Redis broker)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import date
from typing import Any

import dramatiq
from pydantic import SecretStr
from sqlalchemy import delete, select

from db import models
from db.engine import Database
from prodhub.jobs import build_broker
from services.jobs import Job
from tasks.registry import declare
from tests import helpers
from tests.helpers import Backend, utc, wait_for
from tests.helpers_connecteam import API_KEY, FakeConnecteam, serving, shift

TICK = "2026-11-20T10:05"
NINETEENTH, TWENTIETH = date(2026, 11, 19), date(2026, 11, 20)
WRITTEN = (*helpers.SCORED, models.ClockBreak, models.ClockRecord, models.SyncRun,
           models.JobRun)  # fmt: skip


async def rows(db: Database) -> dict[str, list[Any]]:
    async with db.read_session() as session:
        clocks = await session.execute(
            select(models.ClockRecord.external_id, models.ClockRecord.work_date)
            .order_by(models.ClockRecord.external_id)
        )  # fmt: skip
        scores = await session.execute(
            select(models.DailyScore.work_date, models.DailyScore.clocked_minutes)
            .order_by(models.DailyScore.work_date)
        )  # fmt: skip
        runs = await session.execute(select(models.SyncRun.status, models.SyncRun.attempts))
        return {"clocks": [tuple(r) for r in clocks], "scores": [tuple(r) for r in scores],
                "runs": [tuple(r) for r in runs]}  # fmt: skip


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "prodhub", "worker", "--threads", "1"], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


async def test_a_worker_killed_between_days_leaves_whole_days_and_the_retry_completes_them(
    mariadb: Backend,
) -> None:
    db = mariadb.db
    await helpers.employee(db, code="K1", connecteam_user_id="1")
    k2 = await helpers.employee(db, code="K2", connecteam_user_id="2")
    # K2's score of the 20th, from before: the sync's refresh of the 20th replaces it
    held = helpers.score(k2, TWENTIETH, clocked_minutes=1.0)
    await helpers.add(db, held)
    fake = FakeConnecteam(
        time_clocks=[{"id": 7, "name": "Warehouse", "isArchived": False}],
        activities={7: [
            {"userId": 1, "manualBreaks": [],
             "shifts": [shift("s19", utc(2026, 11, 19, 14), utc(2026, 11, 19, 22))]},
            {"userId": 2, "manualBreaks": [],
             "shifts": [shift("s20", utc(2026, 11, 20, 14), utc(2026, 11, 20, 16))]},
        ]},
    )  # fmt: skip
    recovery: dramatiq.Worker | None = None
    async with serving(fake) as url:
        settings = mariadb.settings.model_copy(
            update={"connecteam_api_key": SecretStr(API_KEY), "connecteam_base_url": url}
        )
        env = {**os.environ, "PRODHUB_DATABASE_URL": str(settings.database_url),
               "PRODHUB_REDIS_URL": str(settings.redis_url),
               "PRODHUB_CONNECTEAM_API_KEY": API_KEY, "PRODHUB_CONNECTEAM_BASE_URL": url}  # fmt: skip
        worker = start_worker(env)
        try:
            # Hold K2's score of the 20th: the 19th's transaction commits; the 20th's waits
            # here, in the middle (its clock records written), to lock the day's scores
            # before it scores the day again.
            async with db.session() as holder, holder.begin():
                await holder.execute(  # by primary key: that row alone, no gap
                    select(models.DailyScore.id)
                    .where(models.DailyScore.id == held.id)
                    .with_for_update()
                )
                declare(build_broker(settings))[Job.SYNC_TIME_CLOCK].send(TICK)
                midway = await wait_for(db, "SELECT 1 FROM information_schema.PROCESSLIST "
                                            "WHERE INFO LIKE 'SELECT daily_scores.employee_id%"
                                            "FOR UPDATE'")  # fmt: skip
                worker.kill()  # SIGKILL: no shutdown, no rollback from the worker itself
                worker.wait(timeout=30)
            after_kill = await rows(db)

            broker = build_broker(settings, heartbeat_timeout=500, maintenance_chance=1_000_000)
            declare(broker, min_backoff_ms=10)
            recovery = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
            recovery.start()
            await wait_for(db, "SELECT 1 FROM sync_runs WHERE status = 'SUCCEEDED'")
            after_retry = await rows(db)
        finally:
            if worker.poll() is None:
                worker.kill()
            worker.communicate(timeout=30)
            if recovery is not None:
                await asyncio.to_thread(recovery.stop)
            async with db.session() as session, session.begin():
                for model in WRITTEN:
                    await session.execute(delete(model))

    assert midway
    assert after_kill == {
        "clocks": [("s19", NINETEENTH)],  # the 19th: committed whole
        "scores": [(NINETEENTH, 480.0), (TWENTIETH, 1.0)],  # the 20th: as before
        "runs": [("RUNNING", 1)],
    }
    assert after_retry == {
        "clocks": [("s19", NINETEENTH), ("s20", TWENTIETH)],
        "scores": [(NINETEENTH, 480.0), (TWENTIETH, 120.0)],
        "runs": [("SUCCEEDED", 2)],
    }
