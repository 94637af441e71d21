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
    wanted: Wanted,
) -> LeaderboardPage:
    """A page and its ranks, whatever the page size: the page, then at once the ranks'
    aggregate and what the query asks of the entries' employees (``prefetch``)."""
    order = board.keyset
    request = page_request(ctx, order, first=first, after=after, last=last, before=before)
    rows, more = await ctx.db.read(
        lambda session: leaderboard.read_entries(
            session=session,
            board=board,
            limit=request.limit,
            after=request.after,
            backward=request.backward,
        )
    )
    # What the page's statement brought along, its fields need not ask for again.
    employees, scores = ctx.loaders.by_id(Employee), ctx.loaders.score_by_employee_date
    for row in rows:
        employees.prime(row.employee_id, row.Employee)
        if not board.summed:
            scores.prime((row.employee_id, board.start), row.DailyScore)
    found, _ = await asyncio.gather(
        ctx.db.read(lambda session: leaderboard.ranked(session=session, board=board, rows=rows)),
        prefetch(ctx, [row.Employee for row in rows], wanted),
    )
    page = cursored(ctx, order, request, found.standings, more)
    return LeaderboardPage(board, found.total, page)


@dataclass(frozen=True)
class Wanted:
    """What a page's query asks of each entry's employee, to load in bulk with the page."""

    team: bool = False
    score_days: frozenset[date] = frozenset()
    breakdown_days: frozenset[date] = frozenset()


async def prefetch(ctx: Context, employees: list[Employee], wanted: Wanted) -> None:
    """Load what the entries' employees will be asked for, all at once and concurrently, so
    that their fields answer from the request's loaders without awaiting, entry by entry."""
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
