"""Connecteam for admins: users waiting for a mapping and mapping one, asking for a sync,
and the runs of the syncs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from db.models import ConnecteamUser, Employee, SyncRun
from resolvers.context import Context
from resolvers.pagination import Page, forward_page, page_of
from services.connecteam import roster, runs
from services.connecteam.client import MAX_RANGE
from services.connecteam.runs import SyncKind
from services.errors import BadInput, JobsOff, UserError
from services.jobs import write_tick


class NotConfigured(UserError):
    code = "NOT_CONFIGURED"


async def listed_users(ctx: Context) -> Sequence[ConnecteamUser]:
    return await ctx.db.read(lambda session: roster.listed_users(session=session))


async def map_employee(ctx: Context, employee_id: int, user_id: str) -> Employee:
    return await ctx.db.write(
        lambda session: roster.map_employee(
            session=session, actor=ctx.viewer, employee_id=employee_id, user_id=user_id
        )
    )


MAX_BACKFILL = timedelta(days=366)
MAX_SCHEDULE_WINDOW = timedelta(days=92)
SCHEDULE_AHEAD = timedelta(days=14)


@dataclass(frozen=True)
class Triggered:
    job: str
    tick: str
    enqueued: int


async def trigger_sync(
    ctx: Context, kind: SyncKind, start: date | None, end: date | None
) -> Triggered:
    """Queue a sync now: a full users sync; the time clock over a range (by default yesterday
    and today) in chunks of at most 31 days; the schedules over a window (by default the next
    14 days). Refused while one of the kind is
    queued or running, without Connecteam, or without a worker."""
    if ctx.settings.connecteam_api_key is None:
        raise NotConfigured("Connecteam is not configured: set PRODHUB_CONNECTEAM_API_KEY")
    if not ctx.jobs.running:
        raise JobsOff()
    tick = write_tick(ctx.now)
    messages: list[tuple[Any, ...]]
    if kind is SyncKind.USERS:
        if start is not None or end is not None:
            raise BadInput("a users sync reads every user: it takes no range", field="from")
        planned, messages = [runs.Planned(tick)], [(tick, True)]  # a full run
    elif kind is SyncKind.TIME_CLOCK:
        today = ctx.now.astimezone(ctx.settings.zone).date()
        last = end or today
        first = start or min(last, today) - timedelta(days=1)
        if first > last:
            raise BadInput("`from` must not be after `to`", field="from")
        if last - first >= MAX_BACKFILL:
            raise BadInput("a time-clock sync spans at most 366 days", field="to")
        chunks = []
        while first <= last:
            chunk_end = min(last, first + MAX_RANGE - timedelta(days=1))
            chunks.append((first, chunk_end))
            first = chunk_end + timedelta(days=1)
        planned = [runs.Planned(runs.run_key(tick, a), a, b) for a, b in chunks]
        messages = [(tick, a.isoformat(), b.isoformat()) for a, b in chunks]
    else:  # SCHEDULES: one run (a window of shifts is read and reconciled at once)
        first = start or ctx.now.astimezone(ctx.settings.zone).date()
        last = end or first + SCHEDULE_AHEAD - timedelta(days=1)
        if first > last:
            raise BadInput("`from` must not be after `to`", field="from")
        if last - first >= MAX_SCHEDULE_WINDOW:
            raise BadInput("a schedules sync spans at most 92 days", field="to")
        planned = [runs.Planned(runs.run_key(tick, first), first, last)]
        messages = [(tick, first.isoformat(), last.isoformat())]
    await ctx.db.write(
        lambda session: runs.queue(session=session, kind=kind, runs=planned, now=ctx.now)
    )
    job = runs.JOB_OF[kind]
    try:
        sent = await ctx.jobs.sync(job, messages)
    except Exception:  # the queue is down: these runs will not happen
        keys = [p.key for p in planned]
        await ctx.db.write(
            lambda session: runs.abandon(session=session, kind=kind, keys=keys, now=ctx.now)
        )
        raise
    return Triggered(job.value, tick, sent)


async def sync_runs(
    ctx: Context, kind: SyncKind | None, first: int | None, after: str | None
) -> Page[SyncRun]:
    request = forward_page(ctx, runs.SYNC_RUN_ORDER, first, after)
    rows: Sequence[SyncRun] = await ctx.db.read(
        lambda session: runs.list_runs(
            session=session,
            kind=kind.value if kind else None,
            limit=request.limit + 1,
            after=request.after,
        )
    )
    return page_of(ctx, runs.SYNC_RUN_ORDER, request, rows)


async def latest_syncs(ctx: Context) -> list[SyncRun]:
    return await ctx.db.read(lambda session: runs.latest(session=session))
