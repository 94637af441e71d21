"""Loaders for activities: per-employee pages, and the day's totals per role."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any, Self

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    Subquery,
    bindparam,
    cast,
    func,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import DATES_OPTION, dates_of
from db.engine import Database
from db.models import Activity, Role
from loaders.base import BatchLoader, EmployeeDate, Request, RowByIdLoader, grouped
from services import scores
from services.keyset import Key, Keyset

# An employee's activities, oldest first.
ACTIVITY_ORDER = Keyset("activities", (Key(Activity.window_start), Key(Activity.id)))


@dataclass(frozen=True, slots=True)
class RoleTotal:
    role: Role
    items: int
    activities: int

    @property
    def points(self) -> float:
        return scores.points(self.items, self.role)

    @property
    def earned_minutes(self) -> float:
        return scores.earned_minutes(self.items, self.role)


class RoleTotalsByEmployeeDateLoader(BatchLoader[EmployeeDate, list[RoleTotal]]):
    """Items per role for an employee's work date; primes the role loader with the roles."""

    def __init__(self, db: Database, roles: RowByIdLoader[Role]) -> None:
        super().__init__(db)
        self.roles = roles

    @classmethod
    def for_request(cls, request: Request) -> Self:
        return cls(request.db, request.by_id(Role))

    async def load_batch(self, keys: list[EmployeeDate]) -> Sequence[list[RoleTotal]]:
        days = {d for _, d in keys}
        params = {"employees": sorted({e for e, _ in keys})}
        return grouped(keys, await self.read(_totals_of_employees(), params, days))

    async def read_for(
        self, employees: Subquery, params: dict[str, Any], days: set[date], dates: dict[str, Any]
    ) -> RoleTotals:
        """The totals of ``days`` for the employees of a derived table with an
        ``employee_id`` column (a page that is being read at the same time; ``params`` and
        ``dates`` its bound values and declared dates): ``prime`` them once the page says who
        its employees are."""
        return await self.read(_totals_joined(employees), params, days, dates)

    def prime_found(self, keys: Iterable[EmployeeDate], found: RoleTotals) -> None:
        """``keys`` as ``found`` has them (no totals: none that day)."""
        for key in keys:
            self.prime(key, found.get(key, []))

    async def read(
        self,
        totals: Select[Any],
        params: dict[str, Any],
        days: set[date],
        dates: dict[str, Any] | None = None,
    ) -> RoleTotals:
        """``totals`` (of ``_totals``) listed one row per employee and day, then the roles
        they name, in one session."""
        params = params | {"days": sorted(days)}
        options = dates_of(activities=days)
        if dates:
            options = {DATES_OPTION: options[DATES_OPTION] | dates[DATES_OPTION]}

        async def read(session: AsyncSession) -> tuple[Sequence[Any], Sequence[Role]]:
            found = (
                await session.execute(_listed(totals), params, execution_options=options)
            ).all()
            if any(len(listed) >= LISTED_MAX for _, _, listed in found):
                found = (await session.execute(totals, params, execution_options=options)).all()
            ids = sorted({role_id for row in found for role_id, _, _ in _parts(row)})
            roles = (await session.scalars(_ROLES, {"ids": ids})).all() if ids else []
            return found, roles

        rows, roles = await self.db.read(read)
        by_id = {role.id: role for role in roles}
        self.roles.prime_rows(roles)
        found: RoleTotals = defaultdict(list)
        for row in rows:
            day_totals = found[(row[0], row[1])]
            day_totals.extend(RoleTotal(by_id[r], items, n) for r, items, n in _parts(row))
        for totals_of_day in found.values():
            totals_of_day.sort(key=lambda total: total.role.key)
        return found


RoleTotals = dict[EmployeeDate, list[RoleTotal]]
# A day's totals come listed in one string per employee (``_listed``): a few hundred rows of
# five columns become one row per employee, which the pure-Python driver parses in a third of
# the time. MySQL cuts a GROUP_CONCAT at ``group_concat_max_len`` (1,024 bytes by default;
# MariaDB's is 1 MB): a list that long may have been cut, and its day is read row by row.
LISTED_MAX = 1024
# The statements are built once (their values are bound parameters: ``days``, ``employees``,
# ``ids``), so that a request pays for neither their construction nor their cache keys.
_ROLES = select(Role).where(Role.id.in_(bindparam("ids", expanding=True)))


