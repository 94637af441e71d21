"""What every loader shares: the database it reads and a session per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, select
from strawberry.dataloader import DataLoader

from db.engine import Database

K = TypeVar("K")
V = TypeVar("V")


class BatchLoader(DataLoader[K, V]):
    """A DataLoader batching through ``load_batch``, reading from ``db``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        super().__init__(load_fn=self.load_batch)

    async def load_batch(self, keys: list[K]) -> Sequence[V]:
        raise NotImplementedError

    async def rows(self, statement: Select[Any]) -> Sequence[Any]:
        """Run one SELECT of ORM entities in a session of its own."""
        async with self.db.session() as session:
            return (await session.scalars(statement)).all()

    async def tuples(self, statement: Select[Any]) -> Sequence[Any]:
        """Run one SELECT of columns in a session of its own."""
        async with self.db.session() as session:
            result: Sequence[Any] = (await session.execute(statement)).all()
        return result


def by_key(keys: Iterable[K], found: dict[K, V]) -> list[V | None]:
    return [found.get(key) for key in keys]


def grouped(keys: Iterable[K], found: dict[K, list[V]]) -> list[list[V]]:
    return [found.get(key, []) for key in keys]


EmployeeDate = tuple[int, date]
Row = TypeVar("Row")


class RowsByEmployeeDateLoader(BatchLoader[EmployeeDate, list[Row]], Generic[Row]):
    """All rows of ``model`` for each (employee, work date), ordered by column ``order_by``.

    One statement for any mix of keys: employees IN (...) AND dates IN (...), then grouped.
    """

    model: ClassVar[type[Any]]
    order_by: ClassVar[str]  # a name: a mapped attribute here would bind to the loader

    async def load_batch(self, keys: list[EmployeeDate]) -> Sequence[list[Row]]:
        rows = await self.rows(
            select(self.model)
            .where(
                self.model.employee_id.in_({e for e, _ in keys}),
                self.model.work_date.in_({d for _, d in keys}),
            )
            .order_by(getattr(self.model, self.order_by))
        )
        found: dict[EmployeeDate, list[Row]] = defaultdict(list)
        for row in rows:
            found[(row.employee_id, row.work_date)].append(row)
        return grouped(keys, found)
