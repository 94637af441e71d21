"""Loaders for an employee's streak and badges."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from db.models import Badge, Streak
from loaders.base import BatchLoader, by_key, grouped


class StreakByEmployeeLoader(BatchLoader[int, Streak | None]):
    async def load_batch(self, keys: list[int]) -> Sequence[Streak | None]:
        rows = await self.rows(select(Streak).where(Streak.employee_id.in_(keys)))
        return by_key(keys, {row.employee_id: row for row in rows})


class BadgesByEmployeeLoader(BatchLoader[int, list[Badge]]):
    """Each employee's badges, in the order they were earned."""

    async def load_batch(self, keys: list[int]) -> Sequence[list[Badge]]:
        rows = await self.rows(
            select(Badge)
            .where(Badge.employee_id.in_(keys))
            .order_by(Badge.employee_id, Badge.work_date, Badge.id)
        )
        found: dict[int, list[Badge]] = defaultdict(list)
        for row in rows:
            found[row.employee_id].append(row)
        return grouped(keys, found)
