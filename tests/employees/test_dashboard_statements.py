"""The dashboard query costs the same, small number of SQL statements for any page size,
counted where the client sends them and, on MariaDB, where the server executes them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import (
    DASHBOARD,
    GraphQLClient,
    ServerStatements,
    StatementCounter,
    utc,
)

DAY = date(2026, 11, 20)

# employees page, teams, default roles, scores, role totals and their roles, clock records,
# open clock records
DASHBOARD_SELECTS = 8
# What MariaDB executes: those SELECTs and nothing else. Reads run on autocommit connections,
# so no session close or pool return sends a ROLLBACK, and no checkout sends a ping.
SERVER_SEES = {
    "Questions": 8,
    "Com_select": 8,
    "Com_commit": 0,
    "Com_rollback": 0,
    "Com_set_option": 0,
    "Com_admin_commands": 0,
}


async def _staff(db: Database, n: int) -> None:
    teams = [await helpers.team(db, name=f"Shift {k}") for k in range(3)]
    picking = await helpers.role(
        db, key="picking", name="Picking", points_per_item=1.0, expected_per_hour=120
    )
    packing = await helpers.role(
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
    await helpers.add(db, *employees)
    rows: list[object] = []
    for i, employee in enumerate(employees):
        start = utc(2026, 11, 20, 14, 0)
        rows += [
            helpers.activity(employee, picking, start, 20 + i),
            helpers.activity(employee, packing, start + timedelta(minutes=10), 10),
            helpers.score(employee, DAY, points_earned=35.0 + i, productivity=90.0),
            models.ClockRecord(
                employee_id=employee.id,
                clock_in=start,
                clock_out=None if i % 2 else start + timedelta(hours=8),
                work_date=DAY,
            ),
        ]
    await helpers.add(db, *rows)


@pytest.mark.parametrize("n", [1, 10, 100])
async def test_dashboard_statement_count_does_not_grow(
    db: Database,
    uncached: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    n: int,
) -> None:
    await _staff(db, 100)
    await uncached.data(DASHBOARD, first=n, date=DAY.isoformat())  # the pool has its connections

    statements.counting = True
    if server is not None:
        server.start()
    data = await uncached.data(DASHBOARD, first=n, date=DAY.isoformat())
    seen_by_server = server.stop() if server is not None else None
    statements.counting = False

    edges = data["employees"]["edges"]
    assert len(edges) == n
    assert statements.count == DASHBOARD_SELECTS, statements.statements
    if seen_by_server is not None:
        assert seen_by_server == SERVER_SEES
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


@pytest.mark.parametrize("role", [UserRole.ADMIN, UserRole.MANAGER, UserRole.EMPLOYEE])
async def test_authorization_adds_no_statement(
    db: Database,
    uncached: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    role: UserRole,
) -> None:
    await _staff(db, 100)
    async with db.session() as session:
        first_team = await session.scalar(
            select(models.Team.id).where(models.Team.name == "Shift 0")
        )
        nora = await session.scalar(
            select(models.Employee.id).where(models.Employee.code == "D0003")
        )
    viewer = Viewer(user_id=9, role=role, team_ids=frozenset({first_team or 0}), employee_id=nora)
    caller = uncached.signed_in_as(viewer)
    await caller.data(DASHBOARD, first=100, date=DAY.isoformat())  # the pool has its connections

    statements.counting = True
    if server is not None:
        server.start()
    data = await caller.data(DASHBOARD, first=100, date=DAY.isoformat())
    seen_by_server = server.stop() if server is not None else None
    statements.counting = False

    names = [edge["node"]["name"] for edge in data["employees"]["edges"]]
    expected = {
        UserRole.ADMIN: 100,  # everyone
        UserRole.MANAGER: 34,  # Shift 0: employees 0, 3, 6, ... 99
        UserRole.EMPLOYEE: 1,  # themselves
    }[role]
    assert len(names) == expected
    assert role is not UserRole.EMPLOYEE or names == ["Dash 0003"]
    assert statements.count == DASHBOARD_SELECTS, statements.statements
    if seen_by_server is not None:
        assert seen_by_server == SERVER_SEES
