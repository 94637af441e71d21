"""Redis clients: their pools fill on first use; their owner (``prodhub.resources``) closes them."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

# The process's client (jobs, the scheduler's lease, login limits, readiness): a probe that
# waits longer than this is worse than none.
SOCKET_TIMEOUT_SECONDS = 1.0
# The response cache's own client: a cache that does not answer at once is skipped (its circuit
# breaker stops asking for a while), never retried.
CACHE_TIMEOUT_SECONDS = 0.2


def connect_redis(url: str) -> Redis:
    """A client for ``url``; nothing connects here."""
    return Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        decode_responses=False,
    )


def connect_cache_redis(url: str) -> Redis:
    """The cache's client for ``url``: short timeouts, no retries."""
    return Redis.from_url(
        url,
        socket_timeout=CACHE_TIMEOUT_SECONDS,
        socket_connect_timeout=CACHE_TIMEOUT_SECONDS,
        retry=Retry(NoBackoff(), 0),
        decode_responses=False,
    )
