"""The cost of executing the dashboard's response shape with no I/O at all.

    python -m bench.graphql_floor

A toy schema with the same shape as the dashboard query (50 employees, 6 role totals each,
one clock record) served from memory by synchronous resolvers. Its time is the floor that
graphql-core and Strawberry put under any implementation of that query on this machine.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time

import strawberry

from tests.helpers import DASHBOARD as QUERY


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


async def measure(requests: int = 200) -> float:
    schema = strawberry.Schema(query=Query)
    variables = {"first": 50, "date": "2026-11-20"}
    times = []
    for _ in range(requests + 10):
        start = time.perf_counter()
        result = await schema.execute(QUERY, variable_values=variables)
        times.append((time.perf_counter() - start) * 1000)
        assert not result.errors, result.errors
    return statistics.median(times[10:])


def main() -> None:
    print(f"dashboard shape, no I/O, sync resolvers: p50 {asyncio.run(measure()):.1f} ms")


if __name__ == "__main__":
    main()
