"""A team's schedule and staffing plan, for its managers and admins; an employee reads their
own shifts in the schedule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from db.models import ScheduledShift, Team
from resolvers.context import Context
from services.errors import BadInput, Forbidden, NotFound
from services.staffing import plan, shifts
from services.staffing.plan import StaffingHour
from services.users import UserRole

MAX_SCHEDULE = timedelta(days=62)


def _staff(ctx: Context, team_id: int) -> bool:
    viewer = ctx.viewer
    return viewer.is_admin or (viewer.role is UserRole.MANAGER and team_id in viewer.team_ids)


async def _team(ctx: Context, team_id: int, what: str) -> Team:
    if not _staff(ctx, team_id):
        raise Forbidden(f"a team's {what} is for its managers and admins")
    return await _existing(ctx, team_id)


async def _existing(ctx: Context, team_id: int) -> Team:
    team = await ctx.loaders.by_id(Team).load(team_id)
    if team is None:
        raise NotFound("no such team", field="teamId")
    return team


async def team_schedule(
    ctx: Context, team_id: int, start: date, end: date
) -> Sequence[ScheduledShift]:
    if start > end:
        raise BadInput("`from` must not be after `to`", field="from")
    if end - start >= MAX_SCHEDULE:
        raise BadInput("a schedule spans at most 62 days", field="to")
    own: int | None = None  # the team's managers and admins see every shift
    if not _staff(ctx, team_id):
        own = ctx.viewer.employee_id if ctx.viewer.role is UserRole.EMPLOYEE else None
        if own is None:
            raise Forbidden(
                "a team's schedule is for its managers and admins (employees: their own shifts)"
            )
    await _existing(ctx, team_id)
    return await ctx.db.read(
        lambda session: shifts.team_schedule(
            session=session, team_id=team_id, start=start, end=end, employee_id=own
        )
    )


async def staffing_plan(ctx: Context, team_id: int, day: date) -> list[StaffingHour]:
    team = await _team(ctx, team_id, "staffing plan")
    return await ctx.db.read(
        lambda session: plan.staffing_plan(
            session=session, team_id=team_id, day=day, timezone=team.timezone
        )
    )
