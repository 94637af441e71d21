"""A circuit breaker for Redis: after a failure, nobody waits on Redis for a while. The
response cache and the login limits share one; the web's job queue has its own.

CLOSED: every call goes to Redis. A failure (a refused connection, a timeout) opens the
breaker: for ``window_seconds`` every call is skipped at once (the request runs uncached).
Then HALF-OPEN: exactly one call, the probe, goes to Redis while the others keep skipping; its
success closes the breaker, its failure opens it for another window; a probe that ends
without an answer (cancelled with its request) lets the next call probe. So a Redis that drops
packets costs at most one timeout per window in each process, never one per request, and
the cache comes back by itself.

Written here rather than taken from a library: the common ones (``circuitbreaker``,
``pybreaker``) let every concurrent call through once the window has passed, which against a
black-holed Redis is a burst of timeouts, or have no asyncio support.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class State(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class Breaker:
    def __init__(
        self,
        *,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        name: str = "cache Redis",
    ) -> None:
        self.window_seconds = window_seconds
        self.clock = clock
        self.name = name  # what the log lines say failed
        self.state = State.CLOSED
        self._opened_at = 0.0
        self.failures = 0  # since the process started, for metrics and tests

    def allow(self) -> bool:
        """Whether this call may go to Redis (the first one after a window is the probe)."""
        if self.state is State.CLOSED:
            return True
        if self.state is State.OPEN and self.clock() - self._opened_at >= self.window_seconds:
            self.state = State.HALF_OPEN
            return True
        return False

    def succeeded(self) -> None:
        if self.state is not State.CLOSED:
            log.warning("%s answers again", self.name)
        self.state = State.CLOSED

    def failed(self) -> None:
        self.failures += 1
        if self.state is not State.OPEN:
            log.warning("%s failed: not asked for %.1f s", self.name, self.window_seconds)
        self.state = State.OPEN
        self._opened_at = self.clock()

    def abandoned(self) -> None:
        """A call ended without telling whether Redis answers (cancelled, or an error of its
        own): a probe's turn passes to the next call, rather than the breaker staying
        half-open, skipping every call, for ever."""
        if self.state is State.HALF_OPEN:
            self.state = State.OPEN
            self._opened_at = self.clock() - self.window_seconds


async def guarded(
    breaker: Breaker | None, operation: Callable[[], Awaitable[T]], failure: type[Exception]
) -> T:
    """``operation`` through ``breaker`` (None: straight): a ``failure`` opens it; while it
    is open, ``failure`` is raised without calling."""
    if breaker is None:
        return await operation()
    if not breaker.allow():
        raise failure("the circuit breaker is open")
    try:
        result = await operation()
    except failure:
        breaker.failed()
        raise
    except BaseException:
        breaker.abandoned()
        raise
    breaker.succeeded()
    return result
