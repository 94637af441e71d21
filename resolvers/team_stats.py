"""Team overviews, team metrics and analytics: which teams and employees the viewer may ask
about, and the reads."""

from __future__ import annotations

from datetime import date

from db.models import Employee, Team
from resolvers import sessions
from resolvers.context import Context
from resolvers.employees import score_range, work_date
from services import analytics, team_stats
from services import teams as team_service
from services.analytics import Breakdown, Grouping, Report, Scope
from services.errors import Forbidden, NotFound
from services.team_stats import TeamDay, TeamMetrics
from services.users import UserRole


async def visible_teams(ctx: Context) -> list[Team]:
    """Admins: every team; managers: theirs; employees: none (their own data is theirs)."""
    viewer = ctx.viewer
    if viewer.role is UserRole.EMPLOYEE:
        raise Forbidden("team statistics are for managers and admins")
    every = await sessions.listed(ctx, team_service.list_teams, Team)
    return [t for t in every if viewer.is_admin or t.id in viewer.team_ids]


async def team_overviews(ctx: Context, day: date) -> list[tuple[Team, TeamDay]]:
    teams = await visible_teams(ctx)
    days = await ctx.db.read(
        lambda session: team_stats.team_days(
            session=session, team_ids=[t.id for t in teams], work_date=day, now=ctx.now
        )
    )
    return list(zip(teams, days, strict=True))


async def metrics(ctx: Context, team_id: int, day: date | None) -> tuple[Team, TeamMetrics]:
    viewer = ctx.viewer
    if not (viewer.is_admin or (viewer.role is UserRole.MANAGER and team_id in viewer.team_ids)):
        raise Forbidden("team metrics are for the team's managers and admins")
    team = await ctx.loaders.by_id(Team).load(team_id)
    if team is None:
        raise NotFound("no such team", field="teamId")
    chosen = await work_date(ctx, team_id, day)
    found = await ctx.db.read(
        lambda session: team_stats.team_metrics(
            session=session, team_id=team_id, work_date=chosen, now=ctx.now
        )
    )
    return team, found


async def analytics_report(
    ctx: Context,
    *,
    start: date,
    end: date,
    team_id: int | None,
    employee_id: int | None,
    grouping: Grouping,
    breakdown: Breakdown,
) -> Report:
    """Sums the viewer may see: admins anything, managers their teams, employees their own."""
    start, end = score_range(start, end)
    viewer = ctx.viewer
    if employee_id is not None:
        employee = await ctx.loaders.by_id(Employee).load(employee_id)
        if employee is None or not viewer.may_see_employee(employee.id, employee.team_id):
            raise Forbidden("that employee's analytics are not yours to see")
    elif viewer.role is UserRole.EMPLOYEE:
        employee_id = viewer.employee_id or 0
    if team_id is not None and not (viewer.is_admin or team_id in viewer.team_ids):
        raise Forbidden("that team's analytics are not yours to see")
    teams: tuple[int, ...] | None = None
    if team_id is not None:
        teams = (team_id,)
    elif viewer.role is UserRole.MANAGER and employee_id is None:
        teams = tuple(sorted(viewer.team_ids))
    scope = Scope(employee_id=employee_id, team_ids=teams)
    return await ctx.db.read(
        lambda session: analytics.report(
            session=session,
            start=start,
            end=end,
            grouping=grouping,
            breakdown=breakdown,
            scope=scope,
        )
    )
