"""The audit log: who changed what, when, what it was before and after, and why."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import AuditLog
from services.authentication import Viewer
from services.errors import Unauthenticated

UNAUDITED_COLUMNS = frozenset({"created_at", "updated_at", "password_hash", "key_hash"})


def snapshot(row: Any) -> dict[str, Any]:
    """A row's columns as JSON values (timestamps and secrets left out)."""
    return {
        column.key: _plain(getattr(row, column.key))
        for column in inspect(type(row)).columns
        if column.key not in UNAUDITED_COLUMNS
    }


async def record(
    *,
    session: AsyncSession,
    actor: Viewer,
    action: str,
    row: Any,
    before: dict[str, Any] | None,
    reason: str | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    """Note ``action`` on ``row`` in the caller's transaction: it commits or rolls back with it.
    ``after`` is the row's snapshot unless given (a row with what belongs to it, e.g. a clock
    record with its breaks).

    ``Unauthenticated`` when the actor's user no longer exists (deleted in another process
    that has not told this one yet: ``services.revocation``): the entry's only reference."""
    await session.flush()  # the change itself first: its own failures are not the actor's
    entry = AuditLog(
        actor_user_id=actor.user_id,
        actor_label=actor.email or f"user {actor.user_id}",
        action=action,
        entity=type(row).__tablename__,
        entity_id=":".join(str(part) for part in inspect(row).identity or ()),
        before=before,
        after=snapshot(row) if after is None else after,
        reason=reason,
    )
    session.add(entry)
    try:
        await session.flush()
    except IntegrityError:
        raise Unauthenticated("the signed-in user no longer exists; sign in again") from None
    return entry


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value
