"""Pooled MariaDB connections reset by their peer (a restart or failover behind anything that
answers with RST) are replaced, on the event loop the server ships (uvloop): the first
statement on each finds out, the pool reconnects, and no request fails twice."""

from __future__ import annotations

import asyncio
import logging

import pytest
import uvloop
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from bench.faults.proxy import FaultProxy
from core.settings import Settings
from db.engine import Database
from tests.helpers import MYSQL_URL

pytestmark = pytest.mark.skipif(not MYSQL_URL, reason="needs MariaDB (scripts/test starts one)")


async def select_one(session: AsyncSession) -> int:
    return int((await session.execute(text("SELECT 1"))).scalar_one())


async def reset_then_use(reads: int, writes: int) -> list[str]:
    """Fill both pools, reset every connection (RST), then run ``reads`` reads and ``writes``
    writes one after another; what each answered."""
    assert MYSQL_URL is not None
    host, port = MYSQL_URL.split("@", 1)[1].split("/", 1)[0].split(":")
    proxy = FaultProxy(host, int(port))
    await proxy.start()
    database = Database(Settings(database_url=MYSQL_URL.replace(port, str(proxy.port), 1)))

    async def hold(session: AsyncSession) -> int:
        answer = await select_one(session)
        await asyncio.sleep(0.1)  # so that four reads need four connections
        return answer

    try:
        await asyncio.gather(*(database.read(hold) for _ in range(4)))
        await asyncio.gather(*(database.write(hold) for _ in range(2)))
        await proxy.refuse()  # every pooled connection gets an RST
        await proxy.restore()
        await asyncio.sleep(0.2)  # the loop has seen the resets and closed the transports
        answers = []
        for work in [database.read] * reads + [database.write] * writes:
            try:
                answers.append(str(await work(select_one)))
            except Exception as exc:
                answers.append(type(exc).__name__)
        return answers
    finally:
        await database.dispose()
        await proxy.stop()


def test_every_statement_after_a_reset_succeeds_on_uvloop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.ERROR):
        answers = uvloop.run(reset_then_use(reads=8, writes=4))
    assert answers == ["1"] * 12
    # Nor does the pool log a failed goodbye on each dead socket it discards.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
