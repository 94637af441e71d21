"""The per-request context every resolver receives, and the ``Info`` type that carries it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeAlias

import strawberry

from core.settings import Settings
from db.engine import Database
from loaders.registry import Loaders
from services.authentication import Viewer
from services.login_limits import LoginLimits


class Jobs(Protocol):
    """What resolvers may ask of the job queue (``prodhub.job_queue.JobQueue`` is one)."""

    async def refresh_soon(self, days: Iterable[date], now: datetime) -> int:
        """Refresh these work dates shortly, debounced; returns how many were enqueued."""

    async def recalculate(self, days: Iterable[date], tick: str) -> int:
        """Refresh these work dates now, under ``tick`` (the caller's ``write_tick``), final
        ones too; returns how many were enqueued."""

    @property
    def running(self) -> bool:
        """Whether a worker runs what is enqueued here."""

    async def sync(self, job: str, messages: Iterable[tuple[Any, ...]]) -> int:
        """Send these messages to a sync actor now; how many were sent."""


@dataclass
class Context:
    """One per request: who asks, the database, settings, one ``now`` for every field, fresh
    loaders."""

    db: Database
    settings: Settings
    now: datetime
    viewer: Viewer
    limiter: LoginLimits
    client_address: str
    jobs: Jobs
    # Why the request's credentials were refused, when it sent some that are not valid.
    auth_error: str | None = None
    loaders: Loaders = field(init=False)
    # Set by fields whose answer changes with the clock (a default "today"): the response
    # may be cached this many seconds at most, whatever the schema's hints say.
    max_age: int | None = None

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.now)

    @property
    def cache_scope(self) -> str:
        """Two requests share cached responses only if their viewers may see the same data.
        A request with refused credentials is answered with an error, never cached."""
        return self.viewer.cache_scope

    def limit_max_age(self, seconds: float) -> None:
        capped = max(0, int(seconds))
        self.max_age = capped if self.max_age is None else min(self.max_age, capped)

    @property
    def cursor_secret(self) -> bytes:
        return self.settings.signing_key


Info: TypeAlias = strawberry.Info[Context, None]
