"""Leaderboards over daily scores: a page of standings and their competition ranks.

A board is a period, a metric and an optional team. Its entries are the employees with a daily
score in the period (for PRODUCTIVITY, only those with at least an hour of available time: a
few minutes' work would otherwise top it), ordered by the metric as shown (productivity to one
decimal), highest first, then by employee id; pages continue with a keyset predicate, never an
OFFSET.

A one-day board of POINTS or ITEMS reads ``daily_scores`` directly, down an index on
``(work_date, metric DESC, employee_id)`` (``(team_id, work_date, ...)`` for a team): a page
reads its own rows and no others. Longer periods and PRODUCTIVITY add up each employee's days
first. Either way a page costs two statements: the page (with its entries' employees and, as
the query asks, their teams and the day's scores, joined by primary key), and one aggregate
that counts the entries and those ranked above where the page starts, from which every rank
on the page follows. Read forwards, the page starts right after its cursor, so the aggregate
needs only the cursor and runs at the same time as the page (``position``); read backwards,
it needs the page's first entry and follows the page (``ranked``).

A cursor names its entry by the metric's value and the employee id, the id sealed with the
secret key (``BoardKeyset``): an anonymous entry's cursor tells no more of who it is than the
entry itself (``services.gamification.shown_by_name``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    case,
    cast,
    func,
    select,
    type_coerce,
)
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dates_of
from db.models import DailyScore, Employee, Team
from services.errors import BadCursor
from services.keyset import Key, Keyset

MIN_AVAILABLE_MINUTES = 60.0  # PRODUCTIVITY ranks only employees with an hour available
DECIMALS = 4  # sums of floats are rounded, so that every statement sees the same value
# Productivity is shown, and so ranked and put in cursors, to one decimal: two entries that
# show the same productivity share a rank (rounded once, in SQL, for every board alike).
PRODUCTIVITY_DECIMALS = 1


class Metric(StrEnum):
    POINTS = "POINTS"
    ITEMS = "ITEMS"
    PRODUCTIVITY = "PRODUCTIVITY"


@dataclass(frozen=True, slots=True)
class Shape:
    """What a board's statements depend on; its dates and team are bound parameters
    (``Board.params``), so each statement is built once per shape and shared by every request
    (building one and computing its cache key cost more than running it)."""

    metric: Metric
    summed: bool
    team: bool


@dataclass(frozen=True, slots=True)
class Board:
    start: date
    end: date
    metric: Metric = Metric.POINTS
    team_id: int | None = None

    @property
    def keyset(self) -> Keyset:
        """The board's order. A cursor names its board: one board's is refused by another."""
        kind = f"leaderboard/{self.metric}/{self.start}/{self.end}/{self.team_id or ''}"
        return BoardKeyset(kind, _keys(self.shape))

    @property
    def shape(self) -> Shape:
        return Shape(self.metric, self.summed, self.team_id is not None)

    @property
    def params(self) -> dict[str, Any]:
        """The values of the bound parameters of the board's statements."""
        return {"board_start": self.start, "board_end": self.end, "board_team": self.team_id}

    @property
    def dates(self) -> dict[str, Any]:
        """The execution options that declare the dates the board reads (``cache.tags``)."""
        return dates_of(daily_scores=(self.start, self.end))

    @property
    def summed(self) -> bool:
        """Whether entries add several days up (else they are one day's rows)."""
        return self.start != self.end


@dataclass(frozen=True)
class BoardKeyset(Keyset):
    """A board's order, whose cursors carry the employee id sealed: a keyed permutation of
    64-bit integers (four Feistel rounds of BLAKE2b keyed with the secret and tweaked with the
    board), so that nobody without the secret learns from an entry's cursor whose it is, nor
    finds the same employee in another board's cursors."""

    def cursor(self, row: Any, *, secret: bytes) -> str:
        value, employee_id = self.values_of(row)
        sealed = _seal(employee_id, _rounds(secret, self.kind), decrypt=False)
        return super().cursor(_At(value, sealed), secret=secret)

    def decode(self, cursor: str, *, secret: bytes) -> tuple[Any, ...]:
        value, sealed = super().decode(cursor, secret=secret)
        if not 0 <= sealed < 1 << 64:
            raise BadCursor("invalid cursor")
        return value, _seal(sealed, _rounds(secret, self.kind), decrypt=True)


