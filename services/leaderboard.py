"""Leaderboards over daily scores (SPEC §4): a page of standings and their competition ranks.

A board is a period, a metric and an optional team. Its entries are the employees with a daily
score in the period (for PRODUCTIVITY, only those with at least an hour of available time),
ordered by the metric, highest first, then by employee id; pages continue with a keyset
predicate, never an OFFSET.

A one-day board of POINTS or ITEMS reads ``daily_scores`` directly, down an index on
``(work_date, metric DESC, employee_id)`` (``(team_id, work_date, ...)`` for a team): a page
reads its own rows and no others. Longer periods and PRODUCTIVITY add up each employee's days
first. Either way a page costs two statements: the page (with its entries' employees and, for
one day, their scores, joined by primary key), then one aggregate that counts the entries and
those ranked above the page's first entry, from which every rank on the page follows (it
runs alongside the loading of what the page's fields need, on a connection of its own).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, Integer, Select, Subquery, and_, case, cast, func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from core.cache.tags import dated
from db.models import DailyScore, Employee, Team
from services.keyset import Key, Keyset

MIN_AVAILABLE_MINUTES = 60.0  # PRODUCTIVITY ranks only employees with an hour available
DECIMALS = 4  # sums of floats are rounded, so that every statement sees the same value


class Metric(StrEnum):
    POINTS = "POINTS"
    ITEMS = "ITEMS"
    PRODUCTIVITY = "PRODUCTIVITY"


@dataclass(frozen=True, slots=True)
class Board:
    start: date
    end: date
    metric: Metric = Metric.POINTS
    team_id: int | None = None

    @property
    def keyset(self) -> Keyset:
        """The board's order. A cursor names its board: one board's is refused by another."""
        columns = self._columns()
        kind = f"leaderboard/{self.metric}/{self.start}/{self.end}/{self.team_id or ''}"
        return Keyset(kind, (Key(columns["value"], descending=True), Key(columns["employee_id"])))

    def entries(self) -> Select[Any]:
        """Every entry, unordered: ``employee_id, items, points, earned, available, value``."""
        columns = self._columns()
        statement = select(*columns.values())
        if self.start == self.end:
            statement = statement.where(DailyScore.work_date == self.start)
        else:
            statement = statement.where(
                DailyScore.work_date.between(self.start, self.end)
            ).group_by(DailyScore.employee_id)
        if self.team_id is not None:
            statement = statement.where(DailyScore.team_id == self.team_id)
        statement = dated(statement, "daily_scores", (self.start, self.end))
        if self.metric is Metric.PRODUCTIVITY:
            enough = columns["available"] >= MIN_AVAILABLE_MINUTES
            statement = statement.having(enough) if self.summed else statement.where(enough)
        return statement

    @property
    def summed(self) -> bool:
        """Whether entries add several days up (else they are one day's rows)."""
        return self.start != self.end

    def _columns(self) -> dict[str, Any]:
        s = DailyScore
        if self.summed:
            items: Any = cast(func.sum(s.items_processed), Integer)
            points: Any = _rounded(func.sum(s.points_earned))
            earned: Any = func.sum(s.earned_minutes)
            available: Any = func.sum(s.available_minutes)
        else:
            items, points = s.items_processed, s.points_earned
            earned, available = s.earned_minutes, s.available_minutes
        value = {
            Metric.POINTS: points,
            Metric.ITEMS: items,
            Metric.PRODUCTIVITY: _rounded(earned * 100.0 / available),
        }[self.metric]
        return {
            "employee_id": s.employee_id,
            "items": items.label("items"),
            "points": points.label("points"),
            "earned": type_coerce(earned, Float).label("earned"),
            "available": type_coerce(available, Float).label("available"),
            "value": value.label("value"),
        }

    def predicate_target(self, statement: Select[Any], condition: Any) -> Select[Any]:
        """``condition`` on the entries: on their sums when the board adds days up."""
        return statement.having(condition) if self.summed else statement.where(condition)


@dataclass(frozen=True, slots=True)
class Standing:
    employee_id: int
    items: int
    points: float
    earned: float
    available: float
    value: float
    rank: int
    employee: Employee | None = None
    score: DailyScore | None = None  # the day's score, on a one-day board


@dataclass(frozen=True, slots=True)
class Ranked:
    total: int
    standings: list[Standing]


async def read_entries(
    *, session: AsyncSession, page: PageOf, with_team: bool = False
) -> tuple[list[Any], bool]:
    """The page's entries in the board's order (at most ``page.shown``), and whether entries
    follow in the direction read; their ranks are ``ranked``'s, which may run alongside
    whatever else the page needs (it reads only the aggregate)."""
    rows = await read_page(session=session, page=page, with_team=with_team)
    shown = list(rows[: page.shown])
    return (shown[::-1] if page.backward else shown), len(rows) > page.shown


@dataclass(frozen=True, slots=True)
class PageOf:
    """Which entries a page holds: at most ``shown`` after the entry with keyset values
    ``after`` (``backward``: the ``shown`` before it, nearest first), read with one more to
    learn whether others follow."""

    board: Board
    shown: int
    after: Sequence[Any] | None = None
    backward: bool = False

    @property
    def order(self) -> Keyset:
        return self.board.keyset.reversed() if self.backward else self.board.keyset

    def entries(self) -> Subquery:
        """The page's entries (one more than shown), as a derived table: its
        ``employee_id`` lets another statement read what the page's employees need at the
        same time as the page itself (MariaDB takes no ``LIMIT`` in an ``IN`` subquery, so
        join it)."""
        board, order = self.board, self.order
        statement = board.entries().order_by(*order.order_by()).limit(self.shown + 1)
        if self.after is not None:
            statement = board.predicate_target(statement, order.after(self.after))
        return statement.subquery("page")


async def read_page(
    *, session: AsyncSession, page: PageOf, with_team: bool = False
) -> Sequence[Any]:
    """The page's entries in the order read, each with its ``Employee``, on a one-day board
    its ``DailyScore``, and with ``with_team`` its employee's ``Team`` (None without one):
    what a page shows of them, in the same statement (the entries are found first, then
    joined by primary key)."""
    board, order = page.board, page.order
    found = page.entries()
    joined = select(found, Employee).join(Employee, Employee.id == found.c.employee_id)
    if not board.summed:
        joined = joined.add_columns(DailyScore).join(
            DailyScore,
            and_(
                DailyScore.employee_id == found.c.employee_id, DailyScore.work_date == board.start
            ),
        )
    if with_team:
        joined = joined.add_columns(Team).outerjoin(Team, Team.id == Employee.team_id)
    keys = [found.c[str(k.column.key)] for k in order.keys]
    ordered = joined.order_by(*(
        key.desc() if k.descending else key.asc() for key, k in zip(keys, order.keys, strict=True)
    ))  # fmt: skip
    rows: Sequence[Any] = (
        await session.execute(dated(ordered, "daily_scores", (board.start, board.end)))
    ).all()
    return rows


async def ranked(*, session: AsyncSession, board: Board, rows: Sequence[Any]) -> Ranked:
    """The entries' total and the competition rank (1 + the entries with a strictly better
    metric) of each of ``rows``, a run of consecutive entries in the board's order, from one
    aggregate over the board."""
    entries = board.entries().subquery()
    if not rows:
        total = await session.scalar(
            dated(
                select(func.count()).select_from(entries), "daily_scores", (board.start, board.end)
            )
        )
        return Ranked(int(total or 0), [])
    first = rows[0]
    above = (entries.c.value > first.value) | (
        (entries.c.value == first.value) & (entries.c.employee_id < first.employee_id)
    )
    counts = select(
        func.count(),
        func.coalesce(func.sum(case((entries.c.value > first.value, 1), else_=0)), 0),
        func.coalesce(func.sum(case((above, 1), else_=0)), 0),
    )
    counted = dated(counts, "daily_scores", (board.start, board.end))
    total, better, before = (await session.execute(counted)).one()
    # Entries before the page with the first entry's value are ties of it, and better than
    # any later entry of the page with a lower value.
    tied_before = int(before) - int(better)
    standings: list[Standing] = []
    for i, row in enumerate(rows):
        if row.value == first.value:
            rank = int(better) + 1
        elif row.value == rows[i - 1].value:
            rank = standings[-1].rank
        else:
            rank = int(better) + tied_before + i + 1
        standings.append(
            Standing(
                employee_id=row.employee_id,
                items=int(row.items),
                points=float(row.points),
                earned=float(row.earned or 0.0),
                available=float(row.available or 0.0),
                value=row.value,
                rank=rank,
                employee=getattr(row, "Employee", None),
                score=getattr(row, "DailyScore", None),
            )
        )
    return Ranked(int(total), standings)


def _rounded(expression: Any) -> Any:
    return type_coerce(func.round(expression, DECIMALS), Float)
