"""The shared response cache: Redis when ``PRODHUB_REDIS_URL`` is set, else in-process memory."""

from cache.backends import CacheBackend, CacheError, MemoryBackend, RedisBackend
from cache.responses import Lookup, Policy, ResponseCache, build_response_cache

__all__ = [
    "CacheBackend",
    "CacheError",
    "Lookup",
    "MemoryBackend",
    "Policy",
    "RedisBackend",
    "ResponseCache",
    "build_response_cache",
]
