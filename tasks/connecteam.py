"""Connecteam syncs. Each runs inside ``services.connecteam.runs.sync_run``, which records the
run (RUNNING, then SUCCEEDED or FAILED, in ``job_runs`` and ``sync_runs``): it reads
Connecteam outside any transaction, then writes what it read.

- ``sync_users`` writes in one transaction, with its run's record.
- ``sync_schedules`` writes in one transaction, with its run's record.
- ``sync_time_clock`` writes one work date per transaction, then records the run.
- ``push_performance`` pushes a finalized day's KPIs (``services.connecteam.performance``).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.connecteam import plans, runs
from services.connecteam.people import mapped_people
from services.connecteam.performance import push_day
from services.connecteam.runs import SyncKind
from services.connecteam.schedule_sync import apply_schedules
from services.connecteam.time_clock_days import write_days
from services.connecteam.users_sync import apply_users
from tasks.runtime import Runtime, current

# An incremental run asks for users changed since the last successful run began, less this:
# a change made while that run was reading is read again, never missed.
OVERLAP = timedelta(hours=1)


async def sync_users(tick: str, full: bool = False) -> None:
    """Connecteam users into employees: changed ones since the last successful run, or all."""
    runtime, now = current(), current().instant(tick)
    since = None if full else await runtime.db.read(
        lambda session: runs.last_success(session=session, kind=SyncKind.USERS)
    )  # fmt: skip
    modified_since = int((since - OVERLAP).timestamp()) if since is not None else None
    async with _run(runtime, SyncKind.USERS, tick, None, now) as run:
        if run is None:
            return
        users = await run.read(lambda client: client.users(modified_since=modified_since))

        async def apply(session: AsyncSession) -> dict[str, Any]:
            synced = await apply_users(session=session, users=users, now=now)
            return asdict(synced) | {"modified_since": modified_since}

        run.apply = apply


async def sync_time_clock(tick: str, start: str | None = None, end: str | None = None) -> None:
    """Every time clock's shifts and breaks from ``start`` to ``end`` (work dates, both
    included, at most 31 days; by default yesterday and today in company time) into clock
    records. A backfill's chunk is its own run: its key is the tick and its first date."""
    runtime, now = current(), current().instant(tick)
    first, last = plans.span(SyncKind.TIME_CLOCK, _today(runtime, now), _day(start), _day(end))
    key = runs.run_key(tick, first if start else None)
    async with _run(runtime, SyncKind.TIME_CLOCK, key, (first, last), now) as run:
        if run is None:
            return
        activities = await run.read(lambda client: client.every_time_activity(first, last))
        run.counts |= await write_days(
            db=runtime.db,
            activities=activities,
            first=first,
            last=last,
            now=now,
            company_timezone=runtime.settings.timezone,
            idle_threshold=runtime.idle_threshold,
            goal=runtime.settings.productivity_goal,
        )


async def sync_schedules(tick: str, start: str | None = None, end: str | None = None) -> None:
    """Every scheduler's shifts that start from ``start`` to ``end`` (company dates, both
    included; by default today and the next 13 days) into scheduled shifts, deletions
    reconciled; one transaction."""
    runtime, now = current(), current().instant(tick)
    first, last = plans.span(SyncKind.SCHEDULES, _today(runtime, now), _day(start), _day(end))
    key = runs.run_key(tick, first if start else None)
    zone = runtime.settings.zone
    window = (
        datetime.combine(first, datetime.min.time(), zone),
        datetime.combine(last + timedelta(days=1), datetime.min.time(), zone),
    )
    async with _run(runtime, SyncKind.SCHEDULES, key, (first, last), now) as run:
        if run is None:
            return
        shifts = await run.read(lambda client: client.every_scheduled_shift(window))

        async def apply(session: AsyncSession) -> dict[str, Any]:
            people = await mapped_people(session, runtime.settings.timezone)
            synced = await apply_schedules(
                session=session, shifts=shifts, window=window, people=people, now=now
            )
            return asdict(synced)

        run.apply = apply


async def push_performance(work_date: str, tick: str) -> None:
    """A finalized day's KPIs to Connecteam, when ``PRODHUB_CONNECTEAM_PERFORMANCE_INDICATORS``
    names where (off by default); a day not final yet fails, and is retried."""
    runtime = current()
    await push_day(db=runtime.db, settings=runtime.settings,
                   work_date=date.fromisoformat(work_date), key=f"{tick}/{work_date}")  # fmt: skip


def _run(
    runtime: Runtime, kind: SyncKind, key: str, span: tuple[date, date] | None, now: datetime
) -> AbstractAsyncContextManager[runs.Running | None]:
    return runs.sync_run(
        db=runtime.db, settings=runtime.settings, kind=kind, key=key, span=span, now=now
    )


def _today(runtime: Runtime, now: datetime) -> date:
    return now.astimezone(runtime.settings.zone).date()


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
