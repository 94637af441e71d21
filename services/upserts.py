"""Create-or-update by a natural key (a team's key, a role's key, an employee's code), audited.

The row is read with ``FOR UPDATE``, so two upserts of one key take turns; when it does not
exist yet, it is inserted in a savepoint, and a concurrent insert of the same key is a
``Conflict`` instead of a second row. The caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from services import audit
from services.authentication import Viewer
from services.errors import Conflict

M = TypeVar("M")


@dataclass(frozen=True)
class Upserted(Generic[M]):
    row: M
    created: bool


async def upsert_by_key(
    *,
    session: AsyncSession,
    actor: Viewer,
    model: type[M],
    key: InstrumentedAttribute[str],
    value: str,
    fields: dict[str, Any],
) -> Upserted[M]:
    row: Any = await session.scalar(select(model).where(key == value).with_for_update())
    if row is not None:
        before = audit.snapshot(row)
        for name, new in fields.items():
            setattr(row, name, new)
        await session.flush()
        await audit.record(session=session, actor=actor, action="update", row=row, before=before)
        return Upserted(row, created=False)
    row = model(**{key.key: value, **fields})
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise Conflict(f"{value!r} was created by another request at the same time") from None
    await audit.record(session=session, actor=actor, action="create", row=row, before=None)
    return Upserted(row, created=True)
