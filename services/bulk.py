"""Writes of many rows in few statements.

aiomysql rewrites an executemany INSERT into multi-row statements, but sends an executemany
UPDATE as one round trip per row; ``update_by_id`` is one UPDATE per 500 rows instead, each
row with its own values (``SET c = CASE id WHEN … THEN … END``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, Update, bindparam, case, update

CHUNK = 500  # rows per UPDATE


def update_by_id(table: Table, rows: Sequence[Mapping[str, Any]], **same: Any) -> Iterator[Update]:
    """UPDATEs setting each row's (by ``id``) columns to its own values, and ``same`` on all."""
    for n in range(0, len(rows), CHUNK):
        chunk = rows[n : n + CHUNK]
        names = [name for name in chunk[0] if name != "id"]
        ids = [row["id"] for row in chunk]

        def per_id(name: str, chunk: Sequence[Mapping[str, Any]] = chunk) -> Any:
            column = table.c[name]
            values = {row["id"]: bindparam(None, row[name], type_=column.type) for row in chunk}
            return case(values, value=table.c.id, else_=column)

        yield (
            update(table)
            .where(table.c.id.in_(ids))
            .values(**{name: per_id(name) for name in names}, **same)
        )
