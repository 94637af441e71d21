"""Loaders for score explanations, keyed by employee and work date.

A batch costs the scores' SELECT (shared with ``score`` fields of the same request: the
same loader) and then three more for any number of keys: the days' live activities, their
live clock records with their breaks (one join), and the standard sets the scores name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Self

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dated
from db.engine import Database
from db.models import Activity, ClockBreak, ClockRecord, DailyScore, StandardSet
from loaders.base import BatchLoader, EmployeeDate, Request
from loaders.scores import ScoreByEmployeeDateLoader
from services.explanations import Explanation, explain_day
from services.scores import FIGURES, ClockSample, WorkSample
from services.standard_sets import from_row


@dataclass(frozen=True, slots=True)
class ExplainedScore:
    explanation: Explanation
    agrees: bool  # the stored score has the explanation's figures


class ExplanationByEmployeeDateLoader(BatchLoader[EmployeeDate, ExplainedScore | None]):
    """None for a day without a score, or with a score whose standards were not recorded
    (computed before they were)."""

    def __init__(self, db: Database, scores: ScoreByEmployeeDateLoader) -> None:
        super().__init__(db)
        self.scores = scores

    @classmethod
    def for_request(cls, request: Request) -> Self:
        return cls(request.db, request.of(ScoreByEmployeeDateLoader))

    async def load_batch(self, keys: list[EmployeeDate]) -> Sequence[ExplainedScore | None]:
        found = await self.scores.load_many(keys)
        scored = {
            key: row
            for key, row in zip(keys, found, strict=True)
            if row is not None and row.standard_set_id is not None
        }
        if not scored:
            return [None] * len(keys)
        work, clocks, sets = await self.db.read(lambda session: _day_rows(session, scored))
        explained = {}
        for key, row in scored.items():
            explanation = explain_day(
                work=work.get(key, []),
                clocks=[ClockSample(i, o, b) for i, o, b in clocks.get(key, {}).values()],
                standards=sets[row.standard_set_id or ""],
                now=row.updated_at,
            )
            stored = {name: getattr(row, name) for name in FIGURES}
            explained[key] = ExplainedScore(explanation, explanation.agrees_with(stored))
        return [explained.get(key) for key in keys]


Clocks = dict[EmployeeDate, dict[int, tuple[Any, Any, list[Any]]]]


async def _day_rows(
    session: AsyncSession, scored: dict[EmployeeDate, DailyScore]
) -> tuple[dict[EmployeeDate, list[WorkSample]], Clocks, dict[str, Any]]:
    employees, days = {e for e, _ in scored}, {d for _, d in scored}
    work: dict[EmployeeDate, list[WorkSample]] = defaultdict(list)
    for employee_id, day, role_id, items, start, end in await session.execute(
        dated(
            select(Activity.employee_id, Activity.work_date, Activity.role_id,
                   Activity.items_count, Activity.window_start, Activity.window_end)
            .where(Activity.employee_id.in_(employees), Activity.work_date.in_(days),
                   Activity.voided_at.is_(None))
            .order_by(Activity.employee_id, Activity.id),
            "activities", days,
        )
    ):  # fmt: skip
        if (employee_id, day) in scored:
            work[(employee_id, day)].append(WorkSample(role_id, items, start, end))
    clocks = await _clocks(session, scored, employees, days)
    ids = {row.standard_set_id for row in scored.values()}
    sets = await session.scalars(
        dated(select(StandardSet).where(StandardSet.id.in_(ids)), "standard_sets", days)
    )
    return work, clocks, {row.id: from_row(row) for row in sets}


async def _clocks(
    session: AsyncSession, scored: dict[EmployeeDate, DailyScore], employees: set[int],
    days: set[date],
) -> Clocks:  # fmt: skip
    """Each key's live clock records (by clock-in, as the refresh orders them), each with
    its breaks."""
    found: Clocks = defaultdict(dict)
    for record_id, employee_id, day, clock_in, clock_out, start, end in await session.execute(
        dated(
            select(ClockRecord.id, ClockRecord.employee_id, ClockRecord.work_date,
                   ClockRecord.clock_in, ClockRecord.clock_out, ClockBreak.start, ClockBreak.end)
            .outerjoin(ClockBreak, ClockBreak.clock_record_id == ClockRecord.id)
            .where(ClockRecord.employee_id.in_(employees), ClockRecord.work_date.in_(days),
                   ClockRecord.voided_at.is_(None))
            .order_by(ClockRecord.clock_in, ClockRecord.id),
            "clock_records", days,
        )
    ):  # fmt: skip
        if (employee_id, day) not in scored:
            continue
        record = found[(employee_id, day)].setdefault(record_id, (clock_in, clock_out, []))
        if start is not None:
            record[2].append((start, end))
    return found
