"""Connecteam syncs. A sync marks its run RUNNING (``services.connecteam.runs``), reads
Connecteam outside any transaction, writes what it read, and records its run as SUCCEEDED in
``job_runs`` and ``sync_runs`` with its last writes. A run that fails records its failure,
with the reason, and the queue retries it from the start: what it had written is written again
as it was, so nothing is counted twice.

- ``sync_users`` writes in one transaction.
- ``sync_schedules`` writes in one transaction.
- ``sync_time_clock`` writes one work date per transaction (each day before or after, never
  half-synced, its scores refreshed with it), then records the run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SyncRun
from services.connecteam import runs
from services.connecteam.client import MAX_RANGE, ConnecteamClient, ConnecteamError, from_settings
from services.connecteam.clock_sync import DaySynced, apply_day, wanted_by_day
from services.connecteam.models import ScheduledShift
from services.connecteam.people import mapped_people
from services.connecteam.performance import day_kpis, push
from services.connecteam.schedule_sync import apply_schedules
from services.connecteam.time_clock import clock_records
from services.connecteam.users_sync import apply_users
from services.jobs import Job, run_job, skipped
from tasks.runtime import Runtime, current

log = logging.getLogger(__name__)

USERS, TIME_CLOCK, SCHEDULES = "USERS", "TIME_CLOCK", "SCHEDULES"
SCHEDULE_AHEAD = timedelta(days=14)
# An incremental run asks for users changed since the last successful run began, less this:
# a change made while that run was reading is read again, never missed.
OVERLAP = timedelta(hours=1)

Apply = Callable[[AsyncSession], Awaitable[dict[str, Any]]]
T = TypeVar("T")


async def sync_users(tick: str, full: bool = False) -> None:
    """Connecteam users into employees: changed ones since the last successful run, or all."""
    runtime, now = current(), current().instant(tick)
    since = None if full else await runtime.db.read(_last_success)
    client = await _begin(runtime, Job.SYNC_USERS, USERS, tick, None, now)
    if client is None:
        return
    modified_since = int((since - OVERLAP).timestamp()) if since is not None else None
    users, used = await _fetch(
        runtime, Job.SYNC_USERS, USERS, tick, now, client,
        lambda c: c.users(modified_since=modified_since),
    )  # fmt: skip

    async def apply(session: AsyncSession) -> dict[str, Any]:
        synced = asdict(await apply_users(session=session, users=users, now=now))
        return synced | used | {"modified_since": modified_since}

    await _record(runtime, Job.SYNC_USERS, USERS, tick, now, used, None, apply=apply)


async def sync_time_clock(tick: str, start: str | None = None, end: str | None = None) -> None:
    """Every time clock's shifts and breaks from ``start`` to ``end`` (work dates, both
    included, at most 31 days; by default yesterday and today in company time) into clock
    records. A backfill's chunk is its own run: its key is the tick and its first date."""
    runtime, now = current(), current().instant(tick)
    last = date.fromisoformat(end) if end else now.astimezone(runtime.settings.zone).date()
    first = date.fromisoformat(start) if start else last - timedelta(days=1)
    span, key = (first, last), runs.run_key(tick, first if start else None)
    client = await _begin(runtime, Job.SYNC_TIME_CLOCK, TIME_CLOCK, key, span, now)
    if client is None:
        return
    activities, used = await _fetch(
        runtime, Job.SYNC_TIME_CLOCK, TIME_CLOCK, key, now, client,
        lambda c: _time_activities(c, first, last),
    )  # fmt: skip
    records = clock_records(activities)
    people = await runtime.db.read(
        lambda session: mapped_people(session, runtime.settings.timezone)
    )
    by_day, unmapped = wanted_by_day(records.records, people)
    fetched = frozenset(r.shift_id for r in records.records)
    days = {first + timedelta(days=n) for n in range((last - first).days + 1)} | set(by_day)
    total, refreshed = DaySynced(), set[date]()
    try:
        for day in sorted(days):
            done = await _apply_day(
                runtime,
                lambda session, day=day: apply_day(  # type: ignore[misc]
                    session=session,
                    day=day,
                    wanted=by_day.get(day, []),
                    fetched_ids=fetched,
                    in_range=first <= day <= last,
                    people=people,
                    now=now,
                    idle_threshold=runtime.idle_threshold,
                    goal=runtime.settings.productivity_goal,
                ),
            )
            for name in ("created", "updated", "deleted", "kept_corrected", "redated"):
                setattr(total, name, getattr(total, name) + getattr(done, name))
            refreshed |= done.refreshed
    except Exception as failed:
        await _record(runtime, Job.SYNC_TIME_CLOCK, TIME_CLOCK, key, now, used, failed)
        raise
    counts: dict[str, Any] = {
        **used,
        "shifts": len(records.records),
        "unmapped": unmapped,
        "orphan_breaks": records.orphan_breaks,
        "created": total.created,
        "updated": total.updated,
        "deleted": total.deleted,
        "kept_corrected": total.kept_corrected,
        "redated": total.redated,
        "refreshed": sorted(d.isoformat() for d in refreshed),
    }
    await _record(runtime, Job.SYNC_TIME_CLOCK, TIME_CLOCK, key, now, counts, None)


