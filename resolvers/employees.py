"""Employee reads: lookup by global id, the filtered list, and per-employee field helpers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar

from db.models import Activity, Employee
from loaders.activity import ActivityPageKey
from resolvers.context import Context
from resolvers.errors import BadInputError
from resolvers.pagination import encode_cursor, forward_page
from services import employees as employee_service
from services.workdate import local_date

MAX_SEARCH_LENGTH = 100
MAX_SCORE_RANGE = timedelta(days=366)


R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class PageOf(Generic[R]):
    rows: Sequence[tuple[str, R]]  # (cursor, row)
    has_next: bool
    has_previous: bool


async def employee_page(
    ctx: Context,
    *,
    first: int | None,
    after: str | None,
    team_id: int | None,
    search: str | None,
    include_inactive: bool,
) -> PageOf[Employee]:
    page = forward_page(first, after, cursor_kind="employees")
    keyset = _name_id_keyset(page.after) if page.after is not None else None
    if search is not None and len(search) > MAX_SEARCH_LENGTH:
        raise BadInputError(f"`search` is longer than {MAX_SEARCH_LENGTH} characters")
    async with ctx.db.session() as session:
        rows = await employee_service.list_employees(
            session=session,
            limit=page.limit + 1,
            after=keyset,
            team_id=team_id,
            search=search or None,
            include_inactive=include_inactive,
        )
    ctx.loaders.employee_by_id.prime_rows(rows)
    shown = rows[: page.limit]
    return PageOf(
        rows=[(encode_cursor("employees", [row.name, row.id]), row) for row in shown],
        has_next=len(rows) > page.limit,
        has_previous=keyset is not None,
    )


def _name_id_keyset(values: list[object]) -> tuple[str, int]:
    match values:
        case [str(name), int(last_id)]:
            return name, last_id
    raise BadInputError("malformed cursor")


async def work_date(ctx: Context, team_id: int | None, day: date | None) -> date:
    """The given day, or today in the employee's team timezone (company timezone if none)."""
    if day is not None:
        return day
    team = await ctx.loaders.team_by_id.load(team_id) if team_id is not None else None
    return local_date(ctx.now, team.timezone if team else ctx.settings.timezone)


def score_range(start: date, end: date) -> tuple[date, date]:
    if start > end:
        raise BadInputError("`from` must not be after `to`")
    if end - start > MAX_SCORE_RANGE:
        raise BadInputError("a score range spans at most 366 days")
    return start, end


async def activity_page(
    ctx: Context,
    employee_id: int,
    *,
    start: datetime | None,
    end: datetime | None,
    first: int | None,
    after: str | None,
) -> PageOf[Activity]:
    page = forward_page(first, after, cursor_kind="activities")
    keyset = _start_id_keyset(page.after) if page.after is not None else None
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.utcoffset() is None:
            raise BadInputError(f"`{name}` needs a UTC offset, e.g. 2026-11-22T10:05:00Z")
    if start is not None and end is not None and start >= end:
        raise BadInputError("`from` must be before `to`")
    key = ActivityPageKey(employee_id, start, end, page.limit, keyset)
    rows: list[Activity] = await ctx.loaders.activity_page_by_employee.load(key)
    shown = rows[: page.limit]
    return PageOf(
        rows=[
            (encode_cursor("activities", [row.window_start.isoformat(), row.id]), row)
            for row in shown
        ],
        has_next=len(rows) > page.limit,
        has_previous=keyset is not None,
    )


def _start_id_keyset(values: list[object]) -> tuple[datetime, int]:
    match values:
        case [str(start), int(last_id)]:
            try:
                instant = datetime.fromisoformat(start)
            except ValueError:
                instant = None
            if instant is not None and instant.utcoffset() is not None:
                return instant, last_id
    raise BadInputError("malformed cursor")
