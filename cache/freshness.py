"""What a web request must see of its client's own writes (read-your-writes with replicas).

A request carries the time of its client's latest write (a cookie the web layer reads and
sets: ``prodhub.read_your_writes``), and notes here a write it commits itself. The database
reads such a request's data from a replica only if that replica has every commit up to then
(``db.replicas``); the response cache answers it nothing stored while a replica may still
have missed that write (``cache.responses``). Outside a web request there is none: jobs, the
scheduler and commands read the primary.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Freshness:
    # Wall-clock seconds of the client's latest write known (its cookie, or a write
    # committed in this request); None when it wrote nothing lately.
    wrote_at: float | None = None
    wrote: bool = False  # a write committed in this request: the response tells the client

    def note_write(self, at: float) -> None:
        self.wrote_at = at if self.wrote_at is None else max(self.wrote_at, at)
        self.wrote = True


current: ContextVar[Freshness | None] = ContextVar("prodhub_freshness", default=None)


@contextmanager
def requested(freshness: Freshness) -> Iterator[Freshness]:
    """Reads made inside (in this task, and in tasks it starts) are a web request's."""
    token = current.set(freshness)
    try:
        yield freshness
    finally:
        current.reset(token)


@contextmanager
def on_primary() -> Iterator[None]:
    """Reads made inside go to the primary, as a job's do (what must be current: a
    credential just issued or revoked)."""
    token = current.set(None)
    try:
        yield
    finally:
        current.reset(token)