@dataclass(frozen=True, slots=True)
class _At:
    """The keyset values of an entry, as a cursor shows them."""

    value: Any
    employee_id: int


_HALF = (1 << 32) - 1


@lru_cache(maxsize=1024)
def _rounds(secret: bytes, kind: str) -> tuple[Any, ...]:
    """The four rounds' keyed hashes of a board (copied for each use: keying one costs more
    than hashing four bytes)."""
    key = hashlib.blake2b(b"leaderboard-cursor\x00" + secret + kind.encode()).digest()
    return tuple(hashlib.blake2b(key=key, digest_size=4, person=b"round %d" % i) for i in range(4))


def _seal(number: int, rounds: tuple[Any, ...], *, decrypt: bool) -> int:
    """``number`` (0 to 2**64 - 1) through the board's permutation, or back."""
    left, right = number >> 32, number & _HALF
    if decrypt:
        for keyed in reversed(rounds):
            left, right = right ^ _mix(keyed, left), left
    else:
        for keyed in rounds:
            left, right = right, left ^ _mix(keyed, right)
    return (left << 32) | right


def _mix(keyed: Any, half: int) -> int:
    hashed = keyed.copy()
    hashed.update(half.to_bytes(4, "big"))
    return int.from_bytes(hashed.digest(), "big")


@cache
def _columns(shape: Shape) -> dict[str, Any]:
    s = DailyScore
    if shape.summed:
        items: Any = cast(func.sum(s.items_processed), Integer)
        points: Any = _rounded(func.sum(s.points_earned))
        earned: Any = func.sum(s.earned_minutes)
        available: Any = func.sum(s.available_minutes)
    else:
        items, points = s.items_processed, s.points_earned
        earned, available = s.earned_minutes, s.available_minutes
    # NULLIF: without available time there is no productivity (and no division by zero,
    # which MariaDB would answer with a warning)
    productivity = _rounded(earned * 100.0 / func.nullif(available, 0), PRODUCTIVITY_DECIMALS)
    value = {
        Metric.POINTS: points,
        Metric.ITEMS: items,
        Metric.PRODUCTIVITY: productivity,
    }[shape.metric]
    return {
        "employee_id": s.employee_id,
        "items": items.label("items"),
        "points": points.label("points"),
        "earned": type_coerce(earned, Float).label("earned"),
        "available": type_coerce(available, Float).label("available"),
        "productivity": productivity.label("productivity"),
        "value": value.label("value"),
    }


@cache
def _keys(shape: Shape) -> tuple[Key, Key]:
    columns = _columns(shape)
    return Key(columns["value"], descending=True), Key(columns["employee_id"])


@cache
def _entries(shape: Shape) -> Select[Any]:
    columns = _columns(shape)
    statement = select(*columns.values())
    start = bindparam("board_start", type_=Date)
    if shape.summed:
        end = bindparam("board_end", type_=Date)
        statement = statement.where(DailyScore.work_date.between(start, end)).group_by(
            DailyScore.employee_id
        )
    else:
        statement = statement.where(DailyScore.work_date == start)
    if shape.team:
        statement = statement.where(DailyScore.team_id == bindparam("board_team", type_=Integer))
    if shape.metric is Metric.PRODUCTIVITY:
        enough = columns["available"] >= MIN_AVAILABLE_MINUTES
        statement = statement.having(enough) if shape.summed else statement.where(enough)
    return statement


