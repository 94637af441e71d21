"""Readiness: is the database (and Redis, when configured) reachable, and how is the pool."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from db.engine import Database

CHECK_TIMEOUT_SECONDS = 3.0

log = logging.getLogger(__name__)


async def readiness(db: Database, redis: Redis | None) -> dict[str, Any]:
    """Checks with the process's own engine and Redis client: a probe opens no new clients."""
    checks: dict[str, Any] = {"database": await _database(db)}
    if redis is not None:
        checks["redis"] = await _redis(redis)
    return {"ready": all(c["ok"] for c in checks.values()), "checks": checks}


async def _database(db: Database) -> dict[str, Any]:
    """A SELECT on the read path, the one every request takes."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await db.ping()
    except Exception as exc:  # any failure means "not ready"; the reason is logged, not shown
        log.warning("readiness: database unreachable", exc_info=True)
        return {"ok": False, "error": type(exc).__name__}
    pools = {"reads": _pool_status(db.read_engine)}
    if db.is_writing:
        pools["writes"] = _pool_status(db.engine)
    return {"ok": True, "pools": pools}


def _pool_status(engine: AsyncEngine) -> dict[str, int]:
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return {}
    return {
        "size": pool.size(),
        "checked_out": pool.checkedout(),
        "overflow": max(0, pool.overflow()),  # negative while the pool is not yet full
        "idle": pool.checkedin(),
    }


async def _redis(redis: Redis) -> dict[str, Any]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await redis.ping()
    except Exception as exc:
        log.warning("readiness: Redis unreachable", exc_info=True)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}
