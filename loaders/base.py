"""What every loader shares: the database it reads and a session per batch."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
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
