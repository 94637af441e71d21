"""A Redis client: its pool fills on first use; its owner (``prodhub.resources``) closes it."""

from __future__ import annotations

from redis.asyncio import Redis

# A cache or a probe that waits longer than this is worse than none.
SOCKET_TIMEOUT_SECONDS = 1.0


def connect_redis(url: str) -> Redis:
    """A client for ``url``; nothing connects here."""
    return Redis.from_url(
        url,
        socket_timeout=SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=SOCKET_TIMEOUT_SECONDS,
        decode_responses=False,
    )