async def _apply_day(
    runtime: Runtime, apply: Callable[[AsyncSession], Awaitable[DaySynced]]
) -> DaySynced:
    """One work date's transaction. Another sync of the same day (the 5-minute tick and a
    backfill, on two workers) may insert one of its new shifts first: the unique key refuses
    ours, and the day is read and applied once more in a new transaction, which finds the
    shift there instead of failing the whole run."""
    try:
        return await runtime.db.write(apply)
    except IntegrityError:
        log.info("sync_time_clock: a concurrent sync wrote the same shift; the day again")
        return await runtime.db.write(apply)


async def sync_schedules(tick: str, start: str | None = None, end: str | None = None) -> None:
    """Every scheduler's shifts that start from ``start`` to ``end`` (company dates, both
    included; by default today and the next 13 days) into scheduled shifts, deletions
    reconciled; one transaction."""
    runtime, now = current(), current().instant(tick)
    zone = runtime.settings.zone
    first = date.fromisoformat(start) if start else now.astimezone(zone).date()
    last = date.fromisoformat(end) if end else first + SCHEDULE_AHEAD - timedelta(days=1)
    span, key = (first, last), runs.run_key(tick, first if start else None)
    window = (
        datetime.combine(first, datetime.min.time(), zone),
        datetime.combine(last + timedelta(days=1), datetime.min.time(), zone),
    )
    client = await _begin(runtime, Job.SYNC_SCHEDULES, SCHEDULES, key, span, now)
    if client is None:
        return
    shifts, used = await _fetch(
        runtime, Job.SYNC_SCHEDULES, SCHEDULES, key, now, client,
        lambda c: _scheduled_shifts(c, window),
    )  # fmt: skip

    async def apply(session: AsyncSession) -> dict[str, Any]:
        people = await mapped_people(session, runtime.settings.timezone)
        synced = await apply_schedules(
            session=session, shifts=shifts, window=window, people=people, now=now
        )
        return asdict(synced)

    await _record(runtime, Job.SYNC_SCHEDULES, SCHEDULES, key, now, used, None, apply=apply)


async def push_performance(work_date: str, tick: str) -> None:
    """A finalized day's KPIs to Connecteam, when ``PRODHUB_CONNECTEAM_PERFORMANCE_INDICATORS``
    names where (off by default); a day not final yet fails, and is retried."""
    runtime, day = current(), date.fromisoformat(work_date)
    key = f"{tick}/{work_date}"
    indicators = runtime.settings.connecteam_performance_indicators
    client = from_settings(runtime.settings)
    if client is None or not indicators:

        async def off(session: AsyncSession) -> dict[str, Any]:
            return {"pushed": False, "configured": client is not None}

        if client is not None:
            await client.aclose()
        await run_job(db=runtime.db, job=Job.PUSH_PERFORMANCE, tick=key, work=off)
        return
    if await skipped(runtime.db, Job.PUSH_PERFORMANCE, key):
        await client.aclose()
        return
    failure: Exception | None = None
    async with client:
        try:
            kpis = await runtime.db.read(
                lambda session: day_kpis(session=session, work_date=day, indicators=indicators)
            )
            pushed = await push(client, day, kpis)
        except Exception as failed:  # recorded as the run's failure below, then retried
            failure = failed
        used = client.usage()

    async def record(session: AsyncSession) -> dict[str, Any]:
        if failure is not None:
            raise failure
        return asdict(pushed) | used

    await run_job(db=runtime.db, job=Job.PUSH_PERFORMANCE, tick=key, work=record)


