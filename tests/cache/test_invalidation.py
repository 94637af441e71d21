"""Each kind of write drops the cached responses that read what it changed, and only those:
a scanner's post does not drop today's leaderboard, the refresh of today's scores does; a
query about last week survives both. Every write is visible on the very next read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import pytest

from db import models
from db.engine import Database
from services.connecteam.clock_sync import Wanted, apply_day
from services.connecteam.people import People
from tests import helpers
from tests.helpers import ADMIN, GraphQLClient, gid, utc

DAY, YESTERDAY = date(2026, 11, 20), date(2026, 11, 19)

QUERIES = {
    "board today": '{ leaderboard(from: "2026-11-20", to: "2026-11-20") { edges { node { pointsEarned '
    "employee { name } } } } }",
    "board yesterday": '{ leaderboard(from: "2026-11-19", to: "2026-11-19") { edges { node { pointsEarned '
    "employee { name } } } } }",
    "board yesterday with breakdowns": '{ leaderboard(from: "2026-11-19", to: "2026-11-19") { edges { node { '
    'employee { activityBreakdown(date: "2026-11-19") { items } } } } } }',
    "breakdown today": "query($id: ID!) { node(id: $id) { ... on Employee { "
    'activityBreakdown(date: "2026-11-20") { items } } } }',
    "breakdown yesterday": "query($id: ID!) { node(id: $id) { ... on Employee { "
    'activityBreakdown(date: "2026-11-19") { items } } } }',
    "last week": '{ analytics(from: "2026-11-09", to: "2026-11-15") { totals { itemsProcessed } } }',
    "teams": "{ teams { name } }",
}


@pytest.fixture
async def floor(db: Database) -> dict[str, Any]:
    await helpers.users(db, ADMIN)
    team = await helpers.team(db, key="inbound", name="Inbound")
    role = await helpers.role(db, key="pick")
    person = await helpers.employee(db, code="E1", name="Ann", team_id=team.id)
    first = helpers.activity(person, role, utc(2026, 11, 20, 15), 7, work_date=DAY)
    await helpers.add(
        db,
        first,
        helpers.activity(person, role, utc(2026, 11, 19, 15), 5, work_date=YESTERDAY),
        helpers.score(person, DAY, points_earned=7.0, items_processed=7),
        helpers.score(person, YESTERDAY, points_earned=5.0, items_processed=5),
        helpers.score(person, date(2026, 11, 12), items_processed=3),
    )
    return {"person": person, "activity": first}


async def statuses(gql: GraphQLClient, person: models.Employee) -> dict[str, str]:
    found = {}
    for name, query in QUERIES.items():
        response = await gql.http.post(
            "/graphql",
            json={"query": query, "variables": {"id": gid("Employee", person.id)}},
            headers=gql.headers,
        )
        assert "errors" not in response.json(), response.json()
        found[name] = response.headers["x-prodhub-cache"]
    return found


async def record(db: Database, gql: GraphQLClient, floor: dict[str, Any]) -> None:
    await gql.data(
        """mutation($items: [ActivityInput!]!) { recordActivities(input: $items) { accepted } }""",
        items=[{"employeeCode": "E1", "roleKey": "pick", "itemsCount": 3,
                "windowStart": "2026-11-20T16:00:00Z", "windowEnd": "2026-11-20T16:10:00Z"}],
    )  # fmt: skip


async def refresh(db: Database, gql: GraphQLClient, floor: dict[str, Any]) -> None:
    await helpers.refresh_days(db, DAY, now=utc(2026, 11, 20, 21))


async def upsert_team(db: Database, gql: GraphQLClient, floor: dict[str, Any]) -> None:
    await gql.data(
        'mutation { upsertTeam(input: {key: "inbound", name: "Inbound 2"}) { created } }'
    )


async def upsert_employee(db: Database, gql: GraphQLClient, floor: dict[str, Any]) -> None:
    await gql.data('mutation { upsertEmployee(input: {code: "E1", name: "Anne"}) { created } }')


async def correct(db: Database, gql: GraphQLClient, floor: dict[str, Any]) -> None:
    activity = gid("Activity", floor["activity"].id)
    await gql.data(
        'mutation($id: ID!) { correctActivity(input: {id: $id, reason: "miscount", itemsCount: 8})'
        " { errors { code } } }",
        id=activity,
    )


async def sync_time_clock(db: Database, gql: GraphQLClient, floor: dict[str, Any]) -> None:
    """A Connecteam shift for yesterday, applied as the worker applies it (its day's writes
    and refresh in one transaction)."""
    person = floor["person"]
    shift = Wanted("s1", person.id, utc(2026, 11, 19, 14), utc(2026, 11, 19, 22), YESTERDAY, ())
    people = People({1: person.id}, {person.id: None}, {}, "America/Chicago")
    await db.write(
        lambda session: apply_day(
            session=session, day=YESTERDAY, wanted=[shift], fetched_ids=frozenset({"s1"}),
            in_range=True, people=people, now=utc(2026, 11, 20, 21),
            idle_threshold=timedelta(minutes=15), goal=100.0,
        )
    )  # fmt: skip


Write = Callable[[Database, GraphQLClient, dict[str, Any]], Awaitable[None]]


@pytest.mark.parametrize(
    ("write", "dropped"),
    [
        (record, {"breakdown today"}),  # activities of Nov 20
        (refresh, {"board today"}),  # scores (and idle periods, flags) of Nov 20
        (upsert_team, {"teams"}),
        (upsert_employee, {"board today", "board yesterday", "board yesterday with breakdowns",
                           "breakdown today", "breakdown yesterday"}),  # every read of one
        # a correction names no dates (every read of activities), and rescores its day
        (correct, {"breakdown today", "breakdown yesterday", "board today",
                   "board yesterday with breakdowns"}),
        # clock records of Nov 19, whose refresh rewrites that day's scores; its activities
        # were only read (none changed day)
        (sync_time_clock, {"board yesterday", "board yesterday with breakdowns"}),
    ],
    ids=["recordActivities", "refresh", "upsertTeam", "upsertEmployee", "correctActivity",
         "sync_time_clock"],
)  # fmt: skip
async def test_a_write_drops_what_read_it_and_nothing_else(
    db: Database, gql: GraphQLClient, floor: dict[str, Any], write: Write, dropped: set[str]
) -> None:
    warm = await statuses(gql, floor["person"])
    cached = await statuses(gql, floor["person"])

    await write(db, gql, floor)
    after = await statuses(gql, floor["person"])

    assert set(warm.values()) == {"miss"} and set(cached.values()) == {"hit"}, (warm, cached)
    assert {name for name, status in after.items() if status == "miss"} == dropped


async def test_a_write_is_seen_on_the_very_next_read(
    db: Database, gql: GraphQLClient, floor: dict[str, Any]
) -> None:
    query = QUERIES["breakdown today"]
    person = gid("Employee", floor["person"].id)
    before = await gql.data(query, id=person)

    await record(db, gql, floor)
    after = await gql.data(query, id=person)

    assert before["node"]["activityBreakdown"] == [{"items": 7}]
    assert after["node"]["activityBreakdown"] == [{"items": 10}]
