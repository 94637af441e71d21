"""The cost of executing a response shape with no I/O at all: the dashboard's and the
leaderboard page's.

    python -m bench.graphql_floor

Toy schemas with the same shapes (the dashboard: 50 employees, 6 role totals each, one clock
record; the leaderboard: 50 entries with their employee, team, score and 6 role totals) served
from memory by synchronous resolvers. Their time is the floor that graphql-core and Strawberry
put under any implementation of those queries on this machine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time
from typing import Annotated

import strawberry

from tests.helpers import DASHBOARD as QUERY
from tests.helpers import LEADERBOARD_PAGE


@strawberry.type
class Named:
    name: str


@strawberry.type
class RoleRef:
    key: str
    name: str


@strawberry.type
class Score:
    points_earned: float
    productivity: float


@strawberry.type
class Total:
    role: RoleRef
    items: int
    points: float


@strawberry.type
class Clock:
    clock_in: dt.datetime
    clock_out: dt.datetime | None


@strawberry.type
class Person:
    name: str
    team: Named
    default_role: RoleRef
    is_clocked_in: bool
    day_score: strawberry.Private[Score]
    totals: strawberry.Private[list[Total]]
    clocks: strawberry.Private[list[Clock]]

    @strawberry.field
    def score(self, date: dt.date) -> Score:
        return self.day_score

    @strawberry.field
    def activity_breakdown(self, date: dt.date) -> list[Total]:
        return self.totals

    @strawberry.field
    def clock_records(self, date: dt.date) -> list[Clock]:
        return self.clocks


@strawberry.type
class PersonEdge:
    node: Person


@strawberry.type
class People:
    edges: list[PersonEdge]


NOW = dt.datetime(2026, 11, 20, 14, tzinfo=dt.UTC)
PEOPLE = [
    Person(
        name=f"Employee {i}",
        team=Named(name="Team"),
        default_role=RoleRef(key="picking", name="Picking"),
        is_clocked_in=False,
        day_score=Score(points_earned=100.0, productivity=95.0),
        totals=[Total(role=RoleRef(key=f"r{j}", name="R"), items=j, points=1.5) for j in range(6)],
        clocks=[Clock(clock_in=NOW, clock_out=None)],
    )
    for i in range(100)
]


@strawberry.type
class Query:
    @strawberry.field
    def employees(self, first: int) -> People:
        return People(edges=[PersonEdge(node=p) for p in PEOPLE[:first]])


@strawberry.type
class Entry:
    rank: int
    points_earned: float
    items_processed: int
    productivity: float | None
    employee: Person


@strawberry.type
class EntryEdge:
    cursor: str
    node: Entry


@strawberry.type
class Board:
    total_count: int
    edges: list[EntryEdge]


ENTRIES = [
    EntryEdge(
        cursor="WzEsImxlYWRlcmJvYXJkIiw5ODUuNSwxMjM0XQ.c2lnbmF0dXJlLWJ5dGVz",
        node=Entry(rank=i + 1, points_earned=985.5, items_processed=600, productivity=101.2,
                   employee=p),
    )
    for i, p in enumerate(PEOPLE)
]  # fmt: skip


@strawberry.type
class BoardQuery:
    @strawberry.field
    def leaderboard(
        self, first: int, from_: Annotated[dt.date, strawberry.argument(name="from")]
    ) -> Board:
        return Board(total_count=2000, edges=ENTRIES[:first])


DASHBOARD_FLOOR = (strawberry.Schema(query=Query), QUERY, {"first": 50, "date": "2026-11-20"})
LEADERBOARD_FLOOR = (
    strawberry.Schema(query=BoardQuery),
    LEADERBOARD_PAGE,
    {"first": 50, "day": "2026-11-20"},
)


async def execute(shape: tuple[strawberry.Schema, str, dict[str, object]]) -> None:
    """One execution of a shape (for interleaving with other paths)."""
    schema, query, variables = shape
    result = await schema.execute(query, variable_values=variables)
    assert not result.errors, result.errors


async def measure(
    shape: tuple[strawberry.Schema, str, dict[str, object]], requests: int = 200
) -> float:
    times = []
    for _ in range(requests + 10):
        start = time.perf_counter()
        await execute(shape)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times[10:])


def main() -> None:
    for name, shape in (("dashboard", DASHBOARD_FLOOR), ("leaderboard", LEADERBOARD_FLOOR)):
        print(f"{name} shape, no I/O, sync resolvers: p50 {asyncio.run(measure(shape)):.1f} ms")


if __name__ == "__main__":
    main()
