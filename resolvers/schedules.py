"""A team's schedule, for its managers and admins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from db.models import ScheduledShift, Team
from resolvers.context import Context
from services import schedules
from services.errors import BadInput, Forbidden, NotFound
from services.users import UserRole

MAX_SCHEDULE = timedelta(days=62)


async def team_schedule(
    ctx: Context, team_id: int, start: date, end: date
) -> Sequence[ScheduledShift]:
    viewer = ctx.viewer
    if not (viewer.is_admin or (viewer.role is UserRole.MANAGER and team_id in viewer.team_ids)):
        raise Forbidden("a team's schedule is for its managers and admins")
    if start > end:
        raise BadInput("`from` must not be after `to`", field="from")
    if end - start >= MAX_SCHEDULE:
        raise BadInput("a schedule spans at most 62 days", field="to")
    if await ctx.loaders.by_id(Team).load(team_id) is None:
        raise NotFound("no such team", field="teamId")
    return await ctx.db.read(
        lambda session: schedules.team_schedule(
            session=session, team_id=team_id, start=start, end=end
        )
    )
