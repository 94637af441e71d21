"""Connecteam for admins: asking for a sync. (Listing the users waiting for a mapping,
mapping one and listing the syncs' runs only run a service: ``resolvers.sessions``.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from resolvers.context import Context
from services.connecteam import plans, runs
from services.connecteam.runs import SyncKind
from services.errors import JobsOff, UserError
from services.jobs import write_tick


class NotConfigured(UserError):
    code = "NOT_CONFIGURED"


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
