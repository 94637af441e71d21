"""Jobs for admins: asking for a recalculation. (Their state, their runs and pausing them only
run a service: ``resolvers.sessions``.)"""

from __future__ import annotations

from datetime import date, timedelta

from resolvers.connecteam import Triggered
from resolvers.context import Context
from services.errors import BadInput
from services.jobs import Job, write_tick

MAX_RECALCULATION = timedelta(days=366)


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
    return Triggered(Job.REFRESH_SCORES.value, tick, await ctx.jobs.recalculate(days, tick))
