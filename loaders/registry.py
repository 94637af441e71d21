"""All loaders of one request, each made on first use."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from db.engine import Database
from loaders.base import BatchLoader, RowByIdLoader

M = TypeVar("M")
L = TypeVar("L", bound=BatchLoader[Any, Any])


class Loaders:
    def __init__(self, db: Database, now: datetime) -> None:
        self.db = db
        self.now = now
        self._by_id: dict[type[Any], RowByIdLoader[Any]] = {}
        self._made: dict[type[BatchLoader[Any, Any]], BatchLoader[Any, Any]] = {}

    def release(self) -> None:
        """Drop what the loaders hold, once the request's answer is computed. The GraphQL
        execution that used them is a reference cycle (graphql-core's execution context
        keeps bound methods of itself) reaching the context, so without this every row and
        future a request loaded would wait for the garbage collector: ~2,000 objects a
        leaderboard page, and a 15 ms collection every dozen pages."""
        for loader in [*self._by_id.values(), *self._made.values()]:
            loader.clear_all()
            loader.batch = None

    def of(self, kind: type[L]) -> L:
        """The request's loader of that class, made on first use (``kind.for_request``): a
        new loader is a class in ``loaders/``, with nothing to register here."""
        made = self._made.get(kind)
        if made is None:
            made = self._made[kind] = kind.for_request(self)
        return made  # type: ignore[return-value]

    def by_id(self, model: type[M]) -> RowByIdLoader[M]:
        """The request's loader of ``model`` rows by primary key (one per table)."""
        if model not in self._by_id:
            self._by_id[model] = RowByIdLoader(self.db, model)
        return self._by_id[model]
