"""Loaders for daily scores and idle periods, keyed by employee and work date."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from cache.tags import dated
from db.models import DailyScore, IdlePeriod
from loaders.base import BatchLoader, EmployeeDate, RowsByEmployeeDateLoader, by_key

EmployeeRange = tuple[int, date, date]


class ScoreByEmployeeDateLoader(BatchLoader[EmployeeDate, DailyScore | None]):
    async def load_batch(self, keys: list[EmployeeDate]) -> Sequence[DailyScore | None]:
        days = {d for _, d in keys}
        rows = await self.rows(
            dated(
                select(DailyScore).where(
                    DailyScore.employee_id.in_({e for e, _ in keys}), DailyScore.work_date.in_(days)
                ),
                "daily_scores",
                days,
            )
        )
        return by_key(keys, {(row.employee_id, row.work_date): row for row in rows})


class ScoresByEmployeeRangeLoader(BatchLoader[EmployeeRange, list[DailyScore]]):
    async def load_batch(self, keys: list[EmployeeRange]) -> Sequence[list[DailyScore]]:
        first, last = min(k[1] for k in keys), max(k[2] for k in keys)
        rows = await self.rows(
            dated(
                select(DailyScore)
                .where(
                    DailyScore.employee_id.in_({e for e, _, _ in keys}),
                    DailyScore.work_date.between(first, last),
                )
                .order_by(DailyScore.employee_id, DailyScore.work_date),
                "daily_scores",
                (first, last),
            )
        )
        by_employee: dict[int, list[DailyScore]] = defaultdict(list)
        for row in rows:
            by_employee[row.employee_id].append(row)
        return [
            [r for r in by_employee[emp] if start <= r.work_date <= end] for emp, start, end in keys
        ]


class IdlePeriodsByEmployeeDateLoader(RowsByEmployeeDateLoader[IdlePeriod]):
    model = IdlePeriod
    order_by = "start"
