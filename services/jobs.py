"""Running a job for a tick: at most once to success, recorded, pausable.

``run_job`` does a job's work and records its run in one transaction: a run that dies half
way leaves neither half-written rows nor a SUCCEEDED record, and its retry starts clean. A
tick that already succeeded is skipped (messages are delivered at least once); so is a
paused job's tick. A failure is recorded in a transaction of its own and raised again, for
the queue to retry.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models import JobControl, JobRun

MAX_ERROR = 2000

Work = Callable[[AsyncSession], Awaitable[dict[str, Any]]]  # returns the run's counts


class Outcome(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    SKIPPED = "SKIPPED"  # done before, or the job is paused
    FAILED = "FAILED"


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    counts: dict[str, Any]


async def run_job(*, db: Database, job: str, tick: str, now: datetime, work: Work) -> RunResult:
    if await db.read(lambda session: _should_skip(session, job, tick)):
        return RunResult(Outcome.SKIPPED, {})
    started = time.perf_counter()

    async def work_and_record(session: AsyncSession) -> dict[str, Any]:
        counts = await work(session)
        await _record(session, job, tick, now, Outcome.SUCCEEDED, started, counts, None)
        return counts

    try:
        counts = await db.write(work_and_record)
    except Exception as failure:
        error = f"{type(failure).__name__}: {failure}"[:MAX_ERROR]

        async def record_failure(session: AsyncSession) -> None:
            await _record(session, job, tick, now, Outcome.FAILED, started, {}, error)

        await db.write(record_failure)
        raise
    return RunResult(Outcome.SUCCEEDED, counts)


async def _should_skip(session: AsyncSession, job: str, tick: str) -> bool:
    paused = await session.scalar(select(JobControl.paused).where(JobControl.job == job))
    done = await session.scalar(select(JobRun.status).where(JobRun.job == job, JobRun.tick == tick))
    return bool(paused) or done == Outcome.SUCCEEDED


async def _record(
    session: AsyncSession,
    job: str,
    tick: str,
    now: datetime,
    outcome: Outcome,
    started: float,
    counts: dict[str, Any],
    error: str | None,
) -> None:
    row = await session.scalar(
        select(JobRun).where(JobRun.job == job, JobRun.tick == tick).with_for_update()
    )
    if row is None:
        row = JobRun(job=job, tick=tick, started_at=now)
        session.add(row)
    row.status = outcome.value
    row.finished_at = now
    row.duration_ms = round((time.perf_counter() - started) * 1000)
    row.counts = counts
    row.error = error
    await session.flush()


async def set_paused(*, session: AsyncSession, job: str, paused: bool, user_id: int | None) -> None:
    row = await session.get(JobControl, job, with_for_update=True)
    if row is None:
        session.add(JobControl(job=job, paused=paused, updated_by_user_id=user_id))
    else:
        row.paused, row.updated_by_user_id = paused, user_id
    await session.flush()
