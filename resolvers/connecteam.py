"""Connecteam for admins: users waiting for a mapping and mapping one, asking for a sync,
and the runs of the syncs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from db.models import ConnecteamUser, Employee, SyncRun
from resolvers.context import Context
from resolvers.pagination import Page, forward_page, page_of
from services.connecteam import plans, roster, runs
from services.connecteam.runs import SyncKind
from services.errors import JobsOff, UserError
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
    14 days) (``services.connecteam.plans``). Refused while one of the kind is queued or
    running, without Connecteam, or without a worker."""
    if ctx.settings.connecteam_api_key is None:
        raise NotConfigured("Connecteam is not configured: set PRODHUB_CONNECTEAM_API_KEY")
    if not ctx.jobs.running:
        raise JobsOff()
    tick = write_tick(ctx.now)
    today = ctx.now.astimezone(ctx.settings.zone).date()
    planned = plans.plan(kind, tick, today, start, end)
    await ctx.db.write(
        lambda session: runs.queue(session=session, kind=kind, runs=planned, now=ctx.now)
    )
    job = runs.JOB_OF[kind]
    try:
        sent = await ctx.jobs.sync(job, [p.args for p in planned])
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