async def _scheduled_shifts(
    client: ConnecteamClient, window: tuple[datetime, datetime]
) -> list[ScheduledShift]:
    """Every active scheduler's shifts that start in ``window``."""
    found: list[ScheduledShift] = []
    for scheduler in await client.schedulers():
        if not scheduler.is_archived:
            found += await client.scheduled_shifts(
                scheduler.scheduler_id, *(int(t.timestamp()) for t in window)
            )
    return found


async def _begin(
    runtime: Runtime,
    job: str,
    kind: str,
    key: str,
    span: tuple[date, date] | None,
    now: datetime,
) -> ConnecteamClient | None:
    """The client of a run that goes ahead, marked RUNNING; None when Connecteam is not
    configured (recorded as such) or the run is done or its job paused."""
    client = from_settings(runtime.settings)
    if client is None:
        await _not_configured(runtime, job, key)
        return None
    if await skipped(runtime.db, job, key):
        await client.aclose()
        return None
    await _start(runtime, kind, key, span, now)
    return client


async def _fetch(
    runtime: Runtime,
    job: str,
    kind: str,
    key: str,
    now: datetime,
    client: ConnecteamClient,
    read: Callable[[ConnecteamClient], Awaitable[T]],
) -> tuple[T, dict[str, int]]:
    """What ``read`` gets from Connecteam, and the calls and pages it took; a failure is
    recorded as the run's, and raised for the queue to retry."""
    async with client:
        try:
            found = await read(client)
        except ConnecteamError as failed:
            await _record(runtime, job, kind, key, now, client.usage(), failed)
            raise
        return found, client.usage()


async def _time_activities(client: ConnecteamClient, first: date, last: date) -> list[Any]:
    """Every active time clock's activities, in requests of at most 31 days."""
    found: list[Any] = []
    for clock in await client.time_clocks():
        if clock.is_archived:
            continue
        start = first
        while start <= last:
            end = min(last, start + MAX_RANGE - timedelta(days=1))
            found += await client.time_activities(clock.id, start, end)
            start = end + timedelta(days=1)
    return found


async def _not_configured(runtime: Runtime, job: str, tick: str) -> None:
    async def nothing(session: AsyncSession) -> dict[str, Any]:
        return {"configured": False}

    log.info("%s: Connecteam is not configured (PRODHUB_CONNECTEAM_API_KEY)", job)
    await run_job(db=runtime.db, job=job, tick=tick, work=nothing)


async def _start(
    runtime: Runtime, kind: str, key: str, span: tuple[date, date] | None, now: datetime
) -> None:
    await runtime.db.write(
        lambda session: runs.start(session=session, kind=kind, key=key, span=span, now=now)
    )


async def _record(
    runtime: Runtime,
    job: str,
    kind: str,
    key: str,
    now: datetime,
    counts: dict[str, Any],
    failure: Exception | None,
    *,
    apply: Apply | None = None,
) -> None:
    """The run's end, in ``job_runs`` and ``sync_runs``: SUCCEEDED with ``apply``'s writes and
    counts in the same transaction, or FAILED with the reason (``failure``, or what ``apply``
    raised) in a transaction of its own."""
    began = time.perf_counter()

    def finished() -> datetime:
        return now + timedelta(seconds=round(time.perf_counter() - began, 3))

    async def work(session: AsyncSession) -> dict[str, Any]:
        if failure is not None:
            raise failure
        result = counts | (await apply(session) if apply is not None else {})
        await runs.finish(session=session, kind=kind, key=key, status=runs.SUCCEEDED,
                          counts=result, error=None, now=finished())  # fmt: skip
        return result

    try:
        await run_job(db=runtime.db, job=job, tick=key, work=work)
    except Exception as failed:
        error = str(failed)
        await runtime.db.write(
            lambda session: runs.finish(session=session, kind=kind, key=key, status=runs.FAILED,
                                        counts=counts, error=error, now=finished())
        )  # fmt: skip
        if failed is not failure:
            raise


async def _last_success(session: AsyncSession) -> datetime | None:
    found: datetime | None = await session.scalar(
        select(SyncRun.started_at)
        .where(SyncRun.kind == USERS, SyncRun.status == "SUCCEEDED")
        .order_by(SyncRun.started_at.desc())
        .limit(1)
    )
    return found
