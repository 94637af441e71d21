"""What every loader shares: batching, reads on the database's read path, and key helpers.

A batch function runs one ``WHERE key IN (...)`` through ``Database.read`` (an autocommit
connection of its own, so concurrent batches never share one and the server sees only the
SELECT), builds a dict and answers ``[found.get(k) for k in keys]`` (``[]`` for lists).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from cache.tags import dated
from db.engine import Database

K = TypeVar("K")
V = TypeVar("V")
Row = TypeVar("Row")
Made = TypeVar("Made", bound="BatchLoader[Any, Any]")


class Request(Protocol):
    """What a loader may take from its request when it is made: the database, the request's
    time, the request's loaders of rows by id and its other loaders
    (``loaders.registry.Loaders``)."""

    db: Database
    now: datetime

    def by_id(self, model: type[Row]) -> RowByIdLoader[Row]: ...

    def of(self, kind: type[Made]) -> Made: ...


class BatchLoader(DataLoader[K, V]):
    """A DataLoader batching through ``load_batch``, reading from ``db``."""

    def __init__(self, db: Database) -> None:
        self.db = db
        super().__init__(load_fn=self.load_batch)

    @classmethod
    def for_request(cls, request: Request) -> Self:
        """This loader for one request (``Loaders.of``); a loader that needs more of the
        request than its database says so here."""
        return cls(request.db)

    async def load_batch(self, keys: list[K]) -> Sequence[V]:
        raise NotImplementedError

    async def rows(self, statement: Select[Any]) -> Sequence[Any]:
        """The ORM entities of one SELECT."""

        async def scalars(session: AsyncSession) -> Sequence[Any]:
            return (await session.scalars(statement)).all()

        return await self.db.read(scalars)

    async def tuples(self, statement: Select[Any]) -> Sequence[Any]:
        """The rows of one SELECT of columns (and entities)."""

        async def rows(session: AsyncSession) -> Sequence[Any]:
            result: Sequence[Any] = (await session.execute(statement)).all()
            return result

        return await self.db.read(rows)


MISSING: Any = object()


def known(loader: DataLoader[K, V], key: K) -> V:
    """The loader's value for ``key`` if it holds it already (loaded or primed), else
    ``MISSING``: a field can then answer at once instead of awaiting a future."""
    found = loader.cache_map.get(key)
    if found is not None and found.done() and not found.cancelled() and not found.exception():
        return found.result()
    return MISSING  # type: ignore[no-any-return]


def by_key(keys: Iterable[K], found: dict[K, V]) -> list[V | None]:
    return [found.get(key) for key in keys]


def grouped(keys: Iterable[K], found: dict[K, list[V]]) -> list[list[V]]:
    return [found.get(key, []) for key in keys]


class RowByIdLoader(BatchLoader[int, Row | None], Generic[Row]):
    """Rows of one table by primary key; ``Loaders.by_id(Model)`` keeps one per model."""

    def __init__(self, db: Database, model: type[Row]) -> None:
        super().__init__(db)
        self.model: Any = model

    async def load_batch(self, keys: list[int]) -> Sequence[Row | None]:
        rows = await self.rows(select(self.model).where(self.model.id.in_(keys)))
        return by_key(keys, {row.id: row for row in rows})

    def prime_rows(self, rows: Iterable[Row]) -> None:
        for row in rows:
            self.prime(row.id, row)  # type: ignore[attr-defined]


EmployeeDate = tuple[int, date]


class RowsByEmployeeDateLoader(BatchLoader[EmployeeDate, list[Row]], Generic[Row]):
    """All rows of ``model`` for each (employee, work date), ordered by column ``order_by``.

    One statement for any mix of keys: employees IN (...) AND dates IN (...), then grouped.
    """

    model: ClassVar[type[Any]]
    order_by: ClassVar[str]  # a name: a mapped attribute here would bind to the loader

    async def load_batch(self, keys: list[EmployeeDate]) -> Sequence[list[Row]]:
        days = {d for _, d in keys}
        statement = (
            select(self.model)
            .where(self.model.employee_id.in_({e for e, _ in keys}), self.model.work_date.in_(days))
            .order_by(getattr(self.model, self.order_by))
        )
        rows = await self.rows(dated(statement, self.model.__tablename__, days))
        found: dict[EmployeeDate, list[Row]] = defaultdict(list)
        for row in rows:
            found[(row.employee_id, row.work_date)].append(row)
        return grouped(keys, found)
