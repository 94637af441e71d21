"""An employee's activities, page by page; and recording them."""

from __future__ import annotations

from datetime import datetime, timedelta

from db.models import Activity
from loaders.activities import ACTIVITY_ORDER, ActivityPageByEmployeeLoader, ActivityPageKey
from resolvers.context import Context
from resolvers.pagination import Page, forward_page, page_of
from services import activities
from services.activities import ActivityIn, Recorded
from services.errors import BadInput


async def activity_page(
    ctx: Context,
    employee_id: int,
    *,
    start: datetime | None,
    end: datetime | None,
    first: int | None,
    after: str | None,
) -> Page[Activity]:
    request = forward_page(ctx, ACTIVITY_ORDER, first, after)
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.utcoffset() is None:
            raise BadInput(f"`{name}` needs a UTC offset, e.g. 2026-11-22T10:05:00Z")
    if start is not None and end is not None and start >= end:
        raise BadInput("`from` must be before `to`")
    key = ActivityPageKey(employee_id, start, end, request.limit, request.after)
    rows = await ctx.loaders.of(ActivityPageByEmployeeLoader).load(key)
    return page_of(ctx, ACTIVITY_ORDER, request, rows)


async def record_activities(ctx: Context, items: list[ActivityIn]) -> Recorded:
    """Store the items in one transaction (devices' items are marked ``scanner``), then have
    the days they landed on refreshed shortly."""
    source = "scanner" if ctx.viewer.is_device else "admin"
    recorded = await ctx.db.write(
        lambda session: activities.record_activities(
            session=session,
            items=items,
            now=ctx.now,
            company_timezone=ctx.settings.timezone,
            future_tolerance=timedelta(minutes=ctx.settings.future_tolerance_minutes),
            source=source,
        )
    )
    if recorded.accepted:  # after the commit: the refresh must see the new rows
        await ctx.jobs.refresh_soon({day for _, day in recorded.days}, ctx.now)
    return recorded
