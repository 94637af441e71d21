"""The dashboard query costs the same, small number of SQL statements for any page size."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bench.dashboard import QUERY
from db import models
from db.engine import Database
from tests import factories
from tests.conftest import GraphQLClient, StatementCounter, utc

DAY = date(2026, 11, 20)

# The query of issue 2; the benchmark measures exactly this document.
DASHBOARD = QUERY

# employees page, teams, default roles, scores, role totals, clock records, open clock records
DASHBOARD_STATEMENTS = 7


async def _staff(db: Database, n: int) -> None:
    teams = [await factories.team(db, name=f"Shift {k}") for k in range(3)]
    picking = await factories.role(
        db, key="picking", name="Picking", points_per_item=1.0, expected_per_hour=120
    )
    packing = await factories.role(
        db, key="packing", name="Packing", points_per_item=1.5, expected_per_hour=80
    )
    employees = [
        models.Employee(
            code=f"D{i:04d}",
            name=f"Dash {i:04d}",
            team_id=teams[i % 3].id,
            default_role_id=(picking if i % 2 else packing).id,
        )
        for i in range(n)
    ]
    await factories.add(db, *employees)
    rows: list[object] = []
    for i, employee in enumerate(employees):
        start = utc(2026, 11, 20, 14, 0)
        rows += [
            factories.activity(employee, picking, start, 20 + i),
            factories.activity(employee, packing, start + timedelta(minutes=10), 10),
            factories.score(employee, DAY, points_earned=35.0 + i, productivity=90.0),
            models.ClockRecord(
                employee_id=employee.id,
                clock_in=start,
                clock_out=None if i % 2 else start + timedelta(hours=8),
                work_date=DAY,
            ),
        ]
    await factories.add(db, *rows)


@pytest.mark.parametrize("n", [1, 10, 100])
async def test_dashboard_statement_count_does_not_grow(
    db: Database, gql: GraphQLClient, statements: StatementCounter, n: int
) -> None:
    await _staff(db, 100)

    statements.counting = True
    data = await gql.data(DASHBOARD, first=n, date=DAY.isoformat())
    statements.counting = False

    edges = data["employees"]["edges"]
    assert len(edges) == n
    assert statements.count == DASHBOARD_STATEMENTS, statements.statements
    first = edges[0]["node"]
    assert first["name"] == "Dash 0000"
    assert first["team"] == {"name": "Shift 0"}
    assert first["defaultRole"] == {"name": "Packing"}
    assert first["score"] == {"pointsEarned": 35.0, "productivity": 90.0}
    assert sorted(
        (r["role"]["key"], r["items"], r["points"]) for r in first["activityBreakdown"]
    ) == [
        ("packing", 10, 15.0),
        ("picking", 20, 20.0),
    ]
    assert first["clockRecords"] == [
        {"clockIn": "2026-11-20T14:00:00+00:00", "clockOut": "2026-11-20T22:00:00+00:00"}
    ]
    assert first["isClockedIn"] is False
