"""Loaders for clock records and their breaks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Self

from sqlalchemy import select

from db.engine import Database
from db.models import ClockBreak, ClockRecord
from loaders.base import BatchLoader, Request, RowsByEmployeeDateLoader, by_key, grouped
from services.scores import MAX_SHIFT


class ClockRecordsByEmployeeDateLoader(RowsByEmployeeDateLoader[ClockRecord]):
    model = ClockRecord
    order_by = "clock_in"


class OpenClockRecordByEmployeeLoader(BatchLoader[int, ClockRecord | None]):
    """The record an employee is clocked in on now (open, and younger than the 16 h cap)."""

    def __init__(self, db: Database, now: datetime) -> None:
        super().__init__(db)
        self.now = now

    @classmethod
    def for_request(cls, request: Request) -> Self:
        return cls(request.db, request.now)

    async def load_batch(self, keys: list[int]) -> Sequence[ClockRecord | None]:
        rows = await self.rows(
            select(ClockRecord)
            .where(
                ClockRecord.employee_id.in_(keys),
                ClockRecord.clock_out.is_(None),
                ClockRecord.voided_at.is_(None),
                ClockRecord.clock_in > self.now - MAX_SHIFT,
                ClockRecord.clock_in <= self.now,
            )
            .order_by(ClockRecord.clock_in)
        )
        return by_key(keys, {row.employee_id: row for row in rows})


class BreaksByClockRecordLoader(BatchLoader[int, list[ClockBreak]]):
    async def load_batch(self, keys: list[int]) -> Sequence[list[ClockBreak]]:
        rows = await self.rows(
            select(ClockBreak)
            .where(ClockBreak.clock_record_id.in_(keys))
            .order_by(ClockBreak.start)
        )
        found: dict[int, list[ClockBreak]] = defaultdict(list)
        for row in rows:
            found[row.clock_record_id].append(row)
        return grouped(keys, found)
