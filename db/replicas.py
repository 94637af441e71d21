"""Reads of web requests spread over MariaDB replicas, each only while it is close enough.

**Which reads.** Only a web request's (``cache.freshness``: the web layer marks them); jobs,
the scheduler and commands read the primary, since a job enqueued after a commit must see it.
Writes always go to the primary.

**How far behind.** Measured by GTID, in the background, never on a request's path: every
``REPLICA_POLL_SECONDS`` a process reads the primary's ``@@gtid_binlog_pos`` and then each
replica's ``@@gtid_slave_pos`` (a SELECT each, on the autocommit read pools, no privilege
needed). A replica whose position covers the primary's position observed at time T has every
commit made before T (``fresh_as_of``); its lag is how long it has been missing the first
observed position it does not cover (0 while it covers the latest). A replica is read while
its lag is at most ``PRODHUB_REPLICA_MAX_LAG_SECONDS``, it answered its last poll, and that
poll is recent; otherwise the primary is, until a poll finds it back. A read that fails on a
replica for want of a connection marks it down and runs again on the primary.

**Read-your-writes.** A request whose client wrote at time W (its cookie, or a write in the
request) reads only a replica fresh as of W (plus ``CLOCK_MARGIN_SECONDS`` for the clocks of
two web hosts), else the primary: no statement of its own, at the price of reading the primary
for about a poll after each write.

**Which replica.** The one with the fewest reads in flight from this process, ties taken in
turn: free to know, and a slow replica (reads that take longer stay in flight longer) gets
fewer of them, where plain round-robin would keep sending it its share.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from cache import freshness
from core.settings import REPLICA_POLL_SECONDS, Settings
from db.outages import database_unavailable

if TYPE_CHECKING:
    from db.engine import Database

T = TypeVar("T")
log = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 1.0  # a server that does not answer a poll within this is down
CLOCK_MARGIN_SECONDS = 0.5  # how far apart two web hosts' clocks may be
OBSERVED = 900  # the primary's positions kept (15 minutes of polls): lag beyond is "longer"
Read = Callable[[Callable[[AsyncSession], Awaitable[T]]], Awaitable[T]]

Position = dict[int, int]  # GTID domain → sequence number


def position(gtids: str) -> Position:
    """``"0-1-42,1-2-7"`` (``@@gtid_binlog_pos``, ``@@gtid_slave_pos``) by domain."""
    found: Position = {}
    for gtid in gtids.split(","):
        parts = gtid.strip().split("-")
        if len(parts) == 3 and all(part.isdigit() for part in parts):
            found[int(parts[0])] = max(found.get(int(parts[0]), 0), int(parts[2]))
    return found


def covers(have: Position, wanted: Position) -> bool:
    """Whether a server at ``have`` applied every transaction up to ``wanted``."""
    return all(have.get(domain, -1) >= seq for domain, seq in wanted.items())


@dataclass
class Replica:
    name: str  # host:port, for /readyz and /metrics (never the URL: it holds a password)
    db: Database
    up: bool = False  # answered its last poll
    measured: bool = False  # that poll had the primary's position to compare with
    polled_at: float | None = None
    fresh_as_of: float | None = None  # every commit the primary had before this is here
    missing_since: float | None = None  # observed on the primary then, not here yet
    in_flight: int = 0

    def lag(self, now: float) -> float | None:
        """Seconds behind (None: down or never polled)."""
        if not self.up or not self.measured:
            return None
        return 0.0 if self.missing_since is None else max(0.0, now - self.missing_since)


@dataclass
class Replicas:
    settings: Settings
    primary: Database
    make: Callable[[Settings], Database]
    clock: Callable[[], float] = time.time
    poll_seconds: float = REPLICA_POLL_SECONDS
    members: list[Replica] = field(init=False)
    polls: int = field(default=0, init=False)  # rounds done (tests count their statements)
    _observed: deque[tuple[float, Position]] = field(init=False)
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _turn: int = field(default=0, init=False)
    _polled: asyncio.Event | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.members = []
        for url in self.settings.database_replica_urls:
            parsed = make_url(url)
            own = self.settings.model_copy(
                update={"database_url": url, "database_replica_urls": []}
            )
            self.members.append(Replica(f"{parsed.host}:{parsed.port or 3306}", self.make(own)))
        self._observed = deque(maxlen=OBSERVED)

    @property
    def max_lag(self) -> float:
        return self.settings.replica_max_lag_seconds

    def usable(self, replica: Replica, wrote_at: float | None, now: float) -> bool:
        """Whether a read (of a client that wrote at ``wrote_at``) may go to ``replica``."""
        lag = replica.lag(now)
        if lag is None or lag > self.max_lag or replica.polled_at is None:
            return False
        if now - replica.polled_at > 3 * self.poll_seconds:  # what it said is too old
            return False
        if wrote_at is None:
            return True
        return replica.fresh_as_of is not None and (
            replica.fresh_as_of >= wrote_at + CLOCK_MARGIN_SECONDS
        )

    def choose(self, wrote_at: float | None) -> Replica | None:
        now = self.clock()
        count = len(self.members)
        ordered = [self.members[(self._turn + i) % count] for i in range(count)]
        found = [r for r in ordered if self.usable(r, wrote_at, now)]
        if not found:
            return None
        chosen = min(found, key=lambda r: r.in_flight)  # the first of the least loaded
        self._turn = (self.members.index(chosen) + 1) % count
        return chosen

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]], on_primary: Read[T]) -> T:
        request = freshness.current.get()
        if request is None:
            return await on_primary(work)
        self.start()
        replica = self.choose(request.wrote_at)
        if replica is None:
            return await on_primary(work)
        replica.in_flight += 1
        try:
            return await replica.db.read(work)
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            log.warning("replica %s failed a read; reading the primary", replica.name)
            replica.up = False
        finally:
            replica.in_flight -= 1
        return await on_primary(work)

    def start(self) -> None:
        """Poll in the background from now on (once per process and event loop)."""
        loop = asyncio.get_running_loop()
        if self._task is not None and not self._task.done() and self._task.get_loop() is loop:
            return
        # A context of its own: not the request's that happened to start it.
        self._polled = asyncio.Event()
        self._task = loop.create_task(self._poll_forever(), context=contextvars.Context())

    async def first_poll(self) -> None:
        """Return once a poll round is done (``start`` first)."""
        if self.polls == 0 and self._polled is not None:
            await self._polled.wait()

    async def _poll_forever(self) -> None:
        while True:
            try:
                await self.poll()
            except Exception:  # never let the poller die: reads would stay where they are
                log.exception("replica poll failed")
            await asyncio.sleep(self.poll_seconds)

    async def poll(self) -> None:
        """One round: the primary's position, then every replica's, at once."""
        at = self.clock()
        try:
            async with asyncio.timeout(POLL_TIMEOUT_SECONDS):
                primary = await self.primary.read_primary(_gtid("@@gtid_binlog_pos"))
            self._observed.append((at, primary))
        except Exception as exc:  # the primary's own trouble: judged on what was observed
            log.warning("replica poll: the primary did not answer: %s", type(exc).__name__)
        await asyncio.gather(*(self._poll_replica(replica) for replica in self.members))
        self.polls += 1
        if self._polled is not None:
            self._polled.set()

    async def _poll_replica(self, replica: Replica) -> None:
        try:
            async with asyncio.timeout(POLL_TIMEOUT_SECONDS):
                have = await replica.db.read(_gtid("@@gtid_slave_pos"))
        except Exception as exc:
            if replica.up or replica.polled_at is None:
                log.warning("replica %s is down: %s", replica.name, type(exc).__name__)
            replica.up, replica.polled_at = False, self.clock()
            return
        replica.up, replica.polled_at = True, self.clock()
        replica.measured = bool(self._observed)
        replica.fresh_as_of = replica.missing_since = None
        for at, wanted in self._observed:  # oldest first; the primary's positions only grow
            if covers(have, wanted):
                replica.fresh_as_of, replica.missing_since = at, None
            elif replica.missing_since is None:
                replica.missing_since = at

    async def dispose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            if self._task.get_loop() is asyncio.get_running_loop():
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None
        for replica in self.members:
            await replica.db.dispose()


def _gtid(variable: str) -> Callable[[AsyncSession], Awaitable[Position]]:
    async def read(session: AsyncSession) -> Position:
        return position(str((await session.execute(text(f"SELECT {variable}"))).scalar() or ""))

    return read
