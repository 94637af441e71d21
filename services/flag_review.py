"""Reviewing flags (SPEC §4): the list a manager works through, and an admin's resolution.

The score refresh raises and withdraws OPEN flags (``services.score_refresh``); a flag an
admin resolved or dismissed is never touched by it again, so a review is not undone by the
next refresh of its day.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Flag
from services import audit
from services.errors import BadInput, Conflict, NotFound
from services.keyset import Key, Keyset
from services.viewers import Viewer

MAX_NOTE = 1000


class FlagStatus(StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"
    DISMISSED = "DISMISSED"


class FlagResolution(StrEnum):
    RESOLVED = "RESOLVED"  # looked at, and something was done about it
    DISMISSED = "DISMISSED"  # looked at: nothing was wrong


# Newest work date first; served by (status, work_date), (team_id, status, work_date) and
# (work_date), each ending in the primary key as InnoDB's secondary indexes do.
FLAG_ORDER = Keyset("flags", (Key(Flag.work_date, descending=True), Key(Flag.id, descending=True)))


async def list_flags(
    *,
    session: AsyncSession,
    status: FlagStatus | None,
    team_ids: Collection[int] | None,  # None: every team's (and those of no team)
    limit: int,
    after: Sequence[Any] | None,
) -> Sequence[Flag]:
    statement = select(Flag).order_by(*FLAG_ORDER.order_by()).limit(limit)
    if status is not None:
        statement = statement.where(Flag.status == status.value)
    if team_ids is not None:
        statement = statement.where(Flag.team_id.in_(sorted(team_ids)))
    if after is not None:
        statement = statement.where(FLAG_ORDER.after(after))
    return (await session.scalars(statement)).all()


async def resolve_flag(
    *,
    session: AsyncSession,
    actor: Viewer,
    flag_id: int,
    resolution: FlagResolution,
    note: str | None,
    now: datetime,
) -> Flag:
    """Close an open flag with ``resolution`` and the admin's note (audited)."""
    why = _note(note)
    row = await session.get(Flag, flag_id, with_for_update=True)
    if row is None:
        raise NotFound("no such flag", field="id")
    if row.status != FlagStatus.OPEN:
        raise Conflict(f"this flag is already {row.status.lower()}", field="id")
    before = audit.snapshot(row)
    row.status = resolution.value
    row.resolved_by_user_id = actor.user_id
    row.resolved_at = now
    row.resolution_note = why
    await session.flush()
    await audit.record(
        session=session, actor=actor, action="resolve_flag", row=row, before=before, reason=why
    )
    return row


def _note(note: str | None) -> str | None:
    if note is None or not note.strip():
        return None
    if len(note) > MAX_NOTE:
        raise BadInput(f"a note has at most {MAX_NOTE:,} characters", field="note")
    return note.strip()
