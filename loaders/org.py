"""Loaders of single rows by primary key, one class per table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import select

from db.models import Activity, ClockRecord, Employee, Role, Team
from loaders.base import BatchLoader, by_key

M = TypeVar("M", Team, Role, Employee, Activity, ClockRecord)


class RowByIdLoader(BatchLoader[int, M | None], Generic[M]):
    model: ClassVar[type[Any]]

    async def load_batch(self, keys: list[int]) -> Sequence[M | None]:
        rows = await self.rows(select(self.model).where(self.model.id.in_(keys)))
        return by_key(keys, {row.id: row for row in rows})

    def prime_rows(self, rows: Iterable[M]) -> None:
        for row in rows:
            self.prime(row.id, row)


class TeamByIdLoader(RowByIdLoader[Team]):
    model = Team


class RoleByIdLoader(RowByIdLoader[Role]):
    model = Role


class EmployeeByIdLoader(RowByIdLoader[Employee]):
    model = Employee


class ActivityByIdLoader(RowByIdLoader[Activity]):
    model = Activity


class ClockRecordByIdLoader(RowByIdLoader[ClockRecord]):
    model = ClockRecord
