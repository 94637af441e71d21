"""Recomputing one work date's scores and idle periods for every employee, set-based.

A fixed handful of statements whatever the number of employees: four SELECTs (activities,
clock records, breaks, roles with the employees' teams folded in), then the day's non-final
score and idle rows are replaced in bulk — DELETE and a multi-row INSERT each — in the
caller's transaction, so a day is never half-written. The formulas are ``services.scores``;
running it twice with the same data and ``now`` gives identical rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, and_, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Activity, ClockBreak, ClockRecord, DailyScore, Employee, IdlePeriod, Role
from services.intervals import minutes
from services.scores import ClockSample, WorkSample, compute_day

SCORES: Table = DailyScore.__table__  # type: ignore[assignment]
IDLE_PERIODS: Table = IdlePeriod.__table__  # type: ignore[assignment]


@dataclass(frozen=True)
class Refreshed:
    work_date: date
    scores: int  # rows written
    idle_periods: int
    skipped_final: int  # employees whose score for the day is final and was left alone


async def refresh_day(
    *, session: AsyncSession, work_date: date, now: datetime, idle_threshold: timedelta
) -> Refreshed:
    final = set(
        (
            await session.scalars(
                select(DailyScore.employee_id).where(
                    DailyScore.work_date == work_date, DailyScore.is_final.is_(True)
                )
            )
        ).all()
    )
    work = await _work(session, work_date)
    clocks = await _clocks(session, work_date)
    roles = {
        row.id: row for row in (await session.execute(select(Role.id, Role.points_per_item,
                                                               Role.expected_per_hour))).all()
    }  # fmt: skip
    employees = (set(work) | set(clocks)) - final
    teams = await _teams(session, employees)
    score_rows: list[dict[str, Any]] = []
    idle_rows: list[dict[str, Any]] = []
    for employee_id in sorted(employees):
        day = compute_day(
            work=work.get(employee_id, []),
            clocks=clocks.get(employee_id, []),
            roles=roles,
            now=now,
            idle_threshold=idle_threshold,
        )
        score_rows.append(
            {"employee_id": employee_id, "team_id": teams.get(employee_id), "work_date": work_date,
             "items_processed": day.items_processed, "points_earned": day.points_earned,
             "earned_minutes": day.earned_minutes, "active_minutes": day.active_minutes,
             "clocked_minutes": day.clocked_minutes, "break_minutes": day.break_minutes,
             "available_minutes": day.available_minutes, "idle_minutes": day.idle_minutes,
             "productivity": day.productivity, "utilization": day.utilization,
             "is_final": False, "updated_at": now}
        )  # fmt: skip
        idle_rows += [
            {"employee_id": employee_id, "work_date": work_date, "start": start, "end": end,
             "minutes": minutes([(start, end)])}
            for start, end in day.idle_periods
        ]  # fmt: skip
    await _replace(session, SCORES, work_date, final, score_rows)
    await _replace(session, IDLE_PERIODS, work_date, final, idle_rows)
    return Refreshed(work_date, len(score_rows), len(idle_rows), len(final))


async def _work(session: AsyncSession, work_date: date) -> dict[int, list[WorkSample]]:
    rows = await session.execute(
        select(Activity.employee_id, Activity.role_id, Activity.items_count,
               Activity.window_start, Activity.window_end)
        .where(Activity.work_date == work_date, Activity.voided_at.is_(None))
    )  # fmt: skip
    found: dict[int, list[WorkSample]] = defaultdict(list)
    for employee_id, role_id, items, start, end in rows:
        found[employee_id].append(WorkSample(role_id, items, start, end))
    return found


async def _clocks(session: AsyncSession, work_date: date) -> dict[int, list[ClockSample]]:
    records = (
        await session.execute(
            select(ClockRecord.id, ClockRecord.employee_id, ClockRecord.clock_in,
                   ClockRecord.clock_out)
            .where(ClockRecord.work_date == work_date)
            .order_by(ClockRecord.clock_in)
        )
    ).all()  # fmt: skip
    breaks: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for record_id, start, end in await session.execute(
        select(ClockBreak.clock_record_id, ClockBreak.start, ClockBreak.end)
        .join(ClockRecord, ClockRecord.id == ClockBreak.clock_record_id)
        .where(ClockRecord.work_date == work_date)
    ):
        breaks[record_id].append((start, end))
    found: dict[int, list[ClockSample]] = defaultdict(list)
    for record_id, employee_id, clock_in, clock_out in records:
        found[employee_id].append(ClockSample(clock_in, clock_out, breaks.get(record_id, [])))
    return found


async def _teams(session: AsyncSession, employees: set[int]) -> dict[int, int | None]:
    if not employees:
        return {}
    rows = await session.execute(
        select(Employee.id, Employee.team_id).where(Employee.id.in_(employees))
    )
    return {employee_id: team_id for employee_id, team_id in rows}


async def _replace(
    session: AsyncSession,
    table: Table,
    work_date: date,
    final: set[int],
    rows: list[dict[str, Any]],
) -> None:
    """The day's rows of ``table``, except final employees', become ``rows``."""
    keep = table.c.employee_id.not_in(final) if final else None
    condition = table.c.work_date == work_date
    await session.execute(
        delete(table).where(and_(condition, keep) if keep is not None else condition)
    )
    if rows:
        await session.execute(insert(table), rows)
