"""API keys: who a device is. (The admins' list, creation and revocation only run a service:
``resolvers.sessions``.)"""

from __future__ import annotations

from datetime import datetime

from db.engine import Database
from services import api_keys
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