@dataclass(frozen=True, slots=True)
class Standing:
    employee_id: int
    items: int
    points: float
    earned: float
    available: float
    productivity: float | None  # percent, to ``PRODUCTIVITY_DECIMALS``: what PRODUCTIVITY ranks
    value: float
    rank: int
    employee: Employee | None = None


@dataclass(frozen=True, slots=True)
class Ranked:
    total: int
    standings: list[Standing]


async def read_entries(
    *, session: AsyncSession, page: PageOf, with_team: bool = False, with_score: bool = False
) -> tuple[list[Any], bool]:
    """The page's entries in the board's order (at most ``page.shown``), and whether entries
    follow in the direction read; their ranks are ``ranked``'s or ``position``'s, which may run
    alongside whatever else the page needs (they read only the aggregate)."""
    rows = await read_page(session=session, page=page, with_team=with_team, with_score=with_score)
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
    def params(self) -> dict[str, Any]:
        """The values of the bound parameters of the page's statements."""
        after = {} if self.after is None else {f"after_{i}": v for i, v in enumerate(self.after)}
        return self.board.params | {"page_limit": self.shown + 1} | after

    def entries(self) -> Subquery:
        """The page's entries (one more than shown), as a derived table (with ``params``):
        its ``employee_id`` lets another statement read what the page's employees need at
        the same time as the page itself (MariaDB takes no ``LIMIT`` in an ``IN`` subquery,
        so join it)."""
        return _page_entries(self.board.shape, self.backward, self.after is not None)


@cache
def _page_entries(shape: Shape, backward: bool, after: bool) -> Subquery:
    order = _order(shape, backward)
    limit = bindparam("page_limit", type_=Integer)
    statement = _entries(shape).order_by(*order.order_by()).limit(limit)
    if after:
        values = [bindparam(f"after_{i}", type_=k.column.type) for i, k in enumerate(order.keys)]
        condition = order.after(values)  # on the sums when the board adds days up
        statement = statement.having(condition) if shape.summed else statement.where(condition)
    return statement.subquery("page")


def _order(shape: Shape, backward: bool) -> Keyset:
    order = Keyset("", _keys(shape))  # the order alone: cursors are the board's keyset's
    return order.reversed() if backward else order


@cache
def _page(
    shape: Shape, backward: bool, after: bool, with_team: bool, with_score: bool
) -> Select[Any]:
    found = _page_entries(shape, backward, after)
    joined = select(found, Employee).join(Employee, Employee.id == found.c.employee_id)
    if with_score and not shape.summed:
        joined = joined.add_columns(DailyScore).join(
            DailyScore,
            and_(
                DailyScore.employee_id == found.c.employee_id,
                DailyScore.work_date == bindparam("board_start", type_=Date),
            ),
        )
    if with_team:
        joined = joined.add_columns(Team).outerjoin(Team, Team.id == Employee.team_id)
    return joined.order_by(*(
        found.c[str(k.column.key)].desc() if k.descending else found.c[str(k.column.key)].asc()
        for k in _order(shape, backward).keys
    ))  # fmt: skip


async def read_page(
    *, session: AsyncSession, page: PageOf, with_team: bool = False, with_score: bool = False
) -> Sequence[Any]:
    """The page's entries in the order read, each with its ``Employee``, with ``with_score``
    on a one-day board its ``DailyScore``, and with ``with_team`` its employee's ``Team`` (None
    without one): what the query shows of them, in the same statement (the entries are found
    first, then joined by primary key; a score asked of another day is the loaders')."""
    shape = page.board.shape
    statement = _page(shape, page.backward, page.after is not None, with_team, with_score)
    result = await session.execute(statement, page.params, execution_options=page.board.dates)
    rows: Sequence[Any] = result.all()
    return rows


