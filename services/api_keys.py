"""API keys for scanners, floor screens and other devices: created and revoked by admins,
shown once. An INGEST key records activities; a DISPLAY key (a screen on the floor) shows its
one team's leaderboard, as a non-admin sees it.

A key is 32 random bytes (``phk_`` + base64url). Only its SHA-256 is stored: a random key of
that length needs no slow hash, and a lookup by hash is one indexed SELECT. Its use is noted
in ``last_used_at`` at most once a minute, not on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApiKey, Team
from services import audit, validation
from services.authentication import Viewer
from services.errors import BadInput, Conflict, NotFound

PREFIX = "phk_"
USE_NOTED_EVERY = timedelta(minutes=1)


class ApiKeyScope(StrEnum):
    INGEST = "INGEST"  # recordActivities, and nothing else
    DISPLAY = "DISPLAY"  # its team's leaderboard (query and subscription), and nothing else


@dataclass(frozen=True)
class NewApiKey:
    row: ApiKey
    secret: str  # shown once, never stored


def is_api_key(token: str) -> bool:
    return token.startswith(PREFIX)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def list_api_keys(*, session: AsyncSession) -> Sequence[ApiKey]:
    return (await session.scalars(select(ApiKey).order_by(ApiKey.id))).all()


async def create_api_key(
    *,
    session: AsyncSession,
    actor: Viewer,
    name: str,
    scope: ApiKeyScope,
    team_id: int | None = None,
) -> NewApiKey:
    """A new key; a DISPLAY key needs the team it shows, any other key must have none."""
    name = validation.text("name", name)
    if scope is ApiKeyScope.DISPLAY and team_id is None:
        raise BadInput("a DISPLAY key shows one team's leaderboard: name the team", field="teamId")
    if scope is not ApiKeyScope.DISPLAY and team_id is not None:
        raise BadInput(f"an {scope.value} key belongs to no team", field="teamId")
    if team_id is not None and await session.get(Team, team_id) is None:
        raise NotFound("no such team", field="teamId")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(name=name, scope=scope.value, team_id=team_id, key_hash=_digest(secret))
    session.add(row)
    await session.flush()
    await audit.record(session=session, actor=actor, action="create", row=row, before=None)
    return NewApiKey(row, secret)


async def revoke_api_key(
    *, session: AsyncSession, actor: Viewer, key_id: int, now: datetime
) -> ApiKey:
    row = await session.scalar(select(ApiKey).where(ApiKey.id == key_id).with_for_update())
    if row is None:
        raise NotFound("no such API key", field="id")
    if row.revoked_at is not None:
        raise Conflict("this API key is already revoked", field="id")
    before = audit.snapshot(row)
    row.revoked_at = now
    await session.flush()
    await audit.record(session=session, actor=actor, action="revoke", row=row, before=before)
    return row


async def find_api_key(*, session: AsyncSession, secret: str) -> ApiKey | None:
    """The live key with this secret, or None (unknown or revoked)."""
    return await session.scalar(
        select(ApiKey).where(ApiKey.key_hash == _digest(secret), ApiKey.revoked_at.is_(None))
    )


async def note_use(*, session: AsyncSession, key_id: int, now: datetime) -> None:
    """Set ``last_used_at`` unless it was set less than a minute ago (one conditional UPDATE)."""
    await session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key_id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - USE_NOTED_EVERY),
        )
        .values(last_used_at=now)
    )


def key_viewer(row: ApiKey) -> Viewer:
    display_team = row.team_id if row.scope == ApiKeyScope.DISPLAY else None
    return Viewer(api_key_id=row.id, scopes=frozenset({row.scope}), display_team_id=display_team)
