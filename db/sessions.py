"""Sessions that report committed writes, so that caches are dropped by construction.

A session marks itself when it flushes ORM changes or executes an INSERT, UPDATE or DELETE
construct; when the outermost transaction commits, the mark is kept; a rollback clears it.
Closing the session (the end of ``async with db.session()``) then awaits the database's write
listeners, before the caller goes on. So write through ``Database.session()`` and with
SQLAlchemy constructs: raw ``text()`` DML and bare engine connections are not seen.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

PENDING = "prodhub.pending_writes"
COMMITTED = "prodhub.committed_writes"


class WriteTrackingSyncSession(Session):
    pass


class WriteTrackingSession(AsyncSession):
    sync_session_class = WriteTrackingSyncSession

    def __init__(self, *args: Any, on_write: Callable[[], Awaitable[None]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_write = on_write

    async def close(self) -> None:
        await super().close()
        if self.sync_session.info.pop(COMMITTED, False):
            await self._on_write()


@event.listens_for(WriteTrackingSyncSession, "after_flush")
def _flushed(session: Session, _flush: UOWTransaction) -> None:
    session.info[PENDING] = True


@event.listens_for(WriteTrackingSyncSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[PENDING] = True


@event.listens_for(WriteTrackingSyncSession, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(PENDING, False):
        session.info[COMMITTED] = True


@event.listens_for(WriteTrackingSyncSession, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(PENDING, None)