async def ranked(*, session: AsyncSession, board: Board, rows: Sequence[Any]) -> Ranked:
    """The entries' total and the competition rank (1 + the entries with a strictly better
    metric) of each of ``rows``, a run of consecutive entries in the board's order, from one
    aggregate over the board at the first of them (a page read backwards: where it starts is
    known only once it is read)."""
    if not rows:
        return Ranked(await _total(session, board), [])
    first = rows[0]
    params = board.params | {"first_value": first.value, "first_id": first.employee_id}
    counted = await session.execute(
        _ranks(board.shape, through=False), params, execution_options=board.dates
    )
    total, better, before = counted.one()
    return Ranked(int(total), _standings(rows, int(better), int(before)))


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page read forwards starts: the board's entries, those with a better value than
    the cursor's, and those at or before the cursor (both 0 on the first page)."""

    total: int
    better: int
    through: int

    def ranked(self, rows: Sequence[Any], after: Sequence[Any] | None) -> Ranked:
        """The ranks of the page read after this position. Its first entry is the first one
        after the cursor: it ties with the entries above it when its value is the cursor's
        (and so has ``better`` above it); otherwise every entry before it is better."""
        if not rows:
            return Ranked(self.total, [])
        tied = after is not None and rows[0].value == after[0]
        return Ranked(
            self.total, _standings(rows, self.better if tied else self.through, self.through)
        )


async def position(*, session: AsyncSession, page: PageOf) -> Position:
    """``Position`` of a page read forwards, from one aggregate that needs nothing of the page
    itself (the cursor says where it starts), so that it runs alongside the page."""
    board = page.board
    if page.after is None:
        return Position(await _total(session, board), 0, 0)
    value, employee_id = page.after
    params = board.params | {"first_value": value, "first_id": employee_id}
    counted = await session.execute(
        _ranks(board.shape, through=True), params, execution_options=board.dates
    )
    total, better, through = counted.one()
    return Position(int(total), int(better), int(through))


async def _total(session: AsyncSession, board: Board) -> int:
    total = await session.scalar(_count(board.shape), board.params, execution_options=board.dates)
    return int(total or 0)


def _standings(rows: Sequence[Any], better: int, before: int) -> list[Standing]:
    """``rows``, consecutive entries in the board's order, ranked: ``better`` entries have a
    better value than the first of them and ``before`` entries come before it."""
    first = rows[0]
    # Entries before the first with its value are ties of it, and better than any later
    # entry with a lower value.
    tied_before = before - better
    standings: list[Standing] = []
    for i, row in enumerate(rows):
        if row.value == first.value:
            rank = better + 1
        elif row.value == rows[i - 1].value:
            rank = standings[-1].rank
        else:
            rank = better + tied_before + i + 1
        standings.append(
            Standing(
                employee_id=row.employee_id,
                items=int(row.items),
                points=float(row.points),
                earned=float(row.earned or 0.0),
                available=float(row.available or 0.0),
                productivity=None if row.productivity is None else float(row.productivity),
                value=row.value,
                rank=rank,
                employee=getattr(row, "Employee", None),
            )
        )
    return standings


@cache
def _count(shape: Shape) -> Select[Any]:
    return select(func.count()).select_from(_entries(shape).subquery())


@cache
def _ranks(shape: Shape, *, through: bool) -> Select[Any]:
    """The entries, those with a better value than the one bound as ``first_value``, and those
    before the entry (``first_value``, ``first_id``) in the board's order; with ``through``,
    those at or before it."""
    entries = _entries(shape).subquery()
    value = bindparam("first_value", type_=_columns(shape)["value"].type)
    first_id = bindparam("first_id", type_=Integer)
    same = (entries.c.employee_id <= first_id) if through else (entries.c.employee_id < first_id)
    above = (entries.c.value > value) | ((entries.c.value == value) & same)
    return select(
        func.count(),
        func.coalesce(func.sum(case((entries.c.value > value, 1), else_=0)), 0),
        func.coalesce(func.sum(case((above, 1), else_=0)), 0),
    )


def _rounded(expression: Any, decimals: int = DECIMALS) -> Any:
    return type_coerce(func.round(expression, decimals), Float)
