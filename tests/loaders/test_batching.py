"""Every loader answers many keys with one statement, on the client and on the server."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from db import models
from db.engine import Database
from loaders.activities import (
    LISTED_MAX,
    ActivityPageByEmployeeLoader,
    ActivityPageKey,
    RoleTotal,
    RoleTotalsByEmployeeDateLoader,
)
from loaders.clock_records import (
    BreaksByClockRecordLoader,
    ClockRecordsByEmployeeDateLoader,
    OpenClockRecordByEmployeeLoader,
)
from loaders.registry import Loaders
from loaders.scores import (
    IdlePeriodsByEmployeeDateLoader,
    ScoreByEmployeeDateLoader,
    ScoresByEmployeeRangeLoader,
)
from tests import helpers
from tests.helpers import NOW, GraphQLClient, ServerStatements, StatementCounter, gid, utc

DAY = date(2026, 11, 20)
MISSING = 10**9


@dataclass
class Floor:
    """Five employees on two teams, each with a day of work; employee 5 has no day at all."""

    teams: list[models.Team]
    people: list[models.Employee]
    clocks: list[models.ClockRecord]


@pytest.fixture
async def floor(db: Database) -> Floor:
    teams = [await helpers.team(db, key=f"t{n}") for n in range(2)]
    pick = await helpers.role(db, key="pick", points_per_item=2.0, expected_per_hour=60)
    people = [
        models.Employee(code=f"B{n}", name=f"Batch {n}", team_id=teams[n % 2].id) for n in range(5)
    ]
    await helpers.add(db, *people)
    clocks = [
        models.ClockRecord(
            employee_id=person.id,
            clock_in=utc(2026, 11, 20, 14),
            clock_out=None if n % 2 else utc(2026, 11, 20, 18),
            work_date=DAY,
        )
        for n, person in enumerate(people[:4])
    ]
    await helpers.add(db, *clocks)
    rows: list[Any] = []
    for n, (person, clock) in enumerate(zip(people, clocks, strict=False)):
        start = utc(2026, 11, 20, 14)
        rows += [
            helpers.activity(person, pick, start + timedelta(minutes=10 * k), 10 + n)
            for k in range(3)
        ]
        rows += [
            helpers.score(person, DAY, points_earned=float(n)),
            helpers.score(person, DAY - timedelta(days=1), points_earned=float(10 + n)),
            models.ClockBreak(
                clock_record_id=clock.id, start=utc(2026, 11, 20, 16), end=utc(2026, 11, 20, 16, 15)
            ),
            models.IdlePeriod(
                employee_id=person.id,
                work_date=DAY,
                start=utc(2026, 11, 20, 15),
                end=utc(2026, 11, 20, 15, 20),
                minutes=20.0,
            ),
        ]
    await helpers.add(db, *rows)
    return Floor(teams, people, clocks)


Case = Callable[[Loaders, Floor], tuple[list[Awaitable[Any]], Callable[[list[Any]], Any]]]


def ids(found: list[Any]) -> list[int | None]:
    return [None if row is None else row.id for row in found]


CASES: dict[str, tuple[Case, Callable[[Floor], Any]]] = {
    "row by id": (
        lambda ld, f: (
            [ld.by_id(models.Employee).load(p.id) for p in f.people]
            + [ld.by_id(models.Employee).load(MISSING)],
            lambda found: [None if r is None else r.name for r in found],
        ),
        lambda f: [p.name for p in f.people] + [None],
    ),
    "score by employee and date": (
        lambda ld, f: (
            [ld.of(ScoreByEmployeeDateLoader).load((p.id, DAY)) for p in f.people],
            lambda found: [None if r is None else r.points_earned for r in found],
        ),
        lambda f: [0.0, 1.0, 2.0, 3.0, None],
    ),
    "scores by employee and range": (
        lambda ld, f: (
            [ld.of(ScoresByEmployeeRangeLoader).load((p.id, DAY - timedelta(days=1), DAY)) for p in f.people],
            lambda found: [[r.points_earned for r in rows] for rows in found],
        ),
        lambda f: [[10.0, 0.0], [11.0, 1.0], [12.0, 2.0], [13.0, 3.0], []],
    ),
    "idle periods by employee and date": (
        lambda ld, f: (
            [ld.of(IdlePeriodsByEmployeeDateLoader).load((p.id, DAY)) for p in f.people],
            lambda found: [[r.minutes for r in rows] for rows in found],
        ),
        lambda f: [[20.0]] * 4 + [[]],
    ),
    "role totals by employee and date": (
        lambda ld, f: (
            [ld.of(RoleTotalsByEmployeeDateLoader).load((p.id, DAY)) for p in f.people],
            lambda found: [[(t.role.key, t.items, t.points) for t in rows] for rows in found],
        ),
        lambda f: [[("pick", 3 * (10 + n), 6.0 * (10 + n))] for n in range(4)] + [[]],
    ),
    "clock records by employee and date": (
        lambda ld, f: (
            [ld.of(ClockRecordsByEmployeeDateLoader).load((p.id, DAY)) for p in f.people],
            lambda found: [ids(rows) for rows in found],
        ),
        lambda f: [[c.id] for c in f.clocks] + [[]],
    ),
    "open clock record by employee": (
        lambda ld, f: (
            [ld.of(OpenClockRecordByEmployeeLoader).load(p.id) for p in f.people],
            ids,
        ),
        lambda f: [None, f.clocks[1].id, None, f.clocks[3].id, None],
    ),
    "breaks by clock record": (
        lambda ld, f: (
            [ld.of(BreaksByClockRecordLoader).load(c.id) for c in f.clocks] + [ld.of(BreaksByClockRecordLoader).load(MISSING)],
            lambda found: [len(rows) for rows in found],
        ),
        lambda f: [1, 1, 1, 1, 0],
    ),
    "activity page by employee": (
        lambda ld, f: (
            [ld.of(ActivityPageByEmployeeLoader).load(ActivityPageKey(p.id, None, None, 2, None)) for p in f.people],
            lambda found: [[r.items_count for r in rows] for rows in found],
        ),
        lambda f: [[10 + n] * 3 for n in range(4)] + [[]],  # limit 2, and one more to see a next page
    ),
}  # fmt: skip


# Statements per batch where it is not one: role totals read the totals, then their roles
# (a few rows, instead of a role's columns on each of hundreds of rows).
STATEMENTS = {"role totals by employee and date": 2}


@pytest.mark.parametrize("case", sorted(CASES))
async def test_many_keys_cost_one_statement(
    db: Database,
    floor: Floor,
    statements: StatementCounter,
    server: ServerStatements | None,
    case: str,
) -> None:
    load, expected = CASES[case]
    await helpers.warm_reads(db)
    loaders = Loaders(db, NOW)
    awaitables, summary = load(loaders, floor)

    statements.counting = True
    if server is not None:
        server.start()
    found = await asyncio.gather(*awaitables)
    seen_by_server = server.stop() if server is not None else None
    statements.counting = False

    assert summary(list(found)) == expected(floor)
    expected_statements = STATEMENTS.get(case, 1)
    assert statements.count == expected_statements, statements.statements
    if seen_by_server is not None:
        assert (
            seen_by_server["Questions"], seen_by_server["Com_select"],
            seen_by_server["Com_admin_commands"],
        ) == (expected_statements, expected_statements, 0)  # fmt: skip


async def test_what_a_request_loaded_goes_with_it_not_with_the_collector(
    db: Database, gql: GraphQLClient
) -> None:
    """graphql-core's execution context is a reference cycle that reaches the request's
    context; the loaders are emptied once the answer is computed, so the rows and values
    they loaded are freed as soon as the request is done, not at the next collection."""
    person = await helpers.employee(db)
    picking = await helpers.role(db, key="picking")
    await helpers.add(db, helpers.activity(person, picking, utc(2026, 11, 20, 14), 30))
    query = """query($e: ID!) { employee(id: $e) { name
        activityBreakdown(date: "2026-11-20") { role { key } items } } }"""

    gc.collect()
    gc.disable()
    try:
        data = await gql.data(query, e=gid("Employee", person.id))
        alive = [
            o
            for o in gc.get_objects()
            if isinstance(o, RoleTotal | models.Employee) and o is not person
        ]
    finally:
        gc.enable()

    assert data["employee"]["activityBreakdown"] == [{"role": {"key": "picking"}, "items": 30}]
    assert alive == []


@pytest.mark.parametrize("roles", [3, 130])
async def test_a_days_totals_are_exact_however_many_roles_it_lists(
    db: Database, statements: StatementCounter, roles: int
) -> None:
    """A day's totals come listed in one string per employee; a list that MySQL may have cut
    (``LISTED_MAX`` bytes or more: 130 roles here) is read again role by role, with the same
    answer. Voided activities and other days count for nothing."""
    person, other = await helpers.employee(db), await helpers.employee(db)
    made = [await helpers.role(db, key=f"r{k:03d}", points_per_item=0.5) for k in range(roles)]
    start = utc(2026, 11, 20, 14)
    rows: list[Any] = []
    for k, role in enumerate(made):
        rows += [
            helpers.activity(person, role, start, 100 + k),
            helpers.activity(person, role, start + timedelta(minutes=10), 7),
            helpers.activity(person, role, start, 1000, voided_at=start),
            helpers.activity(person, role, start - timedelta(days=1), 1000),
        ]
    rows.append(helpers.activity(other, made[0], start, 5))
    await helpers.add(db, *rows)
    await helpers.warm_reads(db)

    statements.counting = True
    found = (
        await Loaders(db, NOW)
        .of(RoleTotalsByEmployeeDateLoader)
        .load_many([(person.id, DAY), (other.id, DAY)])
    )
    statements.counting = False

    mine = [(t.role.key, t.items, t.activities, t.points) for t in found[0]]
    assert mine == [(f"r{k:03d}", 107 + k, 2, (107 + k) * 0.5) for k in range(roles)]
    assert [(t.role.key, t.items, t.activities) for t in found[1]] == [("r000", 5, 1)]
    listed = "".join(f"{made[k].id}:{107 + k}:2," for k in range(roles))
    assert (len(listed) >= LISTED_MAX) == (roles == 130)
    expected = 2 if roles == 3 else 3  # the listed totals, (again role by role,) the roles
    assert statements.count == expected, statements.statements
