"""``analytics`` against hand-computed sums: ISO weeks and months computed by each database,
periods clipped to the range, breakdowns, scope per viewer, a bounded report."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from db.engine import Database
from services import analytics
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import GraphQLClient, ServerStatements, StatementCounter, gid

REPORT = """
query($from: Date!, $to: Date!, $groupBy: AnalyticsGrouping, $by: AnalyticsBreakdown,
      $teamId: ID, $employeeId: ID) {
  analytics(from: $from, to: $to, groupBy: $groupBy, by: $by, teamId: $teamId,
            employeeId: $employeeId) {
    from to groupBy by
    totals { periodStart periodEnd employeeDays itemsProcessed productivity }
    series { periodStart periodEnd team { name } employee { code }
             employeeDays itemsProcessed earnedMinutes availableMinutes productivity }
  }
}
"""
RANGE = {"from": "2026-10-30", "to": "2026-11-20"}


@pytest.fixture
async def history(db: Database) -> dict[str, Any]:
    """a1 (Alpha): Fri Oct 30 10 items, Sun Nov 1 20, Mon Nov 2 30, Fri Nov 20 40.
    b1 (Beta): Mon Nov 2 5, Tue Nov 3 7. Every day: earned = 2 x items, 100 available."""
    alpha = await helpers.team(db, name="Alpha")
    beta = await helpers.team(db, name="Beta")
    a1 = await helpers.employee(db, code="a1", team_id=alpha.id)
    b1 = await helpers.employee(db, code="b1", team_id=beta.id)
    days = [(a1, date(2026, 10, 30), 10), (a1, date(2026, 11, 1), 20),
            (a1, date(2026, 11, 2), 30), (a1, date(2026, 11, 20), 40),
            (b1, date(2026, 11, 2), 5), (b1, date(2026, 11, 3), 7),
            (b1, date(2026, 11, 21), 1000)]  # fmt: skip
    await helpers.add(
        db,
        *(
            helpers.score(person, day, items_processed=items, points_earned=float(items),
                          earned_minutes=2.0 * items, available_minutes=100.0)
            for person, day, items in days
        ),
    )  # fmt: skip
    return {"alpha": alpha, "beta": beta, "a1": a1, "b1": b1}


def series(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (p["periodStart"], p["periodEnd"], p["employeeDays"], p["itemsProcessed"],
         p["productivity"])
        for p in data["analytics"]["series"]
    ]  # fmt: skip


async def test_iso_weeks_clipped_to_the_range(history: dict[str, Any], gql: GraphQLClient) -> None:
    data = await gql.data(REPORT, **RANGE, groupBy="WEEK")

    assert series(data) == [
        ("2026-10-30", "2026-11-01", 2, 30, 30.0),  # the week of Oct 26, from Oct 30
        ("2026-11-02", "2026-11-08", 3, 42, 28.0),
        ("2026-11-16", "2026-11-20", 1, 40, 80.0),  # until Nov 20 (Nov 21 is outside)
    ]
    assert data["analytics"]["totals"] == {
        "periodStart": "2026-10-30", "periodEnd": "2026-11-20", "employeeDays": 6,
        "itemsProcessed": 112, "productivity": 37.3,
    }  # fmt: skip
    assert (data["analytics"]["groupBy"], data["analytics"]["by"]) == ("WEEK", "NONE")


async def test_months_and_days(history: dict[str, Any], gql: GraphQLClient) -> None:
    months = await gql.data(REPORT, **RANGE, groupBy="MONTH")
    days = await gql.data(REPORT, **RANGE)

    assert series(months) == [
        ("2026-10-30", "2026-10-31", 1, 10, 20.0),
        ("2026-11-01", "2026-11-20", 5, 102, 40.8),
    ]
    assert [(p[0], p[3]) for p in series(days)] == [
        ("2026-10-30", 10), ("2026-11-01", 20), ("2026-11-02", 35), ("2026-11-03", 7),
        ("2026-11-20", 40),
    ]  # fmt: skip


async def test_a_month_over_a_year_end(db: Database, gql: GraphQLClient) -> None:
    person = await helpers.employee(db)
    await helpers.add(
        db,
        helpers.score(person, date(2026, 12, 31), items_processed=3),
        helpers.score(person, date(2027, 1, 1), items_processed=4),
    )

    data = await gql.data(REPORT, **{"from": "2026-12-01", "to": "2027-01-31"}, groupBy="MONTH")

    assert [(p[0], p[1], p[3]) for p in series(data)] == [
        ("2026-12-01", "2026-12-31", 3),
        ("2027-01-01", "2027-01-31", 4),
    ]


async def test_per_team_and_per_employee(history: dict[str, Any], gql: GraphQLClient) -> None:
    teams = await gql.data(REPORT, **RANGE, groupBy="WEEK", by="TEAM")
    people = await gql.data(REPORT, **RANGE, groupBy="MONTH", by="EMPLOYEE")

    assert [(p["periodStart"], p["team"]["name"], p["itemsProcessed"])
            for p in teams["analytics"]["series"]] == [
        ("2026-10-30", "Alpha", 30), ("2026-11-02", "Alpha", 30), ("2026-11-02", "Beta", 12),
        ("2026-11-16", "Alpha", 40),
    ]  # fmt: skip
    assert [(p["periodStart"], p["employee"]["code"], p["itemsProcessed"])
            for p in people["analytics"]["series"]] == [
        ("2026-10-30", "a1", 10), ("2026-11-01", "a1", 90), ("2026-11-01", "b1", 12),
    ]  # fmt: skip


async def test_each_viewer_sums_what_they_may_see(
    history: dict[str, Any], gql: GraphQLClient
) -> None:
    manager = Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset({history["beta"].id}))
    employee = Viewer(user_id=6, role=UserRole.EMPLOYEE, employee_id=history["a1"].id)

    def items(data: dict[str, Any]) -> int:
        return int(data["analytics"]["totals"]["itemsProcessed"])

    assert items(await gql.data(REPORT, **RANGE)) == 112
    assert items(await gql.data(REPORT, **RANGE, teamId=gid("Team", history["alpha"].id))) == 100
    assert items(await gql.signed_in_as(manager).data(REPORT, **RANGE)) == 12
    assert items(await gql.signed_in_as(employee).data(REPORT, **RANGE)) == 100
    assert (
        items(
            await gql.signed_in_as(manager).data(
                REPORT, **RANGE, employeeId=gid("Employee", history["b1"].id)
            )
        )
        == 12
    )
    for viewer, variables in (
        (manager, {"teamId": gid("Team", history["alpha"].id)}),
        (employee, {"employeeId": gid("Employee", history["b1"].id)}),
        (employee, {"teamId": gid("Team", history["alpha"].id)}),
    ):
        body = await gql.signed_in_as(viewer).execute(REPORT, **RANGE, **variables)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], variables


async def test_a_report_too_large_is_refused(
    history: dict[str, Any], gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analytics, "MAX_POINTS", 4)

    fits = await gql.data(REPORT, **RANGE, groupBy="WEEK", by="TEAM")
    body = await gql.execute(REPORT, **RANGE, by="EMPLOYEE")
    too_long = await gql.execute(REPORT, **{"from": "2025-01-01", "to": "2026-11-20"})

    assert len(fits["analytics"]["series"]) == 4
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "more than 4 points" in body["errors"][0]["message"]
    assert [e["extensions"]["code"] for e in too_long["errors"]] == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    "period", [RANGE, {"from": "2025-11-21", "to": "2026-11-20"}], ids=["3 weeks", "a year"]
)
async def test_three_statements_for_any_range(
    history: dict[str, Any],
    uncached: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    period: dict[str, str],
) -> None:
    await uncached.data(REPORT, **period, groupBy="WEEK", by="TEAM")

    statements.counting = True
    if server is not None:
        server.start()
    await uncached.data(REPORT, **period, groupBy="WEEK", by="TEAM")
    seen = server.stop() if server is not None else None
    statements.counting = False

    # the series, the totals, the teams
    assert statements.count == 3, statements.statements
    if seen is not None:
        assert (seen["Questions"], seen["Com_select"], seen["Com_admin_commands"]) == (3, 3, 0)


def test_period_ends() -> None:
    assert analytics.period_end(date(2026, 2, 1), analytics.Grouping.MONTH) == date(2026, 2, 28)
    assert analytics.period_end(date(2026, 12, 1), analytics.Grouping.MONTH) == date(2026, 12, 31)
    assert analytics.period_end(date(2026, 11, 16), analytics.Grouping.WEEK) == date(2026, 11, 22)
