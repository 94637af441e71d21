"""The process's one engine and session factory, created on first use and disposed on shutdown.

Nothing here connects at import time: ``Database`` only records settings until a session or
the engine is first asked for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from db.sessions import WriteTrackingSession
from prodhub.settings import Settings, get_settings

WriteListener = Callable[[], Awaitable[None]]


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._engine: AsyncEngine | None = None
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._write_listeners: list[WriteListener] = []

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            self._engine = create_async_engine(self.settings.database_url, **self._engine_options())
            if self.settings.is_sqlite:
                event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)
        return self._engine

    @property
    def sessionmaker(self) -> async_sessionmaker[AsyncSession]:
        if self._sessionmaker is None:
            self._sessionmaker = async_sessionmaker(
                self.engine,
                class_=WriteTrackingSession,
                expire_on_commit=False,
                on_write=self._notify_write,
            )
        return self._sessionmaker

    def session(self) -> AsyncSession:
        """A new session: one per unit of work, never shared between concurrent tasks."""
        return self.sessionmaker()

    def add_write_listener(self, listener: WriteListener) -> Callable[[], None]:
        """Await ``listener`` after every session that committed a write; returns the remover."""
        self._write_listeners.append(listener)
        return lambda: self._write_listeners.remove(listener)

    async def _notify_write(self) -> None:
        for listener in list(self._write_listeners):
            await listener()

    @property
    def is_started(self) -> bool:
        return self._engine is not None

    async def dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
        self._engine = None
        self._sessionmaker = None

    def _engine_options(self) -> dict[str, Any]:
        if self.settings.is_sqlite:
            return {"connect_args": {"timeout": 30}}
        return {
            "pool_size": self.settings.db_pool_size,
            "max_overflow": self.settings.db_max_overflow,
            "pool_pre_ping": True,
            "pool_recycle": self.settings.db_pool_recycle_seconds,
        }


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


_database: Database | None = None


def get_database() -> Database:
    """The process-wide database, built from settings on first call."""
    global _database
    if _database is None:
        _database = Database(get_settings())
    return _database


def set_database(database: Database | None) -> None:
    """Replace the process-wide database (the CLI and tests choose their own)."""
    global _database
    _database = database


__all__ = ["Database", "Engine", "get_database", "set_database"]
