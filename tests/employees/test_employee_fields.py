"""Per-employee fields: scores, breakdown, clock records, clock state, idle, activity pages."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from db import models
from db.engine import Database
from tests import helpers
from tests.helpers import NOW, GraphQLClient, StatementCounter, gid, utc

DAY = date(2026, 11, 20)


async def test_score_defaults_to_today_in_the_team_timezone(
    db: Database, gql: GraphQLClient
) -> None:
    tokyo = await helpers.team(db, timezone="Asia/Tokyo")  # NOW is already 11-21 there
    chicago = await helpers.team(db, timezone="America/Chicago")
    east = await helpers.employee(db, team_id=tokyo.id)
    west = await helpers.employee(db, team_id=chicago.id)
    nowhere = await helpers.employee(db)  # company timezone: America/Chicago
    rows = [helpers.score(e, d, items_processed=n) for n, (e, d) in enumerate(
        [(east, DAY), (east, DAY + timedelta(days=1)), (west, DAY), (nowhere, DAY)]
    )]  # fmt: skip
    await helpers.add(db, *rows)

    data = await gql.data("{ employees { edges { node { code score { date itemsProcessed } } } } }")

    got = {edge["node"]["code"]: edge["node"]["score"] for edge in data["employees"]["edges"]}
    assert got == {
        east.code: {"date": "2026-11-21", "itemsProcessed": 1},
        west.code: {"date": "2026-11-20", "itemsProcessed": 2},
        nowhere.code: {"date": "2026-11-20", "itemsProcessed": 3},
    }


async def test_score_fields_are_rounded_for_the_api(db: Database, gql: GraphQLClient) -> None:
    person = await helpers.employee(db)
    await helpers.add(
        db,
        helpers.score(
            person, DAY, items_processed=412, points_earned=412.5049, earned_minutes=206.25,
            active_minutes=300.0, clocked_minutes=480.0, break_minutes=45.0,
            available_minutes=435.0, idle_minutes=20.0, productivity=47.41379,
            utilization=68.96551, is_final=True,
        ),
    )  # fmt: skip

    data = await gql.data(
        """query($e: ID!) { employee(id: $e) { score(date: "2026-11-20") {
            date itemsProcessed pointsEarned earnedMinutes activeMinutes clockedMinutes
            breakMinutes availableMinutes idleMinutes productivity utilization isFinal } } }""",
        e=gid("Employee", person.id),
    )

    assert data["employee"]["score"] == {
        "date": "2026-11-20", "itemsProcessed": 412, "pointsEarned": 412.5,
        "earnedMinutes": 206.25, "activeMinutes": 300.0, "clockedMinutes": 480.0,
        "breakMinutes": 45.0, "availableMinutes": 435.0, "idleMinutes": 20.0,
        "productivity": 47.4, "utilization": 69.0, "isFinal": True,
    }  # fmt: skip


async def test_scores_in_a_range_are_ordered_by_date(db: Database, gql: GraphQLClient) -> None:
    person = await helpers.employee(db)
    days = [DAY - timedelta(days=n) for n in range(5)]
    await helpers.add(db, *(helpers.score(person, d, items_processed=d.day) for d in days))

    data = await gql.data(
        """query($e: ID!) { employee(id: $e) {
            scores(from: "2026-11-17", to: "2026-11-19") { date itemsProcessed } } }""",
        e=gid("Employee", person.id),
    )

    assert data["employee"]["scores"] == [
        {"date": "2026-11-17", "itemsProcessed": 17},
        {"date": "2026-11-18", "itemsProcessed": 18},
        {"date": "2026-11-19", "itemsProcessed": 19},
    ]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-11-20", "2026-11-19", "`from` must not be after `to`"),
        ("2025-01-01", "2026-11-19", "a score range spans at most 366 days"),
    ],
)
async def test_bad_score_ranges_are_rejected(
    db: Database, gql: GraphQLClient, start: str, end: str, message: str
) -> None:
    person = await helpers.employee(db)

    body = await gql.execute(
        "query($e: ID!, $f: Date!, $t: Date!) { employee(id: $e) { scores(from: $f, to: $t) { date } } }",
        e=gid("Employee", person.id), f=start, t=end,
    )  # fmt: skip

    assert body["data"] == {"employee": {"scores": None}}  # nullable: the employee stands
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        (message, "BAD_USER_INPUT")
    ]


async def test_breakdown_sums_the_days_live_activities_per_role(
    db: Database, gql: GraphQLClient
) -> None:
    person = await helpers.employee(db)
    picking = await helpers.role(db, key="picking", points_per_item=1.0, expected_per_hour=120)
    packing = await helpers.role(db, key="packing", points_per_item=1.5, expected_per_hour=80)
    counting = await helpers.role(db, key="counting", points_per_item=0.5, expected_per_hour=0)
    start = utc(2026, 11, 20, 14)
    await helpers.add(
        db,
        helpers.activity(person, picking, start, 30),
        helpers.activity(person, picking, start + timedelta(minutes=10), 25),
        helpers.activity(person, packing, start + timedelta(minutes=20), 11),
        helpers.activity(person, counting, start + timedelta(minutes=30), 7),
        helpers.activity(person, packing, start + timedelta(minutes=40), 99, voided_at=NOW),
        helpers.activity(person, picking, start - timedelta(days=1), 500, work_date=DAY - timedelta(days=1)),
    )  # fmt: skip

    data = await gql.data(
        """query($e: ID!) { employee(id: $e) { activityBreakdown(date: "2026-11-20") {
            role { key } items activities points earnedMinutes } } }""",
        e=gid("Employee", person.id),
    )

    assert data["employee"]["activityBreakdown"] == [
        {"role": {"key": "counting"}, "items": 7, "activities": 1, "points": 3.5, "earnedMinutes": 0.0},
        {"role": {"key": "packing"}, "items": 11, "activities": 1, "points": 16.5, "earnedMinutes": 8.25},
        {"role": {"key": "picking"}, "items": 55, "activities": 2, "points": 55.0, "earnedMinutes": 27.5},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("clock_in_hours_ago", "closed", "clocked_in"),
    [(2, False, True), (17, False, False), (2, True, False)],
    ids=["open", "forgotten-clock-out", "closed"],
)
async def test_clock_records_and_clock_state(
    db: Database, gql: GraphQLClient, clock_in_hours_ago: int, closed: bool, clocked_in: bool
) -> None:
    person = await helpers.employee(db)
    clock_in = NOW - timedelta(hours=clock_in_hours_ago)
    record = models.ClockRecord(
        employee_id=person.id,
        clock_in=clock_in,
        clock_out=NOW - timedelta(minutes=5) if closed else None,
        work_date=DAY,
    )
    await helpers.add(db, record)
    await helpers.add(
        db,
        models.ClockBreak(clock_record_id=record.id, start=clock_in + timedelta(hours=1),
                          end=clock_in + timedelta(hours=1, minutes=15)),
    )  # fmt: skip

    data = await gql.data(
        """query($e: ID!) { employee(id: $e) { isClockedIn
            clockRecords(date: "2026-11-20") { clockIn clockOut workDate breaks { start end } } } }""",
        e=gid("Employee", person.id),
    )

    assert data["employee"]["isClockedIn"] is clocked_in
    assert data["employee"]["clockRecords"] == [
        {
            "clockIn": clock_in.isoformat(),
            "clockOut": (NOW - timedelta(minutes=5)).isoformat() if closed else None,
            "workDate": "2026-11-20",
            "breaks": [
                {
                    "start": (clock_in + timedelta(hours=1)).isoformat(),
                    "end": (clock_in + timedelta(hours=1, minutes=15)).isoformat(),
                }
            ],
        }
    ]


async def test_idle_periods_of_the_day(db: Database, gql: GraphQLClient) -> None:
    person = await helpers.employee(db)
    await helpers.add(
        db,
        models.IdlePeriod(employee_id=person.id, work_date=DAY, start=utc(2026, 11, 20, 16),
                          end=utc(2026, 11, 20, 16, 40), minutes=40.0),
        models.IdlePeriod(employee_id=person.id, work_date=DAY, start=utc(2026, 11, 20, 15),
                          end=utc(2026, 11, 20, 15, 20), minutes=20.0),
        models.IdlePeriod(employee_id=person.id, work_date=DAY - timedelta(days=1),
                          start=utc(2026, 11, 19, 15), end=utc(2026, 11, 19, 16), minutes=60.0),
    )  # fmt: skip

    data = await gql.data(
        'query($e: ID!) { employee(id: $e) { idlePeriods(date: "2026-11-20") { start end minutes } } }',
        e=gid("Employee", person.id),
    )

    assert data["employee"]["idlePeriods"] == [
        {"start": "2026-11-20T15:00:00+00:00", "end": "2026-11-20T15:20:00+00:00", "minutes": 20.0},
        {"start": "2026-11-20T16:00:00+00:00", "end": "2026-11-20T16:40:00+00:00", "minutes": 40.0},
    ]  # fmt: skip


ACTIVITY_PAGES = """
query($first: Int!, $after: String, $from: DateTime, $to: DateTime) {
  employees(first: 100) { edges { node { code
    activities(first: $first, after: $after, from: $from, to: $to) {
      edges { node { windowStart itemsCount role { key } } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  } } }
}
"""


async def _two_workers(db: Database, per_employee: int) -> list[models.Employee]:
    role = await helpers.role(db, key="picking")
    people = [await helpers.employee(db, name=f"Worker {n}") for n in range(2)]
    start = utc(2026, 11, 20, 14)
    await helpers.add(
        db,
        *(
            helpers.activity(p, role, start + timedelta(minutes=10 * i), items=10 * k + i)
            for k, p in enumerate(people)
            for i in range(per_employee)
        ),
    )
    return people


def _pages(data: dict[str, Any]) -> dict[str, Any]:
    edges = data["employees"]["edges"]
    return {edge["node"]["code"]: edge["node"]["activities"] for edge in edges}


async def test_activity_pages_per_employee_in_one_query(db: Database, gql: GraphQLClient) -> None:
    people = await _two_workers(db, per_employee=5)

    first = _pages(await gql.data(ACTIVITY_PAGES, first=3))
    cursor = first[people[1].code]["pageInfo"]["endCursor"]
    rest = _pages(await gql.data(ACTIVITY_PAGES, first=3, after=cursor))

    items = {code: [e["node"]["itemsCount"] for e in page["edges"]] for code, page in first.items()}
    assert items == {people[0].code: [0, 1, 2], people[1].code: [10, 11, 12]}
    assert first[people[0].code]["pageInfo"]["hasNextPage"] is True
    assert [e["node"]["itemsCount"] for e in rest[people[1].code]["edges"]] == [13, 14]
    assert rest[people[1].code]["pageInfo"]["hasNextPage"] is False
    assert rest[people[1].code]["pageInfo"]["hasPreviousPage"] is True


async def test_activity_time_filter(db: Database, gql: GraphQLClient) -> None:
    people = await _two_workers(db, per_employee=5)

    pages = _pages(
        await gql.data(
            ACTIVITY_PAGES,
            first=10,
            **{"from": "2026-11-20T14:10:00Z", "to": "2026-11-20T14:30:00Z"},
        )
    )

    starts = [e["node"]["windowStart"] for e in pages[people[0].code]["edges"]]
    assert starts == ["2026-11-20T14:10:00+00:00", "2026-11-20T14:20:00+00:00"]


@pytest.mark.parametrize("per_employee", [1, 30])
async def test_activity_pages_cost_three_statements(
    db: Database, gql: GraphQLClient, statements: StatementCounter, per_employee: int
) -> None:
    await _two_workers(db, per_employee)

    statements.counting = True
    await gql.data(ACTIVITY_PAGES, first=20)
    statements.counting = False

    # employees, one windowed activity page for all of them, roles
    assert statements.count == 3, statements.statements


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({"from": "2026-11-20T14:10:00"}, "`from` needs a UTC offset, e.g. 2026-11-22T10:05:00Z"),
        (
            {"from": "2026-11-20T15:00:00Z", "to": "2026-11-20T14:00:00Z"},
            "`from` must be before `to`",
        ),
    ],
)
async def test_bad_activity_windows_are_rejected(
    db: Database, gql: GraphQLClient, window: dict[str, str], message: str
) -> None:
    await _two_workers(db, per_employee=1)

    body = await gql.execute(ACTIVITY_PAGES, first=5, **window)

    assert [e["node"]["activities"] for e in body["data"]["employees"]["edges"]] == [None, None]
    assert {(e["message"], e["extensions"]["code"]) for e in body["errors"]} == {
        (message, "BAD_USER_INPUT")
    }


async def test_different_score_ranges_in_one_batch(
    db: Database, gql: GraphQLClient, statements: StatementCounter
) -> None:
    people = [await helpers.employee(db, name=f"Ranger {n}") for n in range(2)]
    days = [DAY - timedelta(days=n) for n in range(6)]
    await helpers.add(
        db,
        *(
            helpers.score(p, d, items_processed=10 * k + d.day % 10)
            for k, p in enumerate(people)
            for d in days
        ),
    )

    statements.counting = True
    data = await gql.data(
        """{ employees { edges { node { name
            early: scores(from: "2026-11-15", to: "2026-11-16") { itemsProcessed }
            late: scores(from: "2026-11-19", to: "2026-11-20") { itemsProcessed } } } } }"""
    )
    statements.counting = False

    got = {
        e["node"]["name"]: (e["node"]["early"], e["node"]["late"])
        for e in data["employees"]["edges"]
    }
    assert got == {
        "Ranger 0": (
            [{"itemsProcessed": 5}, {"itemsProcessed": 6}],
            [{"itemsProcessed": 9}, {"itemsProcessed": 0}],
        ),
        "Ranger 1": (
            [{"itemsProcessed": 15}, {"itemsProcessed": 16}],
            [{"itemsProcessed": 19}, {"itemsProcessed": 10}],
        ),
    }
    assert statements.count == 2  # employees, one score batch for both ranges
