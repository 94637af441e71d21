"""Readiness: is the database reachable, how are its pools, and does Redis (when configured)
answer.

Only the database decides: without it nothing can be answered, so ``ready`` is false and the
route answers 503 (out of rotation). Without Redis every read still answers (uncached), sign-in
limits count in memory and refreshes are owed (``prodhub.job_queue``): the process is
``degraded``, still ready (HTTP 200), and says so in the body. So is a database replica that
is down or further behind than ``PRODHUB_REPLICA_MAX_LAG_SECONDS``: the primary answers its
reads meanwhile. Both checks run at once and are
bounded: the database's by ``CHECK_TIMEOUT_SECONDS``, Redis's by the cache client's short
timeout, ``REDIS_CHECK_SECONDS`` and the cache's circuit breaker (while it is open Redis is
not asked: a black-holed Redis costs a probe nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from cache.breaker import Breaker, guarded
from db.engine import Database
from db.replicas import Replicas

CHECK_TIMEOUT_SECONDS = 3.0
REDIS_CHECK_SECONDS = 0.5


class RedisDown(Exception):
    """Redis did not answer the probe (or its breaker is open)."""


log = logging.getLogger(__name__)


async def readiness(
    db: Database, redis: Redis | None, breaker: Breaker | None = None
) -> dict[str, Any]:
    """Checks with the process's own engine and Redis client (``redis``: one that gives up
    fast, behind ``breaker``): a probe opens no new clients. ``status`` is ``ok``,
    ``degraded`` (ready, something other than the database fails) or ``unavailable``."""
    if redis is None:
        checks: dict[str, Any] = {"database": await _database(db)}
    else:
        database, cache = await asyncio.gather(_database(db), _redis(redis, breaker))
        checks = {"database": database, "redis": cache}
    if db.replicas is not None:
        checks["replicas"] = await _replicas(db.replicas)
    ready = bool(checks["database"]["ok"])
    failing = [name for name, check in checks.items() if not check["ok"]]
    status = "unavailable" if not ready else "degraded" if failing else "ok"
    return {"ready": ready, "status": status, "checks": checks}


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


async def _replicas(replicas: Replicas) -> dict[str, Any]:
    """Each replica's lag as the background poll last measured it (a probe sends no statement
    of its own; the first one waits for the first poll, ``CHECK_TIMEOUT_SECONDS`` at most).
    ``read``: whether reads go to it now. One not read (down, or further behind than
    ``max_lag_seconds``) degrades the process; the primary answers its reads meanwhile."""
    replicas.start()
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await replicas.first_poll()
    now = replicas.clock()
    found = {
        replica.name: {
            "up": replica.up,
            "lag_seconds": None if (lag := replica.lag(now)) is None else round(lag, 3),
            "read": replicas.usable(replica, None, now),
        }
        for replica in replicas.members
    }
    return {
        "ok": all(each["read"] for each in found.values()),
        "max_lag_seconds": replicas.max_lag,
        "replicas": found,
    }


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


async def _redis(redis: Redis, breaker: Breaker | None) -> dict[str, Any]:
    async def ping() -> None:
        try:
            async with asyncio.timeout(REDIS_CHECK_SECONDS):
                await redis.ping()
        except Exception as exc:
            raise RedisDown(type(exc).__name__) from exc

    try:
        await guarded(breaker, ping, RedisDown)
    except RedisDown as down:  # the reason is logged; the body names its kind only
        log.warning("readiness: Redis unreachable: %s", down)
        reason = str(down) if down.__cause__ is not None else "CircuitOpen"
        return {"ok": False, "error": reason}
    return {"ok": True}
