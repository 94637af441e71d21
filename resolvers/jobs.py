"""Jobs for admins: their state, their runs, pausing them, and asking for a recalculation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from db.models import JobControl, JobRun
from resolvers.connecteam import Triggered
from resolvers.context import Context
from resolvers.pagination import Page, forward_page, page_of
from services import jobs
from services.errors import BadInput
from services.jobs import write_tick

MAX_RECALCULATION = timedelta(days=366)
RECALCULATION_JOB = "refresh_scores"  # the actor ``Jobs.recalculate`` sends each day to


async def job_states(ctx: Context) -> list[tuple[str, bool, JobRun | None]]:
    return await ctx.db.read(lambda session: jobs.job_states(session=session))


async def job_runs(
    ctx: Context, job: str | None, first: int | None, after: str | None
) -> Page[JobRun]:
    request = forward_page(ctx, jobs.JOB_RUN_ORDER, first, after)
    rows: Sequence[JobRun] = await ctx.db.read(
        lambda session: jobs.list_runs(
            session=session, job=job, limit=request.limit + 1, after=request.after
        )
    )
    return page_of(ctx, jobs.JOB_RUN_ORDER, request, rows)


async def set_paused(ctx: Context, job: str, paused: bool) -> JobControl:
    return await ctx.db.write(
        lambda session: jobs.set_paused(session=session, actor=ctx.viewer, job=job, paused=paused)
    )


async def recalculate(ctx: Context, start: date, end: date) -> Triggered:
    """Every day from ``start`` to ``end`` scored again by the worker, none after today in the
    company's timezone (a day not begun has nothing to score); the job and its tick."""
    if start > end:
        raise BadInput("`from` must not be after `to`", field="from")
    if end - start > MAX_RECALCULATION:
        raise BadInput("a recalculation spans at most 366 days", field="to")
    today = ctx.now.astimezone(ctx.settings.zone).date()
    for name, day in (("from", start), ("to", end)):
        if day > today:
            raise BadInput(f"`{name}` is after today, {today.isoformat()}", field=name)
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
    tick = write_tick(ctx.now)
    return Triggered(RECALCULATION_JOB, tick, await ctx.jobs.recalculate(days, tick))
