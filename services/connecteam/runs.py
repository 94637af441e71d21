"""Sync runs: what each Connecteam sync did, as admins see it.

A run is one row in ``sync_runs``, named by its kind and its key (the job's tick, with the
first date of a backfill's chunk): QUEUED when ``triggerSync`` asked for it, RUNNING once a
worker took it, then SUCCEEDED or FAILED with its counts (calls, shifts, rows created,
updated, deleted…) and the reason it failed. A scheduled run has no QUEUED state. A second
run of a kind is refused while one is queued or running, unless that one is older than it
could still be alive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import JobControl, SyncRun
from services.errors import Conflict
from services.jobs import Job
from services.keyset import Key, Keyset


class SyncKind(StrEnum):
    TIME_CLOCK = "TIME_CLOCK"
    SCHEDULES = "SCHEDULES"
    USERS = "USERS"


JOB_OF = {
    SyncKind.TIME_CLOCK: Job.SYNC_TIME_CLOCK,
    SyncKind.SCHEDULES: Job.SYNC_SCHEDULES,
    SyncKind.USERS: Job.SYNC_USERS,
}
QUEUED, RUNNING, SUCCEEDED, FAILED = "QUEUED", "RUNNING", "SUCCEEDED", "FAILED"
# A queued run waits at most its message's age limit; a running one at most its time limit.
STILL_QUEUED = timedelta(hours=24)
STILL_RUNNING = timedelta(minutes=15)
MAX_ERROR = 2000


def run_key(tick: str, chunk: date | None) -> str:
    """A run's name in ``job_runs`` and ``sync_runs``: the tick, and a backfill chunk's start."""
    return tick if chunk is None else f"{tick}/{chunk:%Y%m%d}"


@dataclass(frozen=True)
class Planned:
    key: str
    first: date | None = None
    last: date | None = None


async def queue(
    *, session: AsyncSession, kind: SyncKind, runs: Sequence[Planned], now: datetime
) -> None:
    """Record runs ``triggerSync`` is about to enqueue; a Conflict if one of this kind is
    queued or running. Two admins at once take turns on the job's control row."""
    await _lock(session, JOB_OF[kind])
    busy = await session.scalar(
        select(SyncRun)
        .where(
            SyncRun.kind == kind.value,
            ((SyncRun.status == QUEUED) & (SyncRun.started_at > now - STILL_QUEUED))
            | ((SyncRun.status == RUNNING) & (SyncRun.started_at > now - STILL_RUNNING)),
        )
        .limit(1)
    )
    if busy is not None:
        raise Conflict(
            f"a {kind.value} sync is {busy.status.lower()} since "
            f"{busy.started_at:%Y-%m-%d %H:%M} UTC; try again when it has finished"
        )
    session.add_all(
        SyncRun(kind=kind.value, key=run.key, status=QUEUED, started_at=now,
                range_start=run.first, range_end=run.last, counts={})
        for run in runs
    )  # fmt: skip


async def _lock(session: AsyncSession, job: str) -> None:
    if await session.get(JobControl, job, with_for_update=True) is not None:
        return
    try:
        async with session.begin_nested():
            session.add(JobControl(job=job, paused=False))
    except IntegrityError:  # created meanwhile by another transaction: wait for its lock
        await session.get(JobControl, job, with_for_update=True, populate_existing=True)


async def abandon(*, session: AsyncSession, kind: SyncKind, keys: list[str], now: datetime) -> None:
    """Queued runs whose messages could not be sent."""
    await session.execute(
        update(SyncRun)
        .where(SyncRun.kind == kind.value, SyncRun.key.in_(keys), SyncRun.status == QUEUED)
        .values(status=FAILED, finished_at=now, error="the queue could not be reached")
    )


async def start(
    *, session: AsyncSession, kind: str, key: str, span: tuple[date, date] | None, now: datetime
) -> None:
    """The run is RUNNING: its queued row, or a new one (a scheduled run)."""
    first, last = span or (None, None)
    result = await session.execute(
        update(SyncRun)
        .where(SyncRun.kind == kind, SyncRun.key == key)
        .values(status=RUNNING, started_at=now, finished_at=None, error=None,
                attempts=SyncRun.attempts + 1)
    )  # fmt: skip
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(SyncRun(kind=kind, key=key, status=RUNNING, started_at=now,
                            range_start=first, range_end=last, counts={}, attempts=1))  # fmt: skip


async def finish(
    *,
    session: AsyncSession,
    kind: str,
    key: str,
    status: str,
    counts: dict[str, Any],
    error: str | None,
    now: datetime,
) -> None:
    await session.execute(
        update(SyncRun)
        .where(SyncRun.kind == kind, SyncRun.key == key)
        .values(status=status, finished_at=now, counts=counts,
                error=None if error is None else error[:MAX_ERROR])
    )  # fmt: skip


SYNC_RUN_ORDER = Keyset("sync-runs", (Key(SyncRun.id, descending=True),))


async def list_runs(
    *, session: AsyncSession, kind: str | None, limit: int, after: Sequence[Any] | None
) -> Sequence[SyncRun]:
    """Runs, newest first."""
    statement = select(SyncRun).order_by(*SYNC_RUN_ORDER.order_by()).limit(limit)
    if kind is not None:
        statement = statement.where(SyncRun.kind == kind)
    if after is not None:
        statement = statement.where(SYNC_RUN_ORDER.after(after))
    return (await session.scalars(statement)).all()


async def latest(*, session: AsyncSession) -> list[SyncRun]:
    """The newest run of each kind (one statement, down ``ix_sync_runs_kind_id``)."""
    newest = select(func.max(SyncRun.id).label("id")).group_by(SyncRun.kind).subquery()
    rows = await session.scalars(
        select(SyncRun).join(newest, newest.c.id == SyncRun.id).order_by(SyncRun.kind)
    )
    return list(rows)
