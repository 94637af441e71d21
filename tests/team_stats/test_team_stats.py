"""``teamStats`` and ``teamMetrics`` against a hand-computed day; their statements do not grow
with the number of teams; who may see which team."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import GraphQLClient, ServerStatements, StatementCounter, gid, utc

DAY = date(2026, 11, 20)  # NOW is 20:30 UTC that day

STATS = """query($date: Date!) { teamStats(date: $date) {
  team { name } date headcount working clockedInNow itemsProcessed pointsEarned earnedMinutes
  availableMinutes idleMinutes productivity utilization openFlags } }"""

METRICS = """query($team: ID!, $date: Date) { teamMetrics(teamId: $team, date: $date) {
  overview { team { name } itemsProcessed productivity utilization openFlags clockedInNow }
  bottlenecks { role { key } itemsProcessed activeMinutes actualPerHour expectedPerHour ratePercent }
  capacity { scheduledMinutes clockedMinutes remainingScheduledMinutes itemsPerHour projectedItems }
  health { score productivity utilization attendance flaggedActivitiesPercent } } }"""


@pytest.fixture
async def floor(db: Database) -> dict[str, Any]:
    """
    Alpha: a1, a2 (a3 inactive). Beta: b1. Gamma: nobody.
    scores   items points earned available utilization clocked idle
      a1      100   150    240     480        50         510     30
      a2       60    60    300     240       100         240      0
      b1       10    10     60     480        25         480     90
    a1 is clocked in since 14:00 today; b1's open record is three days old (forgotten).
    Alpha's activities: picking (120/h) a1 14:00-15:00 60 items and 14:30-15:30 40 items
    (union 90 min), a2 16:00-16:30 50 items; labeling (100/h) a1 17:00-17:30 20 items;
    packing (60/h) a2 15:00-16:00 60 items. Flags: one open on a1's first picking activity,
    one dismissed on the labeling one, one open LONG_IDLE without activity, one resolved.
    Schedule: a1 13:00-21:00, a2 14:00-22:00.
    """
    alpha = await helpers.team(db, name="Alpha")
    beta = await helpers.team(db, name="Beta")
    await helpers.team(db, name="Gamma")
    picking = await helpers.role(db, key="picking", expected_per_hour=120)
    labeling = await helpers.role(db, key="labeling", expected_per_hour=100)
    packing = await helpers.role(db, key="packing", expected_per_hour=60)
    a1 = await helpers.employee(db, code="a1", team_id=alpha.id)
    a2 = await helpers.employee(db, code="a2", team_id=alpha.id)
    await helpers.employee(db, code="a3", team_id=alpha.id, active=False)
    b1 = await helpers.employee(db, code="b1", team_id=beta.id)

    def scored(person: models.Employee, *values: float) -> models.DailyScore:
        items, points, earned, available, utilization, clocked, idle = values
        return helpers.score(
            person, DAY, items_processed=int(items), points_earned=points, earned_minutes=earned,
            available_minutes=available, utilization=utilization, clocked_minutes=clocked,
            idle_minutes=idle,
        )  # fmt: skip

    first = helpers.activity(a1, picking, utc(2026, 11, 20, 14), 60,
                             window_end=utc(2026, 11, 20, 15), work_date=DAY)  # fmt: skip
    label = helpers.activity(a1, labeling, utc(2026, 11, 20, 17), 20,
                             window_end=utc(2026, 11, 20, 17, 30), work_date=DAY)  # fmt: skip
    await helpers.add(
        db,
        scored(a1, 100, 150, 240, 480, 50, 510, 30),
        scored(a2, 60, 60, 300, 240, 100, 240, 0),
        scored(b1, 10, 10, 60, 480, 25, 480, 90),
        models.ClockRecord(employee_id=a1.id, clock_in=utc(2026, 11, 20, 14), work_date=DAY),
        models.ClockRecord(employee_id=a2.id, clock_in=utc(2026, 11, 20, 14),
                           clock_out=utc(2026, 11, 20, 18), work_date=DAY),
        models.ClockRecord(employee_id=b1.id, clock_in=utc(2026, 11, 17, 14),
                           work_date=date(2026, 11, 17)),
        first,
        label,
        helpers.activity(a1, picking, utc(2026, 11, 20, 14, 30), 40,
                         window_end=utc(2026, 11, 20, 15, 30), work_date=DAY),
        helpers.activity(a2, picking, utc(2026, 11, 20, 16), 50,
                         window_end=utc(2026, 11, 20, 16, 30), work_date=DAY),
        helpers.activity(a2, packing, utc(2026, 11, 20, 15), 60,
                         window_end=utc(2026, 11, 20, 16), work_date=DAY),
        models.ScheduledShift(employee_id=a1.id, team_id=alpha.id, work_date=DAY,
                              start=utc(2026, 11, 20, 13), end=utc(2026, 11, 20, 21)),
        models.ScheduledShift(employee_id=a2.id, team_id=alpha.id, work_date=DAY,
                              start=utc(2026, 11, 20, 14), end=utc(2026, 11, 20, 22)),
    )  # fmt: skip

    def flag(rule: str, key: str, status: str, activity: models.Activity | None) -> models.Flag:
        return models.Flag(
            rule=rule, subject_key=key, employee_id=a1.id, team_id=alpha.id, work_date=DAY,
            activity_id=activity.id if activity else None, status=status,
        )  # fmt: skip

    await helpers.add(
        db,
        flag("IMPOSSIBLE_RATE", "x1", "OPEN", first),
        flag("OVERLAPPING_ACTIVITY", "x2", "DISMISSED", label),
        flag("LONG_IDLE", "x3", "OPEN", None),
        flag("LONG_IDLE", "x4", "RESOLVED", None),
    )
    return {"alpha": alpha, "beta": beta, "a1": a1, "b1": b1}


async def test_team_stats_of_every_team(floor: dict[str, Any], gql: GraphQLClient) -> None:
    data = await gql.data(STATS, date=DAY.isoformat())

    assert data["teamStats"] == [
        {"team": {"name": "Alpha"}, "date": "2026-11-20", "headcount": 2, "working": 2,
         "clockedInNow": 1, "itemsProcessed": 160, "pointsEarned": 210.0, "earnedMinutes": 540.0,
         "availableMinutes": 720.0, "idleMinutes": 30.0, "productivity": 75.0,
         "utilization": 66.7, "openFlags": 2},
        {"team": {"name": "Beta"}, "date": "2026-11-20", "headcount": 1, "working": 1,
         "clockedInNow": 0, "itemsProcessed": 10, "pointsEarned": 10.0, "earnedMinutes": 60.0,
         "availableMinutes": 480.0, "idleMinutes": 90.0, "productivity": 12.5,
         "utilization": 25.0, "openFlags": 0},
        {"team": {"name": "Gamma"}, "date": "2026-11-20", "headcount": 0, "working": 0,
         "clockedInNow": 0, "itemsProcessed": 0, "pointsEarned": 0.0, "earnedMinutes": 0.0,
         "availableMinutes": 0.0, "idleMinutes": 0.0, "productivity": None,
         "utilization": None, "openFlags": 0},
    ]  # fmt: skip


async def test_team_metrics_of_a_day(floor: dict[str, Any], gql: GraphQLClient) -> None:
    data = await gql.data(METRICS, team=gid("Team", floor["alpha"].id), date=DAY.isoformat())

    metrics = data["teamMetrics"]
    assert metrics["overview"] == {
        "team": {"name": "Alpha"}, "itemsProcessed": 160, "productivity": 75.0,
        "utilization": 66.7, "openFlags": 2, "clockedInNow": 1,
    }  # fmt: skip
    # labeling 20 items in 30 min = 40/h of 100; picking 150 items in 90 + 30 min = 75/h of 120
    assert metrics["bottlenecks"] == [
        {"role": {"key": "labeling"}, "itemsProcessed": 20, "activeMinutes": 30.0,
         "actualPerHour": 40.0, "expectedPerHour": 100.0, "ratePercent": 40.0},
        {"role": {"key": "picking"}, "itemsProcessed": 150, "activeMinutes": 120.0,
         "actualPerHour": 75.0, "expectedPerHour": 120.0, "ratePercent": 62.5},
    ]  # fmt: skip
    # 160 items in 720 available minutes; 30 + 90 scheduled minutes after 20:30
    assert metrics["capacity"] == {
        "scheduledMinutes": 960.0, "clockedMinutes": 750.0, "remainingScheduledMinutes": 120.0,
        "itemsPerHour": 13.33, "projectedItems": 186.7,
    }  # fmt: skip
    # 0.4 * 75 + 0.3 * 66.67 + 0.2 * 100 + 0.1 * (100 - 20): 1 of 5 activities flagged
    assert metrics["health"] == {
        "score": 78.0, "productivity": 75.0, "utilization": 66.7, "attendance": 100.0,
        "flaggedActivitiesPercent": 20.0,
    }  # fmt: skip


async def test_metrics_default_to_today_in_the_team_timezone(
    floor: dict[str, Any], gql: GraphQLClient
) -> None:
    data = await gql.data(METRICS, team=gid("Team", floor["beta"].id))

    assert data["teamMetrics"]["overview"]["itemsProcessed"] == 10
    assert data["teamMetrics"]["bottlenecks"] == []
    assert data["teamMetrics"]["capacity"]["scheduledMinutes"] == 0.0
    # no schedule: attendance is who clocked in that day (nobody) of the headcount (1)
    assert data["teamMetrics"]["health"]["attendance"] == 0.0


async def test_managers_see_their_teams_and_employees_none(
    floor: dict[str, Any], gql: GraphQLClient
) -> None:
    manager = Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset({floor["beta"].id}))
    employee = Viewer(user_id=6, role=UserRole.EMPLOYEE, employee_id=floor["a1"].id)
    alpha = gid("Team", floor["alpha"].id)

    theirs = await gql.signed_in_as(manager).data(STATS, date=DAY.isoformat())
    other = await gql.signed_in_as(manager).execute(METRICS, team=alpha)
    refused = await gql.signed_in_as(employee).execute(STATS, date=DAY.isoformat())

    assert [s["team"]["name"] for s in theirs["teamStats"]] == ["Beta"]
    assert [e["extensions"]["code"] for e in other["errors"]] == ["FORBIDDEN"]
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]


@pytest.mark.parametrize("teams", [3, 30])
async def test_team_stats_cost_five_statements_for_any_number_of_teams(
    db: Database,
    floor: dict[str, Any],
    uncached: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    teams: int,
) -> None:
    for _ in range(teams - 3):
        team = await helpers.team(db)
        person = await helpers.employee(db, team_id=team.id)
        await helpers.add(db, helpers.score(person, DAY, items_processed=1))
    await uncached.data(STATS, date=DAY.isoformat())  # the pool has its connections

    statements.counting = True
    if server is not None:
        server.start()
    data = await uncached.data(STATS, date=DAY.isoformat())
    seen = server.stop() if server is not None else None
    statements.counting = False

    assert len(data["teamStats"]) == teams
    # teams, then scores, headcount, clocked in, open flags (each grouped by team)
    assert statements.count == 5, statements.statements
    if seen is not None:
        assert (seen["Questions"], seen["Com_select"], seen["Com_admin_commands"]) == (5, 5, 0)


async def test_team_metrics_cost_ten_statements(
    floor: dict[str, Any],
    uncached: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
) -> None:
    team = gid("Team", floor["alpha"].id)
    await uncached.data(METRICS, team=team, date=DAY.isoformat())

    statements.counting = True
    if server is not None:
        server.start()
    await uncached.data(METRICS, team=team, date=DAY.isoformat())
    seen = server.stop() if server is not None else None
    statements.counting = False

    # the team, the overview's four, activities, roles, schedule, flagged activities, clocked
    assert statements.count == 10, statements.statements
    if seen is not None:
        assert (seen["Questions"], seen["Com_select"], seen["Com_admin_commands"]) == (10, 10, 0)
