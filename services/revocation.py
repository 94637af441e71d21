"""Whether an access token still speaks for its user.

A token carries its user's *stamp*: a short hash of what it vouches for (role, teams, employee
record, whether the user is active, and the password hash, so that a new password ends the
old sign-ins). A token is good while its stamp is its user's current one: deactivating,
demoting, moving or deleting a user, or changing their password, ends their tokens.

Checking that costs no statement. Each process keeps every user's current stamp in memory
(``UserStamps``), read in one statement at most every ``STALE_SECONDS``: a request that finds
them older reads them again first. A committed write to ``users`` in the process makes them
stale at once (a write listener of the composition root), and, with Redis, in every other
process too (a message on ``CHANNEL``); without Redis other processes see it within
``STALE_SECONDS``. A stamp the stamps in memory do not know (a user created, or signed in
again, in another process) is asked of the database again, at most every ``RECHECK_SECONDS``,
so that no token can cost a statement per request.

A read that fails, or takes longer than ``READ_SECONDS`` (a database that does not answer),
leaves the stamps as they were: tokens are judged by the last ones read, and the next request
that finds them stale tries again. Only a process that never read them cannot judge a token
then (``read`` raises: the request is answered as a database outage).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from base64 import urlsafe_b64encode
from collections.abc import Callable, Iterable
from hashlib import blake2b

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database
from db.models import User

STALE_SECONDS = 30.0
RECHECK_SECONDS = 1.0
CHANNEL = "prodhub:users-changed"
RESUBSCRIBE_SECONDS = 5.0  # after Redis failed, the wait before listening again
READ_SECONDS = 5.0  # the longest one read of the stamps may take: it is cancelled then

log = logging.getLogger(__name__)


def stamp_of(
    *, role: str, team_ids: Iterable[int], employee_id: int | None, active: bool, password_hash: str
) -> str:
    """What a token vouches for, in 12 characters: a change of any of it is a new stamp."""
    digest = blake2b(digest_size=9)
    teams = ",".join(str(t) for t in sorted(team_ids))
    for part in (role, teams, str(employee_id), str(active), password_hash):
        encoded = part.encode()
        digest.update(len(encoded).to_bytes(4, "big"))
        digest.update(encoded)
    return urlsafe_b64encode(digest.digest()).decode()


def user_stamp(user: User) -> str:
    return stamp_of(
        role=user.role,
        team_ids=user.team_ids or (),
        employee_id=user.employee_id,
        active=user.active is not False,  # a user not flushed yet has the column's default
        password_hash=user.password_hash,
    )


class UserStamps:
    """Every user's current stamp, as this process last read it."""

    def __init__(
        self,
        db: Database,
        *,
        redis: Redis | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.redis = redis
        self.clock = clock
        self._stamps: dict[int, str] = {}
        self._read_at: float | None = None  # None: never read, or a write made them stale
        self._generation = 0  # counts the writes seen, so that a read begun before one is stale
        self._reading: asyncio.Future[None] | None = None
        self._listening: asyncio.Task[None] | None = None
        self._me = os.urandom(8)  # what this process's messages say: it has forgotten already

    def known(self, user_id: int, stamp: str) -> bool | None:
        """Whether ``stamp`` is the user's current one, from memory; None when memory cannot
        tell (stale, or a stamp it does not know and has not checked within a second)."""
        if self._read_at is None:
            return None
        age = self.clock() - self._read_at
        if age > STALE_SECONDS:
            return None
        if self._stamps.get(user_id) == stamp:
            return True
        return None if age > RECHECK_SECONDS else False

    async def vouches(self, user_id: int, stamp: str) -> bool:
        """Whether ``stamp`` is the user's current one, reading the stamps first when memory
        cannot tell (one statement for every user, shared by the requests that wait for it)."""
        self._listen()
        known = self.known(user_id, stamp)
        if known is not None:
            return known
        await self.read()
        return self._stamps.get(user_id) == stamp

    async def read(self) -> None:
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read())
            self._reading.add_done_callback(self._read_done)
        await asyncio.shield(self._reading)

    def forget(self) -> None:
        """The stamps may be out of date: read them again before the next judgement."""
        self._generation += 1
        self._read_at = None

    async def note_writes(self, tables: frozenset[str]) -> None:
        """A write listener: a committed change of ``users`` ends the tokens it changed, here
        at once, in the other processes through Redis. Never raises."""
        if not any(tag.partition("@")[0] == User.__tablename__ for tag in tables):
            return
        self.forget()
        if self.redis is not None:
            try:
                await self.redis.publish(CHANNEL, self._me)
            except RedisError:
                log.warning("users changed, other processes not told (Redis)", exc_info=True)

    async def aclose(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listening
            self._listening = None

    async def _read(self) -> None:
        started, generation = self.clock(), self._generation
        try:
            async with asyncio.timeout(READ_SECONDS):
                stamps = await self.db.read(_current_stamps)
        except Exception:
            if self._read_at is None and not self._stamps:
                raise
            log.warning("user stamps not read; judging by the last ones", exc_info=True)
            return
        self._stamps = stamps
        if generation == self._generation:
            self._read_at = started

    def _read_done(self, _: asyncio.Future[None]) -> None:
        self._reading = None

    def _listen(self) -> None:
        """With Redis, listen for the other processes' changes (started with the first check,
        in the loop that serves; ``aclose`` stops it)."""
        if self.redis is not None and self._listening is None:
            self._listening = asyncio.get_running_loop().create_task(self._listen_forever())

    async def _listen_forever(self) -> None:
        assert self.redis is not None
        failed = False
        while True:
            try:
                async with self.redis.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    if failed:
                        self.forget()  # what changed while nobody listened
                    while True:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=RESUBSCRIBE_SECONDS
                        )
                        if message is not None and message["data"] != self._me:
                            self.forget()
            except (RedisError, OSError):
                log.warning("not listening for users' changes for a while", exc_info=True)
                failed = True
                await asyncio.sleep(RESUBSCRIBE_SECONDS)


async def _current_stamps(session: AsyncSession) -> dict[int, str]:
    """Every user's stamp, in one statement."""
    columns = (User.id, User.role, User.team_ids, User.employee_id, User.active, User.password_hash)
    return {
        row.id: stamp_of(
            role=row.role, team_ids=row.team_ids or (), employee_id=row.employee_id,
            active=bool(row.active), password_hash=row.password_hash,
        )
        for row in await session.execute(select(*columns))
    }  # fmt: skip
