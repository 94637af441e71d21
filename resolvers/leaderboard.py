"""The leaderboard: which board a request means, and one page of it with ranks."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Any

from db.models import Employee, Team
from resolvers.context import Context
from resolvers.employees import score_range, work_date
from resolvers.pagination import Page, cursored, page_request
from services import leaderboard
from services.leaderboard import Board, Metric, Standing


@dataclass(frozen=True)
class LeaderboardPage:
    board: Board
    total: int
    page: Page[Standing]


async def board_of(
    ctx: Context, *, start: date | None, end: date | None, team_id: int | None, metric: Metric
) -> Board:
    """``from``/``to`` as given; a missing ``to`` is ``from``, and with neither the board is
    today's (in the team's timezone, or the company's)."""
    end = end or start or await work_date(ctx, team_id, None)
    start, end = score_range(start or end, end)
    return Board(start=start, end=end, metric=metric, team_id=team_id)


async def leaderboard_page(
    ctx: Context,
    board: Board,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> LeaderboardPage:
    """A page and its ranks: two statements on one connection, whatever the page size."""
    order = board.keyset
    request = page_request(ctx, order, first=first, after=after, last=last, before=before)
    found = await ctx.db.read(
        lambda session: leaderboard.read_page(
            session=session,
            board=board,
            limit=request.limit,
            after=request.after,
            backward=request.backward,
        )
    )
    # What the page's statement brought along, its fields need not ask for again.
    employees, scores = ctx.loaders.by_id(Employee), ctx.loaders.score_by_employee_date
    for standing in found.standings:
        if standing.employee is not None:
            employees.prime(standing.employee_id, standing.employee)
        if standing.score is not None:
            scores.prime((standing.employee_id, board.start), standing.score)
    page = cursored(ctx, order, request, found.standings, found.more)
    return LeaderboardPage(board, found.total, page)


@dataclass(frozen=True)
class Wanted:
    """What a page's query asks of each entry's employee, to load in bulk with the page."""

    team: bool = False
    score_days: frozenset[date] = frozenset()
    breakdown_days: frozenset[date] = frozenset()


async def prefetch(ctx: Context, found: LeaderboardPage, wanted: Wanted) -> None:
    """Load what the entries' employees will be asked for, all at once and concurrently, so
    that their fields answer from the request's loaders without awaiting, entry by entry."""
    employees = [s.employee for _, s in found.page.rows if s.employee is not None]
    loads: list[Any] = []
    if wanted.team:
        teams = {e.team_id for e in employees if e.team_id is not None}
        loads.append(ctx.loaders.by_id(Team).load_many(sorted(teams)))
    for day in wanted.score_days:
        loads.append(ctx.loaders.score_by_employee_date.load_many([(e.id, day) for e in employees]))
    for day in wanted.breakdown_days:
        keys = [(e.id, day) for e in employees]
        loads.append(ctx.loaders.role_totals_by_employee_date.load_many(keys))
    if loads:
        await asyncio.gather(*loads)
