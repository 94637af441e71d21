"""Running a job for a tick: at most once to success, recorded, pausable.

``run_job`` does a job's work and records its run in one transaction: a run that dies half
way leaves neither half-written rows nor a SUCCEEDED record, and its retry starts clean. A
tick that already succeeded is skipped (messages are delivered at least once); so is a
paused job's tick. A failure is recorded in a transaction of its own and raised again, for
the queue to retry.

A run computes as of its tick (``now``: the same message gives the same rows), but records
when it really started and finished, by the wall clock: a catch-up run at 14:21 for the
06:05 tick shows both.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models import JobControl, JobRun, SyncRun
from db.models.base import utcnow
from services import audit
from services.authentication import Viewer
from services.errors import NotFound
from services.keyset import Key, Keyset

MAX_ERROR = 2000

Run = TypeVar("Run", JobRun, SyncRun)
Work = Callable[[AsyncSession], Awaitable[dict[str, Any]]]  # returns the run's counts


class Job(StrEnum):
    """Every job, by its one name: the Dramatiq actor's, its messages', its runs' in
    ``job_runs`` and its pause switch's in ``job_controls`` (these values are on the wire and
    in stored rows: never renamed). Declared in ``tasks.registry``, scheduled in
    ``tasks.timing``; this order is the order admins see them in."""

    REFRESH_SCORES = "refresh_scores"
    FINALIZE_DAY = "finalize_day"
    DAILY_ROLLOVER = "daily_rollover"
    SYNC_USERS = "sync_users"
    SYNC_TIME_CLOCK = "sync_time_clock"
    SYNC_SCHEDULES = "sync_schedules"
    BUILD_DAILY_REPORTS = "build_daily_reports"
    PUSH_PERFORMANCE = "push_performance"


class Outcome(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    SKIPPED = "SKIPPED"  # done before, or the job is paused
    FAILED = "FAILED"


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    counts: dict[str, Any]


def write_tick(now: datetime) -> str:
    """A tick for a job a write asked for: the instant to the millisecond, with its offset (a
    scheduler's ticks are company time without one). Two asks a second apart or less are two
    ticks, so neither is taken for a run of the other (``(job, tick)`` is unique)."""
    at = now.astimezone(UTC)
    return f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z"  # fits job_runs.tick with a date


async def run_job(
    *,
    db: Database,
    job: str,
    tick: str,
    work: Work,
    clock: Callable[[], datetime] = utcnow,
) -> RunResult:
    """Run ``work`` (which computes as of the tick) once for the tick; ``clock`` tells when it
    really started and finished."""
    if await skipped(db, job, tick):
        return RunResult(Outcome.SKIPPED, {})
    started = _Started(clock(), time.perf_counter(), clock)

    async def work_and_record(session: AsyncSession) -> dict[str, Any]:
        counts = await work(session)
        await _record(session, job, tick, Outcome.SUCCEEDED, started, counts, None)
        return counts

    try:
        counts = await db.write(work_and_record)
    except Exception as failure:
        error = f"{type(failure).__name__}: {failure}"[:MAX_ERROR]

        async def record_failure(session: AsyncSession) -> None:
            await _record(session, job, tick, Outcome.FAILED, started, {}, error)

        await db.write(record_failure)
        raise
    return RunResult(Outcome.SUCCEEDED, counts)


async def skipped(db: Database, job: str, tick: str) -> bool:
    """Whether ``run_job`` would skip this tick (done before, or the job is paused): for a job
    that does its work in several transactions before ``run_job`` records it."""
    return await db.read(lambda session: _should_skip(session, job, tick))


async def _should_skip(session: AsyncSession, job: str, tick: str) -> bool:
    paused = await session.scalar(select(JobControl.paused).where(JobControl.job == job))
    done = await session.scalar(select(JobRun.status).where(JobRun.job == job, JobRun.tick == tick))
    return bool(paused) or done == Outcome.SUCCEEDED


@dataclass(frozen=True, slots=True)
class _Started:
    """When a run started: by the wall clock (shown), and by the performance counter (its
    duration, which a wall clock set back meanwhile would not tell)."""

    at: datetime
    counter: float
    clock: Callable[[], datetime]


async def _record(
    session: AsyncSession,
    job: str,
    tick: str,
    outcome: Outcome,
    started: _Started,
    counts: dict[str, Any],
    error: str | None,
) -> None:
    """The tick's run, as its latest attempt went (a retry's record replaces a failure's)."""
    row = await session.scalar(
        select(JobRun).where(JobRun.job == job, JobRun.tick == tick).with_for_update()
    )
    if row is None:
        row = JobRun(job=job, tick=tick)
        session.add(row)
    row.status = outcome.value
    row.started_at, row.finished_at = started.at, started.clock()
    row.duration_ms = round((time.perf_counter() - started.counter) * 1000)
    row.counts = counts
    row.error = error
    await session.flush()


PERIODIC_JOBS = tuple(job.value for job in Job)  # what an admin may pause, and sees


async def set_paused(
    *, session: AsyncSession, actor: Viewer, job: str, paused: bool, reason: str | None = None
) -> JobControl:
    """Pause or resume a periodic job (its ticks are skipped, and recorded nowhere, meanwhile)."""
    if job not in PERIODIC_JOBS:
        raise NotFound(
            f"no periodic job {job[:64]!r}; there are {', '.join(PERIODIC_JOBS)}", field="job"
        )
    row = await session.get(JobControl, job, with_for_update=True)
    before = audit.snapshot(row) if row is not None else None
    if row is None:
        row = JobControl(job=job)
        session.add(row)
    row.paused, row.updated_by_user_id = paused, actor.user_id
    await session.flush()
    action = "pause" if paused else "resume"
    await audit.record(
        session=session, actor=actor, action=action, row=row, before=before, reason=reason
    )
    return row


async def job_states(*, session: AsyncSession) -> list[tuple[str, bool, JobRun | None]]:
    """Each periodic job, whether it is paused, and its latest run (two statements)."""
    paused = dict((await session.execute(select(JobControl.job, JobControl.paused))).all())
    latest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    runs = {
        run.job: run
        for run in await session.scalars(select(JobRun).join(latest, latest.c.id == JobRun.id))
    }
    return [(job, bool(paused.get(job)), runs.get(job)) for job in PERIODIC_JOBS]


JOB_RUN_ORDER = Keyset("job-runs", (Key(JobRun.id, descending=True),))


async def list_runs(
    *, session: AsyncSession, job: str | None, limit: int, after: Sequence[Any] | None
) -> Sequence[JobRun]:
    """Runs, newest first."""
    of_job = JobRun.job == job if job is not None else None
    return await newest_first(
        session=session, model=JobRun, order=JOB_RUN_ORDER, where=of_job, limit=limit, after=after
    )


async def newest_first(
    *,
    session: AsyncSession,
    model: type[Run],
    order: Keyset,
    where: ColumnElement[bool] | None,
    limit: int,
    after: Sequence[Any] | None,
) -> Sequence[Run]:
    """A page of runs (``model``: job runs, sync runs) in ``order``, newest first: ``limit``
    rows, those ``where`` keeps, after the cursor's ``after``."""
    statement = select(model).order_by(*order.order_by()).limit(limit)
    if where is not None:
        statement = statement.where(where)
    if after is not None:
        statement = statement.where(order.after(after))
    return (await session.scalars(statement)).all()
