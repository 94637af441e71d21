"""Sessions that report committed writes (so caches drop by construction), and read-only
ones that report what they read.

A write session notes the cache tags (``cache.tags``) of what it writes when it flushes
ORM changes (the table, dates undeclared) or executes an INSERT, UPDATE or DELETE construct
(the table, on the dates the statement declares with ``dated``); when the outermost
transaction commits, the note is kept; a rollback clears it. Closing the session (the end of
``async with db.session()``) then awaits the database's write listeners with those tags,
before the caller goes on. So write through ``Database.session()`` and with SQLAlchemy
constructs: raw ``text()`` DML and bare engine connections are not seen.

A read-only session refuses to flush or to execute DML: it runs on autocommit connections,
where a write would commit at once and unseen. Every statement it runs adds the tags of the
tables it reads to the request's collector, if there is one (``cache.tags.collecting``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Table, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.sql.util import find_tables

from cache.tags import collecting, statement_tags, write_tags

WriteListener = Callable[[frozenset[str]], Awaitable[None]]

PENDING = "prodhub.pending_writes"
COMMITTED = "prodhub.committed_writes"


class WriteTrackingSyncSession(Session):
    pass


class WriteTrackingSession(AsyncSession):
    sync_session_class = WriteTrackingSyncSession

    def __init__(
        self,
        *args: Any,
        on_write: Callable[[frozenset[str]], Awaitable[None]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._on_write = on_write

    async def close(self) -> None:
        await super().close()
        tables: set[str] | None = self.sync_session.info.pop(COMMITTED, None)
        if tables:
            await self._on_write(frozenset(tables))


def _note(session: Session, tags: set[str]) -> None:
    session.info.setdefault(PENDING, set()).update(tags)


@event.listens_for(WriteTrackingSyncSession, "after_flush")
def _flushed(session: Session, _flush: UOWTransaction) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    _note(session, {tag for row in changed for tag in write_tags(type(row).__table__.name, None)})


@event.listens_for(WriteTrackingSyncSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = state.statement.table  # type: ignore[attr-defined]
        name = getattr(table, "name", str(table))
        _note(state.session, statement_tags([name], state.execution_options, write=True))


@event.listens_for(WriteTrackingSyncSession, "after_commit")
def _committed(session: Session) -> None:
    tables = session.info.pop(PENDING, None)
    if tables:
        session.info.setdefault(COMMITTED, set()).update(tables)


@event.listens_for(WriteTrackingSyncSession, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)


class ReadOnlyError(RuntimeError):
    """A write was attempted through a read-only session."""


class ReadOnlySyncSession(Session):
    pass


class ReadOnlySession(AsyncSession):
    sync_session_class = ReadOnlySyncSession


@event.listens_for(ReadOnlySyncSession, "before_flush")
def _refuse_flush(session: Session, *_: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlyError("read sessions do not write; use Database.session()")


@event.listens_for(ReadOnlySyncSession, "do_orm_execute")
def _refuse_dml_and_note_reads(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlyError("read sessions do not write; use Database.session()")
    reads = collecting.get()
    if reads is not None:
        reads.tags |= statement_tags(
            _tables_read(state.statement), state.execution_options, write=False
        )


# Statements built once and run by every request (a leaderboard's, the role totals') are
# searched once: a search of a page's statement costs ~170 µs. Kept as long as the statement.
_TABLES_READ: WeakKeyDictionary[Any, frozenset[str]] = WeakKeyDictionary()


def _tables_read(statement: Any) -> frozenset[str]:
    """The tables ``statement`` reads (not aliases' own names)."""
    tables = _TABLES_READ.get(statement)
    if tables is None:
        found = find_tables(statement, include_aliases=True, include_joins=True)
        tables = _TABLES_READ[statement] = frozenset(t.name for t in found if isinstance(t, Table))
    return tables
