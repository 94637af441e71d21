"""The write path: one transaction per unit of work, run again when the server picks it as a
deadlock victim (a real deadlock on MariaDB, not a simulated one)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from tests import helpers
from tests.helpers import Backend


async def test_a_deadlock_victim_runs_again_and_both_commit(mariadb: Backend) -> None:
    db = mariadb.db
    first, second = await helpers.team(db, key="a"), await helpers.team(db, key="b")
    both_hold_one = asyncio.Barrier(2)
    attempts = {"a": 0, "b": 0}

    def crossing(mine: int, theirs: int, label: str) -> object:
        async def work(session: AsyncSession) -> None:
            attempts[label] += 1
            await session.execute(
                update(models.Team).where(models.Team.id == mine).values(name=label)
            )
            if attempts[label] == 1:
                await both_hold_one.wait()  # each holds one row's lock, then wants the other's
            await session.execute(
                update(models.Team).where(models.Team.id == theirs).values(name=label)
            )

        return work

    await asyncio.wait_for(
        asyncio.gather(
            db.write(crossing(first.id, second.id, "a")),  # type: ignore[arg-type]
            db.write(crossing(second.id, first.id, "b")),  # type: ignore[arg-type]
        ),
        timeout=30,
    )

    async with db.read_session() as session:
        names = set((await session.scalars(select(models.Team.name))).all())
    assert sorted(attempts.values()) == [1, 2]  # the victim ran twice, the other once
    assert len(names) == 1  # whichever committed last renamed both rows
