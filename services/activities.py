"""Recording activities from scanners and other devices, in bulk.

A call of up to ``MAX_ITEMS`` items costs a fixed handful of statements whatever its size:
one SELECT for the employees, one for the roles, one for the clock records that date the
windows, and the INSERT, which the MySQL driver sends as multi-row statements. Every valid
item is stored; every invalid one is reported by its index with a stable code (a window that
ends more than the tolerance after now is ``FUTURE_WINDOW``: a device's clock may run a little
ahead, not months). An item whose ``externalRef`` was stored before (or comes twice in one
call) is a duplicate, never stored twice: the unique key decides, atomically (``INSERT IGNORE``
/ ``INSERT OR IGNORE``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from cache import tags
from db.models import Activity, Employee, Role, Team
from services.workdate import work_dates

ACTIVITIES: Table = Activity.__table__  # type: ignore[assignment]
MAX_ITEMS = 10_000
MAX_WINDOW = timedelta(hours=12)
MAX_ITEMS_COUNT = 1_000_000
MAX_EXTERNAL_REF = 128


@dataclass(frozen=True)
class ActivityIn:
    employee_code: str
    role_key: str
    items_count: int
    window_start: datetime
    window_end: datetime
    external_ref: str | None = None


@dataclass(frozen=True)
class ItemError:
    index: int
    field: str | None
    code: str
    message: str


@dataclass
class Recorded:
    accepted: int = 0
    duplicates: int = 0
    errors: list[ItemError] = field(default_factory=list)
    # (employee id, work date) of the stored items: the days whose scores are now stale.
    days: set[tuple[int, date]] = field(default_factory=set)


@dataclass(frozen=True)
class _Worker:
    id: int
    timezone: str


async def record_activities(
    *,
    session: AsyncSession,
    items: Sequence[ActivityIn],
    now: datetime,
    company_timezone: str,
    future_tolerance: timedelta,
    source: str = "scanner",
) -> Recorded:
    """``future_tolerance``: how far past ``now`` a window may end (a device's clock ahead)."""
    recorded = Recorded()
    latest_end = now + future_tolerance
    if len(items) > MAX_ITEMS:
        message = f"at most {MAX_ITEMS:,} items a call; those from index {MAX_ITEMS} were not read"
        recorded.errors.append(ItemError(MAX_ITEMS, None, "TOO_MANY_ITEMS", message))
        items = items[:MAX_ITEMS]
    workers = await _workers(session, {i.employee_code for i in items}, company_timezone)
    roles = await _roles(session, {i.role_key for i in items})
    valid: list[tuple[ActivityIn, _Worker, int]] = []
    for index, item in enumerate(items):
        problem = _problem(index, item, workers, roles, latest_end)
        if problem is not None:
            recorded.errors.append(problem)
        else:
            valid.append((item, workers[item.employee_code], roles[item.role_key]))
    zones = {worker.id: worker.timezone for _, worker, _ in valid}
    days = await work_dates(
        session=session,
        starts=[(worker.id, item.window_start) for item, worker, _ in valid],
        zone=zones.__getitem__,
        now=now,
    )
    dated = [
        (item, worker, role_id, work_date)
        for (item, worker, role_id), work_date in zip(valid, days, strict=True)
    ]
    rows = [
        {
            "employee_id": worker.id,
            "role_id": role_id,
            "items_count": item.items_count,
            "window_start": item.window_start,
            "window_end": item.window_end,
            "work_date": work_date,
            "source": source,
            "external_ref": item.external_ref,
            "created_at": now,
        }
        for item, worker, role_id, work_date in dated
    ]
    if rows:
        statement = insert(ACTIVITIES).prefix_with("IGNORE", dialect="mysql")
        statement = tags.dated(statement, "activities", {day for _, _, _, day in dated})
        result = await session.execute(statement.prefix_with("OR IGNORE", dialect="sqlite"), rows)
        recorded.accepted = result.rowcount  # type: ignore[attr-defined]
    recorded.duplicates = len(rows) - recorded.accepted
    recorded.days = {(worker.id, work_date) for _, worker, _, work_date in dated}
    return recorded


def _problem(
    index: int,
    item: ActivityIn,
    workers: dict[str, _Worker],
    roles: dict[str, int],
    latest_end: datetime,
) -> ItemError | None:
    def error(field: str, code: str, message: str) -> ItemError:
        return ItemError(index, field, code, message)

    if item.employee_code not in workers:
        return error("employeeCode", "UNKNOWN_EMPLOYEE", "no active employee has this code")
    if item.role_key not in roles:
        return error("roleKey", "UNKNOWN_ROLE", "no role has this key")
    if not 0 <= item.items_count <= MAX_ITEMS_COUNT:
        return error("itemsCount", "NEGATIVE_COUNT" if item.items_count < 0 else "COUNT_TOO_LARGE",
                     f"itemsCount is from 0 to {MAX_ITEMS_COUNT:,}")  # fmt: skip
    if item.window_start.utcoffset() is None or item.window_end.utcoffset() is None:
        return error("windowStart", "BAD_WINDOW", "window instants need a UTC offset")
    if not item.window_start < item.window_end <= item.window_start + MAX_WINDOW:
        return error("windowEnd", "BAD_WINDOW", "a window ends after it starts, within 12 hours")
    if item.window_end > latest_end:
        late = latest_end.replace(microsecond=0).isoformat()
        return error("windowEnd", "FUTURE_WINDOW", f"a window ends by {late}: is the clock right?")
    if item.external_ref is not None and not 1 <= len(item.external_ref) <= MAX_EXTERNAL_REF:
        return error("externalRef", "BAD_EXTERNAL_REF", f"1 to {MAX_EXTERNAL_REF} characters")
    return None


async def _workers(
    session: AsyncSession, codes: set[str], company_timezone: str
) -> dict[str, _Worker]:
    if not codes:
        return {}
    rows = await session.execute(
        select(Employee.code, Employee.id, Team.timezone)
        .outerjoin(Team, Team.id == Employee.team_id)
        .where(Employee.code.in_(codes), Employee.active.is_(True))
    )
    return {code: _Worker(id, zone or company_timezone) for code, id, zone in rows}


async def _roles(session: AsyncSession, keys: set[str]) -> dict[str, int]:
    if not keys:
        return {}
    rows = await session.execute(select(Role.key, Role.id).where(Role.key.in_(keys)))
    return {key: id for key, id in rows}
