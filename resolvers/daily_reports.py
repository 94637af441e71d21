"""Daily reports for a team's managers and admins: as GraphQL fields, and as CSV."""

from __future__ import annotations

from datetime import date

from db.models import DailyReport, Employee, Role, Team
from resolvers import sessions
from resolvers.context import Context
from services import daily_reports
from services import teams as team_service
from services.authentication import Viewer
from services.errors import Forbidden, NotFound
from services.gamification import ANONYMOUS_NAME, named_to
from services.users import UserRole


async def daily_report(ctx: Context, team_id: int, day: date) -> tuple[Team, DailyReport | None]:
    viewer = ctx.viewer
    if not (viewer.is_admin or (viewer.role is UserRole.MANAGER and team_id in viewer.team_ids)):
        raise Forbidden("a team's daily report is for its managers and admins")
    team = await ctx.loaders.by_id(Team).load(team_id)
    if team is None:
        raise NotFound("no such team", field="teamId")
    report = await ctx.db.read(
        lambda session: daily_reports.report_of(session=session, team_id=team_id, work_date=day)
    )
    return team, report


async def team_id_by_key(ctx: Context, key: str) -> int | None:
    """The id of the team with this key, if any (teams are few: their list, which the loader
    keeps, so the report reads no team again)."""
    every = await sessions.listed(ctx, team_service.list_teams, Team)
    return next((team.id for team in every if team.key == key), None)


async def daily_report_csv(ctx: Context, team_id: int, day: date) -> tuple[Team, str]:
    team, report = await daily_report(ctx, team_id, day)
    if report is None:
        raise NotFound(f"no report of {day} for this team (reports are built after 18:30)")
    ids = [p["employee_id"] for p in report.content["top_performers"]]
    people = await ctx.loaders.by_id(Employee).load_many(ids)
    names = {p.id: _as_seen(ctx.viewer, p) for p in people if p is not None}
    roles = await ctx.loaders.by_id(Role).load_many(
        [b["role_id"] for b in report.content["bottlenecks"]]
    )
    keys = {r.id: r.key for r in roles if r is not None}
    return team, daily_reports.as_csv(report, names, keys)


def _as_seen(viewer: Viewer, employee: Employee) -> tuple[str, str]:
    """The code and name of a top performer as the reader may see them."""
    if not named_to(viewer, employee):
        return "", ANONYMOUS_NAME
    code = employee.code if viewer.may_see_employee(employee.id, employee.team_id) else ""
    return code, employee.name
