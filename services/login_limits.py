"""Failed sign-ins, limited so that guessing is slow and a stranger cannot lock anybody out.

Counting per account alone would let anyone lock any account (an admin's too) by failing on
purpose; counting per client address alone would let a crowd of addresses guess one account
at full speed. So failures count three ways:

- per account and client address: after 5 failures in 15 minutes that client's attempts on
  that account are refused (``RATE_LIMITED``) until the oldest failure is 15 minutes old;
- per client address: after 30 failures in 15 minutes all its attempts are refused. An IPv6
  client is its /64: one host holds the whole prefix;
- per account, from anywhere, slower and larger, and it delays rather than refuses: past 10
  failures in an hour the account's attempts take turns, each starting 0.5 s after the one
  before, doubling with every further failure up to 4 s. An attempt whose turn is more than
  5 s away is refused, so a request never waits long and a crowd of concurrent attempts gets
  one guess per 4 s, not one each.

An address the account signed in from in the last 30 days (a "trusted device", known by its
address) skips the per-address limit and the turns, never its own 5 failures: the owner gets
in while strangers hammer the account from elsewhere, or other accounts from the same office.

Counts live in Redis when there is one (every process shares them) and always in this
process's memory too, which answers whenever Redis does not: a failed call, or the circuit
breaker (``cache.breaker``) open after one, falls back to memory, never to no limit.
Redis calls go through the cache's client (short timeouts, no retries) and its breaker, so a
black-holed Redis costs one short timeout per breaker window, not one per sign-in.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from ipaddress import IPv6Address, ip_address, ip_network
from typing import TypeVar

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter, RateLimiter
from limits.errors import StorageError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from cache.breaker import Breaker, guarded
from services.users import MAX_EMAIL_LENGTH, normalize_email

__all__ = ["LoginLimits"]

PER_ACCOUNT_AND_ADDRESS = parse("5/15minutes")
PER_ADDRESS = parse("30/15minutes")
# Counted up to 50 an hour: enough to reach the longest spacing.
PER_ACCOUNT = parse("50/hour")
FREE_ACCOUNT_FAILURES = 10  # before the account's attempts take turns
FIRST_SPACING_SECONDS = 0.5
MAX_SPACING_SECONDS = 4.0
MAX_WAIT_SECONDS = 5.0  # well under the 10 s an operation may run
# One hit marks an address the account signed in from; the mark lasts 30 days.
SIGNED_IN_FROM = parse("1/30days")
IPV6_CLIENT_PREFIX = 64
_REMEMBERED_TURNS = 10_000  # accounts whose last turn memory keeps before dropping stale ones

# The account's turn, atomically: KEYS[1] holds when the last attempt's turn was; ARGV: now,
# spacing, longest wait (seconds). Answers the wait as a string, or nil when it is too long.
_TURN_SCRIPT = """
local now, spacing, longest = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local last = tonumber(redis.call('GET', KEYS[1]))
local turn = now
if last and last + spacing > now then turn = last + spacing end
if turn - now > longest then return false end
redis.call('SET', KEYS[1], tostring(turn), 'PX', math.ceil((turn - now + spacing) * 1000))
return tostring(turn - now)
"""
_TURN_KEY = "prodhub:limits:login-turn:"

log = logging.getLogger(__name__)
T = TypeVar("T")


class LoginLimits:
    """What a ``login`` asks before checking a password, and tells after."""

    def __init__(
        self,
        redis: Redis | None,
        breaker: Breaker | None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """``redis``: a client that gives up fast (``core.redis.connect_cache_redis``), behind
        ``breaker``; None counts in memory only. ``clock`` and ``sleep`` time the turns."""
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared = MovingWindowRateLimiter(_storage(redis)) if redis is not None else None
        self._turn_script = redis.register_script(_TURN_SCRIPT) if redis is not None else None
        self._breaker = breaker
        self._turns: dict[str, float] = {}  # account: its last turn, in memory
        self._in_memory = False  # the last answer came from memory though Redis is configured
        self.clock = clock
        self.sleep = sleep

    async def admit(self, *, email: str, address: str) -> bool:
        """Whether this attempt may check its password; when the account's attempts take
        turns, it returns at this attempt's turn."""
        account, client = account_key(email), client_key(address)
        if not await self._ask(
            lambda lim: lim.test(PER_ACCOUNT_AND_ADDRESS, "login", account, client)
        ):
            return False
        if not await self._ask(
            lambda lim: lim.test(SIGNED_IN_FROM, "login-known", account, client)
        ):
            return True  # signed in from here lately: others' failures do not hold it up
        if not await self._ask(lambda lim: lim.test(PER_ADDRESS, "login-address", client)):
            return False
        stats = await self._ask(
            lambda lim: lim.get_window_stats(PER_ACCOUNT, "login-account", account)
        )
        spacing = spacing_after(PER_ACCOUNT.amount - stats.remaining)
        if spacing == 0:
            return True
        wait = await self._turn(account, spacing)
        if wait is None:
            return False
        if wait > 0:
            await self.sleep(wait)
        return True

    async def failed(self, *, email: str, address: str) -> None:
        account, client = account_key(email), client_key(address)
        await self._ask(lambda lim: lim.hit(PER_ACCOUNT_AND_ADDRESS, "login", account, client))
        await self._ask(lambda lim: lim.hit(PER_ADDRESS, "login-address", client))
        await self._ask(lambda lim: lim.hit(PER_ACCOUNT, "login-account", account))

    async def signed_in(self, *, email: str, address: str) -> None:
        account, client = account_key(email), client_key(address)
        await self._ask(lambda lim: lim.hit(SIGNED_IN_FROM, "login-known", account, client))

    async def _ask(self, call: Callable[[RateLimiter], Awaitable[T]]) -> T:
        """Memory's answer, and Redis's when there is one: Redis's if it answers."""
        local = await call(self._local)
        shared = self._shared
        if shared is None:
            return local
        try:
            found = await guarded(self._breaker, lambda: call(shared), StorageError)
        except StorageError:
            self._note_memory(True)
            return local
        self._note_memory(False)
        return found

    async def _turn(self, account: str, spacing: float) -> float | None:
        """How long until this attempt's turn; None when that is too long to wait."""
        now = self.clock()
        local = self._local_turn(account, spacing, now)
        script = self._turn_script
        if script is None:
            return local

        async def shared() -> bytes | None:
            try:
                found: bytes | None = await script(
                    keys=[_TURN_KEY + account], args=[repr(now), spacing, MAX_WAIT_SECONDS]
                )
            except RedisError as exc:
                raise StorageError(exc) from exc
            return found

        try:
            found = await guarded(self._breaker, shared, StorageError)
        except StorageError:
            self._note_memory(True)
            return local
        self._note_memory(False)
        return float(found) if found is not None else None

    def _local_turn(self, account: str, spacing: float, now: float) -> float | None:
        last = self._turns.get(account)
        turn = max(now, last + spacing) if last is not None else now
        if turn - now > MAX_WAIT_SECONDS:
            return None
        if len(self._turns) >= _REMEMBERED_TURNS:
            stale = now - MAX_SPACING_SECONDS
            self._turns = {key: at for key, at in self._turns.items() if at > stale}
        self._turns[account] = turn
        return turn - now

    def _note_memory(self, in_memory: bool) -> None:
        if in_memory and not self._in_memory:
            log.warning("login limits: Redis does not answer; counting in this process's memory")
        elif self._in_memory and not in_memory:
            log.warning("login limits: Redis answers again")
        self._in_memory = in_memory


