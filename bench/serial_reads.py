"""The other read design, kept to measure against: one connection per request.

Every read of a request runs on the same autocommit connection, one after another (a
connection runs one statement at a time), instead of each loader batch on a pooled
connection of its own, concurrently. The server sees the same SELECTs; what differs is
whether a request's batches wait for each other's round trips. ``bench/dashboard.py``
measures both; the production code keeps the faster (see docs/PERFORMANCE.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from db.engine import Database

T = TypeVar("T")


class _Held:
    def __init__(self) -> None:
        self.session: AsyncSession | None = None
        self.lock = asyncio.Lock()


_request: ContextVar[_Held | None] = ContextVar("bench_request_connection", default=None)


class OneConnectionPerRequest(Database):
    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        held = _request.get()
        if held is None:
            return await super().read(work)
        async with held.lock:
            if held.session is None:
                held.session = self.read_session()
            return await work(held.session)


def per_request(app: ASGIApp) -> ASGIApp:
    """Give each request its own connection holder; close its session when the request ends."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        held = _Held()
        token = _request.set(held)
        try:
            await app(scope, receive, send)
        finally:
            _request.reset(token)
            if held.session is not None:
                await held.session.close()

    return wrapped


__all__ = ["OneConnectionPerRequest", "per_request"]
