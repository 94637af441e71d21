"""Sync runs: what each Connecteam sync did, as admins see it.

A run is one row in ``sync_runs``, named by its kind and its key (the job's tick, with the
first date of a backfill's chunk): QUEUED when ``triggerSync`` asked for it, RUNNING once a
worker took it, then SUCCEEDED or FAILED with its counts (calls, shifts, rows created,
updated, deleted…) and the reason it failed. A scheduled run has no QUEUED state. A second
run of a kind is refused while one is queued or running, unless that one is older than it
could still be alive.

A sync job runs inside ``sync_run``, which keeps both records of the run, its ``job_runs``
row and its ``sync_runs`` row, in step: RUNNING once it goes ahead, then SUCCEEDED with its
last writes and counts in one transaction, or FAILED with the reason, the failure raised
again for the queue to retry from the start (what it had written is written again as it was,
so nothing is counted twice).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from db.engine import Database
from db.models import JobControl, SyncRun
from services.connecteam.client import ConnecteamClient, from_settings
from services.errors import Conflict
from services.jobs import Job, newest_first, run_job, skipped
from services.keyset import Key, Keyset

log = logging.getLogger(__name__)
T = TypeVar("T")
Apply = Callable[[AsyncSession], Awaitable[dict[str, Any]]]  # a run's last writes: its counts


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
    args: tuple[Any, ...] = ()  # the message that runs it


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
    of_kind = SyncRun.kind == kind if kind is not None else None
    return await newest_first(
        session=session,
        model=SyncRun,
        order=SYNC_RUN_ORDER,
        where=of_kind,
        limit=limit,
        after=after,
    )


async def latest(*, session: AsyncSession) -> list[SyncRun]:
    """The newest run of each kind (one statement, down ``ix_sync_runs_kind_id``)."""
    newest = select(func.max(SyncRun.id).label("id")).group_by(SyncRun.kind).subquery()
    rows = await session.scalars(
        select(SyncRun).join(newest, newest.c.id == SyncRun.id).order_by(SyncRun.kind)
    )
    return list(rows)


async def last_success(*, session: AsyncSession, kind: SyncKind) -> datetime | None:
    """When the newest successful run of ``kind`` started."""
    found: datetime | None = await session.scalar(
        select(SyncRun.started_at)
        .where(SyncRun.kind == kind.value, SyncRun.status == SUCCEEDED)
        .order_by(SyncRun.started_at.desc())
        .limit(1)
    )
    return found


@dataclass
class Running:
    """A sync run under way: its Connecteam client, and what its end records (``counts``, and
    ``apply``'s writes and counts in the same transaction)."""

    client: ConnecteamClient
    counts: dict[str, Any] = field(default_factory=dict)
    apply: Apply | None = None

    async def read(self, fetch: Callable[[ConnecteamClient], Awaitable[T]]) -> T:
        """What ``fetch`` reads from Connecteam; the client closes after it, and the calls and
        pages it took are the run's first counts."""
        async with self.client:
            try:
                return await fetch(self.client)
            finally:
                self.counts = self.client.usage()


@asynccontextmanager
async def sync_run(
    *,
    db: Database,
    settings: Settings,
    kind: SyncKind,
    key: str,
    span: tuple[date, date] | None,
    now: datetime,
) -> AsyncIterator[Running | None]:
    """The run ``key`` of a sync of ``kind``, RUNNING for the block, then recorded as it went
    (module docstring). None, and nothing to do, when Connecteam is not configured (recorded
    as such in ``job_runs``) or the run is done or its job paused."""
    job = JOB_OF[kind]
    client = from_settings(settings)
    if client is None:
        log.info("%s: Connecteam is not configured (PRODHUB_CONNECTEAM_API_KEY)", job)
        await run_job(db=db, job=job, tick=key, work=_not_configured)
        yield None
        return
    if await skipped(db, job, key):
        await client.aclose()
        yield None
        return
    await db.write(
        lambda session: start(session=session, kind=kind.value, key=key, span=span, now=now)
    )
    run = Running(client)
    try:
        yield run
    except Exception as failed:
        await _end(db, job, kind, key, now, run.counts, failed, None)
        raise
    finally:
        await client.aclose()
    await _end(db, job, kind, key, now, run.counts, None, run.apply)


async def _not_configured(session: AsyncSession) -> dict[str, Any]:
    return {"configured": False}


async def _end(
    db: Database,
    job: Job,
    kind: SyncKind,
    key: str,
    now: datetime,
    counts: dict[str, Any],
    failure: Exception | None,
    apply: Apply | None,
) -> None:
    """The run's end, in ``job_runs`` and ``sync_runs``: SUCCEEDED with ``apply``'s writes and
    counts in the same transaction, or FAILED with the reason (``failure``, or what ``apply``
    raised, raised again) in a transaction of its own."""
    began = time.perf_counter()

    def finished() -> datetime:
        return now + timedelta(seconds=round(time.perf_counter() - began, 3))

    async def work(session: AsyncSession) -> dict[str, Any]:
        if failure is not None:
            raise failure
        result = counts | (await apply(session) if apply is not None else {})
        await finish(session=session, kind=kind.value, key=key, status=SUCCEEDED,
                     counts=result, error=None, now=finished())  # fmt: skip
        return result

    try:
        await run_job(db=db, job=job, tick=key, work=work)
    except Exception as failed:
        error = str(failed)
        await db.write(
            lambda session: finish(session=session, kind=kind.value, key=key, status=FAILED,
                                   counts=counts, error=error, now=finished())
        )  # fmt: skip
        if failed is not failure:
            raise
