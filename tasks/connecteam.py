"""Connecteam syncs. A sync reads Connecteam first, outside any transaction, then writes what
it read in one transaction with its run recorded (``services.jobs.run_job``) and a row in
``sync_runs``: a run that fails writes nothing but its failure, and the queue retries it."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import SyncRun
from services.connecteam.client import ConnecteamError, from_settings
from services.connecteam.users_sync import apply_users
from services.jobs import run_job
from tasks.runtime import current

log = logging.getLogger(__name__)

SYNC_USERS = "sync_users"
USERS = "USERS"
# An incremental run asks for users changed since the last successful run began, less this:
# a change made while that run was reading is read again, never missed.
OVERLAP = timedelta(hours=1)


async def sync_users(tick: str, full: bool = False) -> None:
    """Connecteam users into employees: changed ones since the last successful run, or all."""
    runtime, now = current(), current().instant(tick)
    client = from_settings(runtime.settings)
    if client is None:

        async def not_configured(session: AsyncSession) -> dict[str, Any]:
            return {"configured": False}

        log.info("sync_users: Connecteam is not configured (PRODHUB_CONNECTEAM_API_KEY)")
        await run_job(db=runtime.db, job=SYNC_USERS, tick=tick, now=now, work=not_configured)
        return
    since = None if full else await runtime.db.read(_last_success)
    modified_since = int((since - OVERLAP).timestamp()) if since is not None else None
    failure: ConnecteamError | None = None
    async with client:
        try:
            users = await client.users(modified_since=modified_since)
        except ConnecteamError as failed:
            users, failure = [], failed
        calls = client.calls

    async def work(session: AsyncSession) -> dict[str, Any]:
        if failure is not None:
            raise failure
        synced = asdict(await apply_users(session=session, users=users, now=now))
        counts = synced | {"calls": calls, "modified_since": modified_since}
        session.add(SyncRun(kind=USERS, status="SUCCEEDED", started_at=now, finished_at=now,
                            counts=counts))  # fmt: skip
        return counts

    try:
        await run_job(db=runtime.db, job=SYNC_USERS, tick=tick, now=now, work=work)
    except ConnecteamError as failed:
        error = str(failed)

        async def record(session: AsyncSession) -> None:
            session.add(SyncRun(kind=USERS, status="FAILED", started_at=now, finished_at=now,
                                counts={"calls": calls}, error=error))  # fmt: skip

        await runtime.db.write(record)
        raise


async def _last_success(session: AsyncSession) -> datetime | None:
    found: datetime | None = await session.scalar(
        select(SyncRun.started_at)
        .where(SyncRun.kind == USERS, SyncRun.status == "SUCCEEDED")
        .order_by(SyncRun.started_at.desc())
        .limit(1)
    )
    return found
