"""The leaderboard: which board a request means, and one page of it with ranks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import date
from typing import Any

from db.models import Employee, Team
from loaders.activities import RoleTotalsByEmployeeDateLoader
from loaders.scores import ScoreByEmployeeDateLoader
from resolvers.context import Context
from resolvers.employees import score_range, work_date
from resolvers.pagination import Page, cursored, page_request
from services import leaderboard
from services.errors import BadInput, Forbidden
from services.leaderboard import Board, Metric, Standing


@dataclass(frozen=True)
class LeaderboardPage:
    board: Board
    total: int
    page: Page[Standing]


async def board_of(
    ctx: Context, *, start: date | None, end: date | None, team_id: int | None, metric: Metric
) -> Board:
    """``from``/``to`` as given; a missing ``to`` is today (in the team's timezone, or the
    company's), and a missing ``from`` is ``to``: with neither, the board is today's. A DISPLAY
    key's board is its team's: without ``teamId`` that one, with another team's refused."""
    shown = ctx.viewer.display_team_id
    if shown is not None:
        if team_id not in (None, shown):
            raise Forbidden("a DISPLAY key shows its own team's leaderboard only")
        team_id = shown
    if end is None:
        end = await work_date(ctx, team_id, None)
        if start is not None and start > end:
            raise BadInput(f"`from` is after today ({end}), the default `to`", field="from")
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
    """A page and its ranks, whatever the page size. The page (with its employees and, as the
    query asks, their teams and the day's scores), the breakdowns the query asks of its
    employees (through the page's own derived table) and, for a page read forwards, the
    aggregate its ranks follow from (it needs only the cursor) are read at the same time; then
    the scores of other days (``prefetch``), and for a page read backwards its ranks,
    alongside each other."""
    order = board.keyset
    request = page_request(ctx, order, first=first, after=after, last=last, before=before)
    page = leaderboard.PageOf(board, request.limit, request.after, request.backward)
    totals = ctx.loaders.of(RoleTotalsByEmployeeDateLoader)
    days = set(wanted.breakdown_days)
    with_score = not board.summed and board.start in wanted.score_days
    reads: list[Awaitable[Any]] = [
        ctx.db.read(
            lambda session: leaderboard.read_entries(
                session=session, page=page, with_team=wanted.team, with_score=with_score
            )
        )
    ]
    if not request.backward:
        reads.append(ctx.db.read(lambda session: leaderboard.position(session=session, page=page)))
    if days:
        reads.append(totals.read_for(page.entries(), page.params, days, board.dates))
    (rows, more), *read = await asyncio.gather(*reads)
    position: leaderboard.Position | None = None if request.backward else read.pop(0)
    # What the page's statements brought along, its fields need not ask for again.
    employees, scores = ctx.loaders.by_id(Employee), ctx.loaders.of(ScoreByEmployeeDateLoader)
    teams = ctx.loaders.by_id(Team)
    for row in rows:
        employees.prime(row.employee_id, row.Employee)
        if with_score:
            scores.prime((row.employee_id, board.start), row.DailyScore)
        if wanted.team and row.Team is not None:
            teams.prime(row.Team.id, row.Team)
    for found in read:  # the breakdowns: one read, whatever the days asked
        totals.prime_found(((row.employee_id, day) for row in rows for day in days), found)
    entries = [row.Employee for row in rows]
    if position is not None:
        ranked = position.ranked(rows, page.after)
        await prefetch(ctx, entries, wanted)
    else:
        ranked, _ = await asyncio.gather(
            ctx.db.read(
                lambda session: leaderboard.ranked(session=session, board=board, rows=rows)
            ),
            prefetch(ctx, entries, wanted),
        )
    return LeaderboardPage(
        board, ranked.total, cursored(ctx, order, request, ranked.standings, more)
    )


@dataclass(frozen=True)
class Wanted:
    """What a page's query asks of each entry's employee, to load in bulk with the page."""

    team: bool = False
    score_days: frozenset[date] = frozenset()
    breakdown_days: frozenset[date] = frozenset()


async def prefetch(ctx: Context, employees: list[Employee], wanted: Wanted) -> None:
    """Load the scores the entries' employees will be asked for that the page did not bring
    (of days other than a one-day board's), all at once, so that their fields answer from
    the request's loaders without awaiting, entry by entry."""
    loads = [
        ctx.loaders.of(ScoreByEmployeeDateLoader).load_many([(e.id, day) for e in employees])
        for day in sorted(wanted.score_days)
    ]
    if loads:
        await asyncio.gather(*loads)
