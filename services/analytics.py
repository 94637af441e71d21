"""Analytics over daily scores: totals per day, ISO week or month, for everyone in
scope or per team or per employee, summed in SQL (one statement for the series, one for the
totals). A period's first day is computed by the database from the stored work date: date
arithmetic, never a timezone function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Date, Float, Integer, cast, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement

from cache.tags import dated
from db.models import DailyScore
from services.errors import BadInput

MAX_POINTS = 5_000  # series points in one report; more is a BAD_USER_INPUT, not a slow query


class Grouping(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"  # ISO weeks, from Monday
    MONTH = "MONTH"


class Breakdown(StrEnum):
    NONE = "NONE"
    TEAM = "TEAM"
    EMPLOYEE = "EMPLOYEE"


class week_start(FunctionElement[date]):
    """The Monday on or before a date, in the database's own dialect."""

    type = Date()
    inherit_cache = True


class month_start(FunctionElement[date]):
    """The first day of a date's month, in the database's own dialect."""

    type = Date()
    inherit_cache = True


@compiles(week_start, "mysql")
def _week_start_mysql(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    day = compiler.process(element.clauses, **kw)
    return f"DATE_SUB({day}, INTERVAL WEEKDAY({day}) DAY)"


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler: SQLCompiler, **kw: Any) -> str:
    day = compiler.process(element.clauses, **kw)
    return f"date({day}, '-' || ((CAST(strftime('%w', {day}) AS INTEGER) + 6) % 7) || ' days')"


@compiles(month_start, "mysql")
def _month_start_mysql(element: month_start, compiler: SQLCompiler, **kw: Any) -> str:
    day = compiler.process(element.clauses, **kw)
    return f"DATE_SUB({day}, INTERVAL DAYOFMONTH({day}) - 1 DAY)"


@compiles(month_start, "sqlite")
def _month_start_sqlite(element: month_start, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


def period_start(day: Any, grouping: Grouping) -> Any:
    """The first day of the period ``day`` falls in."""
    match grouping:
        case Grouping.DAY:
            return day
        case Grouping.WEEK:
            return week_start(day)
        case Grouping.MONTH:
            return month_start(day)


def period_end(start: date, grouping: Grouping) -> date:
    """The last day of the period that starts on ``start``."""
    match grouping:
        case Grouping.DAY:
            return start
        case Grouping.WEEK:
            return start + timedelta(days=6)
        case Grouping.MONTH:
            following = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            return following - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Point:
    period_start: date | None  # None: the report's totals
    team_id: int | None
    employee_id: int | None
    employee_days: int
    items: int
    points: float
    earned_minutes: float
    available_minutes: float
    active_available_minutes: float
    idle_minutes: float


@dataclass(frozen=True)
class Scope:
    """Whose scores a report sums: one employee, some teams (a score's team on its day), or
    (both None) everyone."""

    employee_id: int | None = None
    team_ids: tuple[int, ...] | None = None

    def condition(self) -> list[ColumnElement[bool]]:
        found = []
        if self.employee_id is not None:
            found.append(DailyScore.employee_id == self.employee_id)
        if self.team_ids is not None:
            found.append(DailyScore.team_id.in_(self.team_ids))
        return found


@dataclass(frozen=True)
class Report:
    totals: Point
    series: list[Point]


async def report(
    *,
    session: AsyncSession,
    start: date,
    end: date,
    grouping: Grouping,
    breakdown: Breakdown,
    scope: Scope,
) -> Report:
    """Sums over the daily scores from ``start`` to ``end`` that match ``scope``, by period
    (and team or employee)."""
    s = DailyScore
    sums = [
        func.count().label("employee_days"),
        cast(func.coalesce(func.sum(s.items_processed), 0), Integer).label("items"),
        cast(func.coalesce(func.sum(s.points_earned), 0), Float).label("points"),
        cast(func.coalesce(func.sum(s.earned_minutes), 0), Float).label("earned"),
        cast(func.coalesce(func.sum(s.available_minutes), 0), Float).label("available"),
        cast(
            func.coalesce(func.sum(func.coalesce(s.utilization, 0) * s.available_minutes / 100), 0),
            Float,
        ).label("active"),
        cast(func.coalesce(func.sum(s.idle_minutes), 0), Float).label("idle"),
    ]
    where = [s.work_date.between(start, end), *scope.condition()]
    period = period_start(s.work_date, grouping).label("period")
    keys: list[Any] = [period]
    if breakdown is Breakdown.TEAM:
        keys.append(s.team_id.label("team_id"))
    elif breakdown is Breakdown.EMPLOYEE:
        keys.append(s.employee_id.label("employee_id"))
    series = (
        select(*keys, *sums).where(*where).group_by(*keys).order_by(*keys).limit(MAX_POINTS + 1)
    )
    rows = (await session.execute(dated(series, "daily_scores", (start, end)))).all()
    if len(rows) > MAX_POINTS:
        raise BadInput(
            f"the report would have more than {MAX_POINTS:,} points: "
            "choose a shorter range, a longer grouping or a narrower breakdown"
        )
    total = (
        await session.execute(
            dated(
                select(literal(None).label("period"), *sums).where(*where),
                "daily_scores",
                (start, end),
            )
        )
    ).one()
    return Report(totals=_point(total, breakdown=None), series=[_point(r, breakdown) for r in rows])


def _point(row: Any, breakdown: Breakdown | None) -> Point:
    period = row.period
    if isinstance(period, str):  # SQLite's date() answers text
        period = date.fromisoformat(period)
    return Point(
        period_start=period,
        team_id=row.team_id if breakdown is Breakdown.TEAM else None,
        employee_id=row.employee_id if breakdown is Breakdown.EMPLOYEE else None,
        employee_days=int(row.employee_days),
        items=int(row.items),
        points=float(row.points),
        earned_minutes=float(row.earned),
        available_minutes=float(row.available),
        active_available_minutes=float(row.active),
        idle_minutes=float(row.idle),
    )
