"""Replicas without a server: the settings, GTID positions, the lag from what the polls saw,
which replica a read goes to, and that only a web request's reads go to one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pymysql
import pytest
from pydantic import ValidationError
from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncSession

from cache.freshness import Freshness, on_primary, requested
from core.settings import Settings
from db.replicas import Position, Replicas, covers, position

MARIADB = "mysql+aiomysql://u:secret@10.0.0.1/prodhub"
REPLICAS = (
    "mysql+aiomysql://u:secret@10.0.0.2:3307/prodhub, mysql+aiomysql://u:secret@10.0.0.3/prodhub"
)


class Server:
    """A stand-in for a Database: answers reads with its GTID position, or fails."""

    def __init__(self, name: str, at: str = "") -> None:
        self.name, self.at, self.down, self.reads = name, at, False, 0

    async def read(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        if self.down:  # as aiomysql's refused connection reaches SQLAlchemy's caller
            raise exc.OperationalError("SELECT 1", {}, pymysql.err.OperationalError(2003, "down"))
        self.reads += 1
        return position(self.at) if getattr(work, "__name__", "") == "read" else self.name

    read_primary = read

    async def dispose(self) -> None:
        pass


def replicas(**settings: Any) -> tuple[Replicas, Server, list[Server], list[float]]:
    clock = [100.0]
    made: list[Server] = []

    def make(own: Settings) -> Any:
        made.append(Server(own.database_url))
        return made[-1]

    primary = Server("primary")
    built = Replicas(
        Settings(database_url=MARIADB, database_replica_urls=REPLICAS, **settings),
        primary,  # type: ignore[arg-type]
        make,
        clock=lambda: clock[0],
    )
    return built, primary, made, clock


def test_replica_urls_are_comma_separated_and_none_by_default() -> None:
    assert Settings().database_replica_urls == []
    assert Settings(database_url=MARIADB, database_replica_urls=REPLICAS).database_replica_urls == [
        "mysql+aiomysql://u:secret@10.0.0.2:3307/prodhub", "mysql+aiomysql://u:secret@10.0.0.3/prodhub",
    ]  # fmt: skip
    assert Settings().replica_staleness_seconds == 0.0
    assert (
        Settings(database_url=MARIADB, database_replica_urls=REPLICAS).replica_staleness_seconds
        == 7.0
    )


def test_sqlite_has_no_replicas() -> None:
    with pytest.raises(ValidationError, match="SQLite has no replicas"):
        Settings(database_replica_urls=REPLICAS)


@pytest.mark.parametrize(
    ("have", "wanted", "covered"),
    [
        ("0-1-42", "0-1-42", True), ("0-1-43", "0-1-42", True), ("0-1-41", "0-1-42", False),
        ("0-2-50", "0-1-42", True), ("0-1-42", "0-1-42,1-1-3", False), ("", "", True),
        ("0-1-42,1-1-3", "1-1-3", True), ("garbage", "0-1-1", False),
    ],
)  # fmt: skip
def test_a_position_covers_another_domain_by_domain(have: str, wanted: str, covered: bool) -> None:
    assert covers(position(have), position(wanted)) is covered


def test_positions_are_read_by_domain() -> None:
    assert position("0-1-42, 1-2-7") == Position({0: 42, 1: 7})


async def test_the_lag_is_how_long_a_replica_has_missed_what_the_primary_had() -> None:
    built, primary, (first, second), clock = replicas()
    primary.at = first.at = second.at = "0-1-10"
    await built.poll()
    primary.at = "0-1-11"
    clock[0] = 101.0
    await built.poll()
    first.at = "0-1-11"
    clock[0] = 104.0
    await built.poll()
    one, two = built.members

    assert (one.lag(104.0), two.lag(104.0), two.lag(107.5)) == (0.0, 3.0, 6.5)
    assert (one.fresh_as_of, two.fresh_as_of) == (104.0, 100.0)
    assert [built.usable(r, None, 104.0) for r in built.members] == [True, True]
    assert [built.usable(r, None, 106.5) for r in built.members] == [True, False]  # past 5 s
    assert [built.usable(r, 100.0, 104.0) for r in built.members] == [True, False]  # a writer's
    assert [r.name for r in built.members] == ["10.0.0.2:3307", "10.0.0.3:3306"]


async def test_a_replica_that_fails_its_poll_or_is_not_polled_lately_is_not_read() -> None:
    built, _, (first, _second), _ = replicas()
    first.down = True
    await built.poll()
    one, two = built.members

    assert (one.up, one.lag(100.0), built.usable(one, None, 100.0)) == (False, None, False)
    assert built.usable(two, None, 103.0) is True
    assert built.usable(two, None, 103.5) is False  # three polls missed: unknown


async def test_only_a_web_request_reads_a_replica_the_least_busy_in_turn() -> None:
    built, primary, (first, _second), _ = replicas()
    await built.poll()

    async def work(_: AsyncSession) -> str:
        return "read"

    outside = await built.read(work, primary.read_primary)
    with requested(Freshness()):
        inside = [await built.read(work, primary.read_primary) for _ in range(3)]
        built.members[1].in_flight = 1
        busy = [await built.read(work, primary.read_primary) for _ in range(2)]
        with on_primary():
            credentials = await built.read(work, primary.read_primary)
        first.down = True
        fell_back = await built.read(work, primary.read_primary)

    urls = [m.db.name for m in built.members]  # type: ignore[attr-defined]
    assert outside == "primary"
    assert inside == [urls[0], urls[1], urls[0]]
    assert busy == [urls[0], urls[0]]
    assert credentials == "primary"
    assert (fell_back, built.members[0].up) == ("primary", False)
    await built.dispose()
