"""API keys: who a device is, and the admin's list, creation and revocation."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from db.engine import Database
from db.models import ApiKey
from resolvers.context import Context
from services import api_keys
from services.api_keys import ApiKeyScope, NewApiKey
from services.authentication import Viewer


async def device_viewer(db: Database, secret: str, now: datetime) -> Viewer | None:
    """The viewer of a request signed with an API key, or None for an unknown or revoked one.
    Its use is written at most once a minute (a write drops cached responses)."""
    row = await db.read(lambda session: api_keys.find_api_key(session=session, secret=secret))
    if row is None:
        return None
    if row.last_used_at is None or row.last_used_at < now - api_keys.USE_NOTED_EVERY:
        async with db.session() as session, session.begin():
            await api_keys.note_use(session=session, key_id=row.id, now=now)
    return api_keys.key_viewer(row)


async def all_api_keys(ctx: Context) -> Sequence[ApiKey]:
    return await ctx.db.read(lambda session: api_keys.list_api_keys(session=session))


async def create_api_key(ctx: Context, name: str, scope: ApiKeyScope) -> NewApiKey:
    return await ctx.db.write(
        lambda session: api_keys.create_api_key(
            session=session, actor=ctx.viewer, name=name, scope=scope
        )
    )


async def revoke_api_key(ctx: Context, key_id: int) -> ApiKey:
    return await ctx.db.write(
        lambda session: api_keys.revoke_api_key(
            session=session, actor=ctx.viewer, key_id=key_id, now=ctx.now
        )
    )
