"""Admission: a process runs a bounded number of executions at once, and sheds the rest fast.

An execution (a GraphQL request that reached the view, a CSV report) takes one of
``Settings.concurrent_requests`` slots for as long as it runs. When none is free it waits in a
queue of at most ``max_queued_requests``, for at most ``queue_wait_seconds``, first come first
served; a request that finds the queue full, or whose wait ends without a slot, is answered
at once ``503`` with ``Retry-After`` and, on ``/graphql``, a GraphQL error coded
``OVERLOADED`` (the CSV route answers its 503 in plain text, as its other 503s). So overload
costs the requests beyond capacity a fast refusal, and the admitted ones keep their latency:
without a bound, every request waits for the database pool, the pool's waits time out, and
everything is slow or fails at once.

What is not behind it: cached answers (``prodhub.cache_front`` answers them before routing, in
microseconds, without the database), ``/healthz``, ``/readyz`` and ``/metrics``, and what the
request guard does before the view (reading the body, refusing one that is too large: a slow
client's upload holds no slot). The slot is taken after the body is read.

Counted in ``/metrics``: requests shed by reason (``queue_full``, ``waited``), the wait of
every request that went through the gate (0 for those admitted at once), and how many run and
wait now.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Receive, Scope, Send

OVERLOADED = "OVERLOADED"
RETRY_AFTER_SECONDS = 1  # about the queue's wait: by then a slot is likely free again
QUEUE_FULL, WAITED = "queue_full", "waited"

SHED = Counter(
    "prodhub_requests_shed",
    "Requests answered 503 OVERLOADED without running, by reason: the queue was full "
    "(queue_full) or no slot came free within the queue's wait (waited).",
    ["reason"],
)
QUEUE_WAIT = Histogram(
    "prodhub_request_queue_wait_seconds",
    "How long requests that need an execution slot waited for one (admitted or shed).",
    buckets=(0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
EXECUTING = Gauge(
    "prodhub_requests_executing",
    "Requests holding an execution slot now.",
    multiprocess_mode="livesum",
)
QUEUED = Gauge(
    "prodhub_requests_queued",
    "Requests waiting for an execution slot now.",
    multiprocess_mode="livesum",
)


class Overloaded(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Gate:
    """``limit`` slots (0: no limit), a queue of ``max_queued`` waiters, each waiting at most
    ``wait_seconds``. A released slot passes straight to the first waiter."""

    def __init__(self, limit: int, *, max_queued: int, wait_seconds: float) -> None:
        self.limit = limit
        self.max_queued = max_queued
        self.wait_seconds = wait_seconds
        self.running = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def queued(self) -> int:
        return len(self._waiters)

    async def acquire(self) -> None:
        """A slot, now or after a wait in the queue; ``Overloaded`` when there is none."""
        if self.limit == 0 or (self.running < self.limit and not self._waiters):
            self.running += 1
            return
        if len(self._waiters) >= self.max_queued:
            raise Overloaded(QUEUE_FULL)
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self.wait_seconds):
                await waiter
        except TimeoutError:
            if not _granted(waiter):
                raise Overloaded(WAITED) from None
            # given a slot just as the wait ended: it is this request's
        except asyncio.CancelledError:  # the client went away while waiting
            if _granted(waiter):
                self.release()
            raise
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    def release(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on: ``running`` stays
                return
        self.running -= 1


def _granted(waiter: asyncio.Future[None]) -> bool:
    return waiter.done() and not waiter.cancelled()


class Admitted:
    """ASGI: ``app`` runs in a slot of ``gate``; without one the request is shed (a GraphQL
    error body when ``graphql``, else plain text)."""

    def __init__(self, app: ASGIApp, gate: Gate, *, graphql: bool = True) -> None:
        self.app = app
        self.gate = gate
        self.graphql = graphql

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        QUEUED.inc()
        try:
            await self.gate.acquire()
        except Overloaded as shed:
            SHED.labels(shed.reason).inc()
            await self._shed(send)
            return
        finally:
            QUEUED.dec()
            QUEUE_WAIT.observe(time.perf_counter() - started)
        EXECUTING.inc()
        try:
            await self.app(scope, receive, send)
        finally:
            EXECUTING.dec()
            self.gate.release()

    async def _shed(self, send: Send) -> None:
        reason = f"the server is overloaded; try again in {RETRY_AFTER_SECONDS} s"
        if self.graphql:
            error = {"message": reason, "extensions": {"code": OVERLOADED}}
            body, kind = json.dumps({"errors": [error]}).encode(), b"application/json"
        else:
            body, kind = reason.encode(), b"text/plain; charset=utf-8"
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})