def spacing_after(failures: int) -> float:
    """How far apart the account's attempts start after ``failures`` in the last hour."""
    beyond = failures - FREE_ACCOUNT_FAILURES
    if beyond <= 0:
        return 0.0
    return min(MAX_SPACING_SECONDS, FIRST_SPACING_SECONDS * 2.0 ** (beyond - 1))


def account_key(email: str) -> str:
    """The account an email names (longer than any email: cut, it cannot sign in anyway)."""
    return normalize_email(email)[:MAX_EMAIL_LENGTH]


def client_key(address: str) -> str:
    """The client an address stands for: itself, or for IPv6 its /64."""
    try:
        ip = ip_address(address)
    except ValueError:  # not an address (a test client, a unix socket): itself
        return address[:100]
    if isinstance(ip, IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ip_network((ip, IPV6_CLIENT_PREFIX), strict=False))
    return str(ip)


def _storage(redis: Redis) -> RedisStorage:
    # On ``redis``'s own pool (its timeouts, no retries); a failure surfaces as StorageError.
    return RedisStorage(
        "async+redis://",
        implementation="redispy",
        connection_pool=redis.connection_pool,  # type: ignore[arg-type]  # typed too narrowly
        wrap_exceptions=True,
        key_prefix="prodhub:limits",
    )
