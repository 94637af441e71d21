"""What actors run with in a worker process: handed over by the composition root
(``prodhub.jobs``) when the worker boots, never built here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.settings import Settings
from db.engine import Database


@dataclass(frozen=True)
class Runtime:
    db: Database
    settings: Settings

    @property
    def idle_threshold(self) -> timedelta:
        return timedelta(minutes=self.settings.idle_threshold_minutes)

    def instant(self, tick: str) -> datetime:
        """A tick as an aware instant: ``"2026-11-22T10:05"`` is company time (the
        scheduler's), ``"2026-11-22T16:05:00Z"`` says its own offset (a write's)."""
        parsed = datetime.fromisoformat(tick)
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=self.settings.zone)


_runtime: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    global _runtime
    _runtime = runtime


def current() -> Runtime:
    if _runtime is None:
        raise RuntimeError("no runtime: actors run in a worker the composition root started")
    return _runtime
