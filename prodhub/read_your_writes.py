"""Read-your-writes across web processes, with database replicas: a cookie.

A response to a request that committed a write sets ``prodhub_wrote`` to that write's time
(milliseconds since the epoch); the client sends it back, to whichever web process, and
that request's reads see the write (``cache.freshness``: a replica only if it has every
commit up to then, else the primary; nothing from the response cache while a lagging replica
may have fed it). The cookie lives as long as a replica read may miss the write
(``replica_staleness_seconds``); after that any replica read has it.

Nothing is kept on the server and nothing is asked of it: no statement, no Redis. A value
that is not a time of the recent past (malformed, in the future, too old) is ignored; the
most a forged one can do is have its own requests read the primary for a few seconds. Only
installed with replicas (``prodhub.app``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cache.freshness import Freshness, requested

COOKIE = "prodhub_wrote"
CLOCK_SKEW_SECONDS = 60.0  # a time further ahead of this process's clock is not believed


class ReadYourWrites:
    def __init__(
        self, app: ASGIApp, *, staleness_seconds: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.app = app
        self.staleness_seconds = staleness_seconds
        self.max_age = math.ceil(staleness_seconds) + 1
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Freshness(self._wrote_at(scope))

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start" and request.wrote:
                assert request.wrote_at is not None
                cookie = (
                    f"{COOKIE}={round(request.wrote_at * 1000)}; Max-Age={self.max_age}; "
                    "Path=/; HttpOnly; SameSite=Lax"
                )
                MutableHeaders(scope=message).append("set-cookie", cookie)
            await send(message)

        with requested(request):
            await self.app(scope, receive, sending)

    def _wrote_at(self, scope: Scope) -> float | None:
        for name, value in scope["headers"]:
            if name == b"cookie":
                sent = cookie_parser(value.decode("latin-1")).get(COOKIE, "")
                if sent.isascii() and sent.isdigit() and len(sent) <= 16:
                    at, now = int(sent) / 1000, self.clock()
                    if now - self.staleness_seconds < at <= now + CLOCK_SKEW_SECONDS:
                        return at
        return None
