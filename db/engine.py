"""A process's database: two engines, created on first use and disposed on shutdown.

Reads and writes take different paths, because what the server sees matters more than what
the client sends:

- **Reads** (every loader batch, every list) run on a pool of *autocommit* connections: no
  transaction to end, so no ``ROLLBACK`` when a session closes and no reset when the
  connection returns to the pool, and no pre-ping round trip when it is checked out. The
  server sees the SELECTs and nothing else. A connection the server dropped while it sat in
  the pool is found out by the read itself; the pool discards it and ``read`` runs the work
  once more on a fresh one (SQLAlchemy's "optimistic" disconnect handling).
- **Writes** run in transactions on their own pool (pre-pinged: a write should not fail on a
  stale connection), in sessions that report committed writes (``db.sessions``). A write
  costs the server its statements and one COMMIT: sessions end their transactions
  themselves, so the pool does not reset connections with another ROLLBACK. On SQLite a
  write also sends its ``BEGIN`` (see ``_begin_on_sqlite``).

With ``PRODHUB_DATABASE_REPLICA_URLS``, a web request's reads go to a MariaDB replica while
it is close enough behind (``db.replicas``); everything else stays as above.

Nothing here connects at import time or on construction.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymysql.constants.CR import CR_SERVER_LOST
from pymysql.err import OperationalError
from sqlalchemy import Connection, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from cache import freshness
from core.settings import Settings
from db.replicas import Replicas
from db.sessions import ReadOnlySession, WriteListener, WriteTrackingSession

T = TypeVar("T")
WRITE_ATTEMPTS = 3
# A server that does not answer a new connection within this is down for this request.
CONNECT_TIMEOUT_SECONDS = 5


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: AsyncEngine | None = None
        self._read_engine: AsyncEngine | None = None
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._read_sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._write_listeners: list[WriteListener] = []
        self.replicas = (
            Replicas(settings, self, Database) if settings.database_replica_urls else None
        )

    @property
    def engine(self) -> AsyncEngine:
        """The engine of write transactions (and of migrations)."""
        if self._engine is None:
            # Sessions end every transaction themselves (commit, or rollback on close), so the
            # pool's own ROLLBACK when a connection comes back would be one more statement per
            # write for nothing.
            self._engine = self._create_engine(
                pool_pre_ping=not self.settings.is_sqlite, pool_reset_on_return=None
            )
            if self.settings.is_sqlite:
                _begin_on_sqlite(self._engine)
        return self._engine

    @property
    def read_engine(self) -> AsyncEngine:
        """The engine of reads: autocommit connections, never rolled back or pinged."""
        if self._read_engine is None:
            self._read_engine = self._create_engine(
                isolation_level="AUTOCOMMIT", skip_autocommit_rollback=True
            )
        return self._read_engine

    def session(self) -> AsyncSession:
        """A new read-write session: one per unit of work, never shared between tasks."""
        if self._sessionmaker is None:
            self._sessionmaker = async_sessionmaker(
                self.engine,
                class_=WriteTrackingSession,
                expire_on_commit=False,
                on_write=self._notify_write,
            )
        return self._sessionmaker()

    def read_session(self) -> AsyncSession:
        """A new read-only session on the autocommit pool (``read`` also retries)."""
        if self._read_sessionmaker is None:
            self._read_sessionmaker = async_sessionmaker(
                self.read_engine, class_=ReadOnlySession, expire_on_commit=False
            )
        return self._read_sessionmaker()

    async def read(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """``work`` on a read-only session of its own; run again once if its connection died.
        A web request's read goes to a replica when there are some (``db.replicas``)."""
        if self.replicas is not None:
            return await self.replicas.read(work, self.read_primary)
        return await self.read_primary(work)

    async def read_primary(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """``read`` on this database's own server, whoever asks."""
        try:
            async with self.read_session() as session:
                return await work(session)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        async with self.read_session() as session:
            return await work(session)

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """``work`` in one transaction of a write session, committed when it returns. A
        transaction the server chose as a deadlock victim (InnoDB rolls it back whole) runs
        again, up to ``WRITE_ATTEMPTS`` times; any other failure rolls back and propagates."""
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                async with self.session() as session, session.begin():
                    return await work(session)
            except DBAPIError as exc:
                if attempt == WRITE_ATTEMPTS or not _deadlocked(exc):
                    raise
        raise AssertionError("unreachable")

    async def ping(self) -> None:
        """One ``SELECT 1`` on the primary's read path (readiness, and warming a pool)."""

        async def select_one(session: AsyncSession) -> None:
            await session.execute(text("SELECT 1"))

        await self.read_primary(select_one)

    def add_write_listener(self, listener: WriteListener) -> Callable[[], None]:
        """Await ``listener`` after every session that committed a write; returns the remover."""
        self._write_listeners.append(listener)
        return lambda: self._write_listeners.remove(listener)

    async def _notify_write(self, tables: frozenset[str]) -> None:
        request = freshness.current.get()
        if request is not None:  # its later reads, and its client's, must see this write
            request.note_write(time.time())
        for listener in list(self._write_listeners):
            await listener(tables)

    @property
    def is_writing(self) -> bool:
        """Whether the write engine exists (a process that only read never builds it)."""
        return self._engine is not None

    @property
    def is_started(self) -> bool:
        return self._engine is not None or self._read_engine is not None

    def started_engines(self) -> list[AsyncEngine]:
        return [e for e in (self._engine, self._read_engine) if e is not None]

    async def dispose(self) -> None:
        if self.replicas is not None:
            await self.replicas.dispose()
        for engine in self.started_engines():
            await engine.dispose()
        self._engine = self._read_engine = None
        self._sessionmaker = self._read_sessionmaker = None

    def _create_engine(self, **options: Any) -> AsyncEngine:
        if self.settings.is_sqlite:
            engine = create_async_engine(
                self.settings.database_url,
                connect_args={"timeout": 30},
                pool_timeout=self.settings.db_pool_timeout_seconds,
                **options,
            )
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
            return engine
        engine = create_async_engine(
            self.settings.database_url,
            pool_size=self.settings.db_pool_size,
            max_overflow=self.settings.db_max_overflow,
            pool_recycle=self.settings.db_pool_recycle_seconds,
            pool_timeout=self.settings.db_pool_timeout_seconds,
            connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
            **options,
        )
        event.listen(engine.sync_engine, "connect", _lost_when_transport_closed)
        return engine


def _lost_when_transport_closed(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    """A pooled connection whose socket the event loop closed fails as a lost connection.

    When a connection resting in the pool is reset by its peer (MariaDB restarted, or failed
    over, behind anything that answers a dead connection with RST), uvloop closes its
    transport at once, unseen by aiomysql; the next statement then raises uvloop's
    ``RuntimeError: unable to perform operation on <TCPTransport closed=True>``, which
    SQLAlchemy does not take for a disconnect: the dead connection went back to the pool and
    failed every request that drew it, for good (asyncio's loop ignores the write and fails the
    read as a lost connection instead). Checked before every write of a packet, so the error
    is MySQL's own "lost connection" (2013) on either loop: the pool invalidates the
    connection and every other one older than it, ``Database.read`` runs the read again on a
    fresh one, and the write pool's pre-ping reconnects."""
    driver = dbapi_connection.driver_connection
    write_packet, say_goodbye = driver._write_bytes, driver.ensure_closed

    def closed() -> bool:
        writer = driver._writer
        return writer is not None and writer.transport.is_closing()

    def write_bytes(data: bytes) -> None:
        if closed():
            driver.close()
            raise OperationalError(CR_SERVER_LOST, "Lost connection to MySQL server (closed)")
        write_packet(data)

    async def ensure_closed() -> None:  # the pool discarding it: no goodbye on a dead socket
        if closed():
            driver.close()
        await say_goodbye()

    driver._write_bytes, driver.ensure_closed = write_bytes, ensure_closed


def _deadlocked(exc: BaseException) -> bool:
    """MySQL/MariaDB 1213 (deadlock: the transaction was rolled back) or 1205 (lock wait
    timeout), here or in the error it caused: after a deadlock inside a savepoint, rolling back
    to that savepoint fails too (1305), because the whole transaction is gone already."""
    seen: BaseException | None = exc
    while seen is not None:
        original = getattr(seen, "orig", None)
        if (
            original is not None
            and getattr(original, "args", None)
            and original.args[0]
            in (
                1205,
                1213,
            )
        ):
            return True
        seen = seen.__context__
    return False


def _begin_on_sqlite(engine: AsyncEngine) -> None:
    """Every transaction of ``engine`` begins with a ``BEGIN`` of its own, at its first statement.

    The sqlite3 driver (under aiosqlite) begins a transaction only before an INSERT, UPDATE or
    DELETE: a SAVEPOINT sent first began one of SQLite's, which its RELEASE committed, so a
    unit of work that failed after its savepoint kept what the savepoint wrote. SQLAlchemy's
    remedy ("Serializable isolation / Savepoints / Transactional DDL"): the driver begins
    nothing (``isolation_level = None``) and SQLAlchemy's ``begin`` event sends the BEGIN.

    ``BEGIN IMMEDIATE`` takes the write lock at once (waiting up to ``busy_timeout`` for
    another writer), as the driver's BEGIN did at the first write: a transaction that read
    first and then wrote after another writer committed would fail at once instead ("database
    is locked": a read snapshot cannot be upgraded, and SQLite does not wait for that)."""
    event.listen(engine.sync_engine, "connect", _driver_begins_nothing)
    event.listen(engine.sync_engine, "begin", _begin_immediate)


def _driver_begins_nothing(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