def _totals() -> Select[Any]:
    """Items and activities per employee, work date and role, on ``days``, not voided."""
    columns: list[Any] = [
        Activity.employee_id,
        Activity.work_date,
        Activity.role_id,
        func.sum(Activity.items_count).label("item_sum"),
        func.count().label("activity_count"),
    ]
    return (
        select(*columns)
        .where(
            Activity.work_date.in_(bindparam("days", expanding=True)), Activity.voided_at.is_(None)
        )
        .group_by(Activity.employee_id, Activity.work_date, Activity.role_id)
    )


@cache
def _totals_of_employees() -> Select[Any]:
    return _totals().where(Activity.employee_id.in_(bindparam("employees", expanding=True)))


# By statement object: the pages' derived tables are themselves built once per shape.
@lru_cache(maxsize=64)
def _totals_joined(employees: Subquery) -> Select[Any]:
    return _totals().join(employees, employees.c.employee_id == Activity.employee_id)


@lru_cache(maxsize=64)
def _listed(totals: Select[Any]) -> Select[Any]:
    """``totals`` one row per employee and day: ``employee_id, work_date`` and the day's
    totals as ``role:items:activities`` joined by commas."""
    per_role = totals.subquery("per_role")
    c = per_role.c
    entry = (
        cast(c.role_id, String) + ":" + cast(c.item_sum, String) + ":"
        + cast(c.activity_count, String)
    )  # fmt: skip
    columns: list[Any] = [c.employee_id, c.work_date, func.group_concat(entry)]
    return select(*columns).group_by(c.employee_id, c.work_date)


def _parts(row: Any) -> list[tuple[int, int, int]]:
    """``(role_id, items, activities)`` of a row of ``_listed`` or of ``_totals``."""
    if len(row) == 5:
        return [(row[2], int(row[3]), int(row[4]))]
    return [_entry(entry) for entry in row[2].split(",")]


def _entry(entry: str) -> tuple[int, int, int]:
    role_id, items, activities = entry.split(":")
    return int(role_id), int(items), int(activities)


@dataclass(frozen=True, slots=True)
class ActivityPageKey:
    """One employee's page of activities ordered by (window_start, id)."""

    employee_id: int
    start: datetime | None
    end: datetime | None
    limit: int
    after: tuple[Any, ...] | None  # ACTIVITY_ORDER values of the row to continue after

    @property
    def shape(self) -> tuple[datetime | None, datetime | None, int, tuple[Any, ...] | None]:
        return self.start, self.end, self.limit, self.after


class ActivityPageByEmployeeLoader(BatchLoader[ActivityPageKey, list[Activity]]):
    """Up to ``limit + 1`` activities per employee; one statement per distinct page shape."""

    async def load_batch(self, keys: list[ActivityPageKey]) -> Sequence[list[Activity]]:
        shapes: dict[tuple[object, ...], list[ActivityPageKey]] = defaultdict(list)
        for key in keys:
            shapes[key.shape].append(key)
        found: dict[ActivityPageKey, list[Activity]] = {}
        for group in shapes.values():
            rows = await self.rows(_page_statement(group))
            by_employee: dict[int, list[Activity]] = defaultdict(list)
            for row in rows:
                by_employee[row.employee_id].append(row)
            for key in group:
                found[key] = by_employee.get(key.employee_id, [])
        return [found[key] for key in keys]


def _page_statement(group: list[ActivityPageKey]) -> Select[Any]:
    """Each employee's first ``limit + 1`` rows: one ``ORDER BY ... LIMIT`` index range scan
    per employee, glued with UNION ALL into a single statement (MariaDB has no LATERAL;
    ranking every row with ROW_NUMBER() measured 60 % slower on profile M)."""
    first = group[0]
    filters: list[ColumnElement[bool]] = []
    if first.start is not None:
        filters.append(Activity.window_start >= first.start)
    if first.end is not None:
        filters.append(Activity.window_start < first.end)
    if first.after is not None:
        filters.append(ACTIVITY_ORDER.after(first.after))
    pages = []
    for employee_id in sorted({key.employee_id for key in group}):
        page = (
            select(Activity.id)
            .where(Activity.employee_id == employee_id, *filters)
            .order_by(*ACTIVITY_ORDER.order_by())
            .limit(first.limit + 1)
            .subquery()
        )
        pages.append(select(page.c.id))
    chosen = union_all(*pages).subquery()
    return (
        select(Activity)
        .join(chosen, chosen.c.id == Activity.id)
        .order_by(Activity.employee_id, Activity.window_start, Activity.id)
    )
