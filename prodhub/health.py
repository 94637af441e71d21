"""Readiness: is the database (and Redis, when configured) reachable, and how is the pool."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as redis
from sqlalchemy import text
from sqlalchemy.pool import QueuePool

from db.engine import Database
from prodhub.settings import Settings

CHECK_TIMEOUT_SECONDS = 3.0


async def readiness(db: Database, settings: Settings) -> dict[str, Any]:
    checks: dict[str, Any] = {"database": await _database(db)}
    if settings.redis_url:
        checks["redis"] = await _redis(settings.redis_url)
    return {"ready": all(c["ok"] for c in checks.values()), "checks": checks}


async def _database(db: Database) -> dict[str, Any]:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), db.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure means "not ready"; the reason is logged, not shown
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "pool": _pool_status(db)}


def _pool_status(db: Database) -> dict[str, int]:
    pool = db.engine.pool
    if not isinstance(pool, QueuePool):
        return {}
    return {
        "size": pool.size(),
        "checked_out": pool.checkedout(),
        "overflow": max(0, pool.overflow()),  # negative while the pool is not yet full
        "idle": pool.checkedin(),
    }


async def _redis(url: str) -> dict[str, Any]:
    client = redis.Redis.from_url(url, socket_connect_timeout=CHECK_TIMEOUT_SECONDS)
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await client.ping()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    finally:
        await client.aclose()
    return {"ok": True}
