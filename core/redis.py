"""Redis clients: their pools fill on first use; their owner (``prodhub.resources``, or for the
web's broker ``prodhub.job_queue.JobQueue``) closes them."""

from __future__ import annotations

import redis
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry as SyncRetry

# The process's client (jobs, the scheduler's lease, login limits, readiness): a probe that
# waits longer than this is worse than none.
SOCKET_TIMEOUT_SECONDS = 1.0
# The response cache's own client: a cache that does not answer at once is skipped (its circuit
# breaker stops asking for a while), never retried.
CACHE_TIMEOUT_SECONDS = 0.2
# The web's broker client (Dramatiq's, which blocks: it runs in a thread of its own, never on
# the event loop): an enqueue that does not answer within this is owed and sent later.
BROKER_TIMEOUT_SECONDS = 0.5


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


def connect_broker_redis(url: str) -> redis.Redis:
    """The blocking client the web's Dramatiq broker enqueues with: short timeouts, and one
    retry on a fresh connection only when the pooled one was closed (a Redis that restarted),
    never after a timeout (a Redis that does not answer is not asked twice)."""
    return redis.Redis.from_url(
        url,
        socket_timeout=BROKER_TIMEOUT_SECONDS,
        socket_connect_timeout=BROKER_TIMEOUT_SECONDS,
        retry=SyncRetry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        decode_responses=False,
    )
