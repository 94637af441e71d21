"""Employee reads (one by id, the list, per-employee field helpers) and the leaderboard
choice. (An admin's upsert only runs a service: ``resolvers.sessions``.)"""

from __future__ import annotations

from datetime import date, timedelta

from db.models import Employee, Team
from resolvers.context import Context
from resolvers.pagination import Page, forward_page, page_of
from services import employees as employee_service
from services.errors import BadInput
from services.workdate import local_date, seconds_until_tomorrow

MAX_SEARCH_LENGTH = 100
MAX_SCORE_RANGE = timedelta(days=366)


async def visible_employee(ctx: Context, db_id: int) -> Employee | None:
    """The employee, if the viewer may see them: to anyone else, one that does not exist."""
    row = await ctx.loaders.by_id(Employee).load(db_id)
    if row is None or not ctx.viewer.may_see_employee(row.id, row.team_id):
        return None
    return row


async def employee_page(
    ctx: Context,
    *,
    first: int | None,
    after: str | None,
    team_id: int | None,
    search: str | None,
    include_inactive: bool,
) -> Page[Employee]:
    order = employee_service.EMPLOYEE_ORDER
    request = forward_page(ctx, order, first, after)
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        raise BadInput(f"`search` is longer than {MAX_SEARCH_LENGTH} characters")
    rows = await ctx.db.read(
        lambda session: employee_service.list_employees(
            session=session,
            viewer=ctx.viewer,
            limit=request.limit + 1,
            after=request.after,
            team_id=team_id,
            search=search or None,
            include_inactive=include_inactive,
        )
    )
    ctx.loaders.by_id(Employee).prime_rows(rows)
    return page_of(ctx, order, request, rows)


async def work_date(ctx: Context, team_id: int | None, day: date | None) -> date:
    """The given day, or today in the employee's team timezone (company timezone if none);
    an answer about "today" is cached until that day ends at most."""
    if day is not None:
        return day
    team = await ctx.loaders.by_id(Team).load(team_id) if team_id is not None else None
    zone = team.timezone if team else ctx.settings.timezone
    ctx.limit_max_age(seconds_until_tomorrow(ctx.now, zone))
    return local_date(ctx.now, zone)


def score_range(start: date, end: date) -> tuple[date, date]:
    if start > end:
        raise BadInput("`from` must not be after `to`")
    if end - start > MAX_SCORE_RANGE:
        raise BadInput("a score range spans at most 366 days")
    return start, end


async def set_leaderboard_opt_out(ctx: Context, employee_id: int | None, opt_out: bool) -> Employee:
    """The viewer's own choice, or (admins) an employee's."""
    chosen = employee_id if employee_id is not None else ctx.viewer.employee_id
    if chosen is None:
        raise BadInput("you have no employee record: name one with `employeeId`")
    return await ctx.db.write(
        lambda session: employee_service.set_leaderboard_opt_out(
            session=session, actor=ctx.viewer, employee_id=chosen, opt_out=opt_out
        )
    )
