"""``standards``: what every signed-in user may read of how they are scored, each figure with
when it changed and from what to what; three statements however many roles and changes."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.score_refresh import refresh_day
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, GraphQLClient, ServerStatements, StatementCounter, utc

DAY = date(2026, 11, 18)
STANDARDS = """{ standards {
  roles { role { key } pointsPerItem expectedPerHour description
          history { changedAt figure from to } }
  idleThreshold { value description history { changedAt figure from to } }
  productivityGoal { value description history { changedAt figure from to } }
  leaderboards { metric minAvailableMinutes description history { changedAt figure from to } }
} }"""
EMPLOYEE = Viewer(user_id=7, role=UserRole.EMPLOYEE, employee_id=1)


async def upsert_role(gql: GraphQLClient, key: str, points: float, rate: float) -> None:
    done = await gql.data(
        """mutation($key: String!, $points: Float!, $rate: Float!) {
             upsertRole(input: {key: $key, name: "Picking", pointsPerItem: $points,
                                expectedPerHour: $rate}) { errors { code } } }""",
        key=key, points=points, rate=rate,
    )  # fmt: skip
    assert done == {"upsertRole": {"errors": []}}


async def test_every_signed_in_user_reads_the_standards_and_their_history(
    db: Database, gql: GraphQLClient
) -> None:
    await helpers.users(db, ADMIN)
    await upsert_role(gql, "pick", 1.0, 120)
    person = await helpers.employee(db)
    async with db.read_session() as session:
        pick = await session.scalar(select(models.Role).where(models.Role.key == "pick"))
    assert pick is not None
    await helpers.add(db, helpers.activity(person, pick, utc(2026, 11, 18, 15), 30, work_date=DAY))
    await helpers.refresh_days(db, DAY, now=utc(2026, 11, 18, 16))
    await upsert_role(gql, "pick", 1.5, 100)
    await upsert_role(gql, "pick", 1.5, 100)  # no change of a figure: no entry
    await upsert_role(gql, "pack", 2.0, 0)

    body = await gql.signed_in_as(EMPLOYEE).data(STANDARDS)

    found = body["standards"]
    roles = {r["role"]["key"]: r for r in found["roles"]}
    assert [r["role"]["key"] for r in found["roles"]] == ["pack", "pick"]
    assert roles["pick"]["description"] == (
        "Each item of Picking earns 1.5 points; the expected rate is 100 items an hour, so "
        "each item earns 0.6 minutes of work at standard."
    )
    assert roles["pack"]["description"] == (
        "Each item of Picking earns 2 points; it has no expected rate: its items earn "
        "points, not minutes."
    )
    assert [(h["figure"], h["from"], h["to"]) for h in roles["pick"]["history"]] == [
        ("pointsPerItem", None, 1.0), ("expectedPerHour", None, 120.0),
        ("pointsPerItem", 1.0, 1.5), ("expectedPerHour", 120.0, 100.0),
    ]  # fmt: skip
    assert (roles["pick"]["pointsPerItem"], roles["pick"]["expectedPerHour"]) == (1.5, 100.0)
    assert found["idleThreshold"]["value"] == 15.0
    assert [(h["figure"], h["from"], h["to"], h["changedAt"]) for h in found["idleThreshold"]["history"]] == [
        ("idleThresholdMinutes", None, 15.0, utc(2026, 11, 18, 16).isoformat())
    ]  # fmt: skip
    assert found["productivityGoal"]["value"] == 100.0
    assert found["productivityGoal"]["description"] == (
        "A worked day at or above 100% productivity (earned / available minutes) counts "
        "toward a streak."
    )
    assert [(b["metric"], b["minAvailableMinutes"]) for b in found["leaderboards"]] == [
        ("POINTS", None), ("ITEMS", None), ("PRODUCTIVITY", 60.0),
    ]  # fmt: skip
    assert found["leaderboards"][2]["description"] == (
        "Those with at least 60 available minutes in the period, by their earned / "
        "available minutes."
    )
    assert [h["to"] for h in found["leaderboards"][2]["history"]] == [60.0]
    assert found["leaderboards"][0]["history"] == []


async def test_a_setting_changed_between_refreshes_is_in_its_history(
    db: Database, gql: GraphQLClient
) -> None:
    role = await helpers.role(db, key="pick")
    person = await helpers.employee(db)
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=2)]
    await helpers.add(db, *(helpers.activity(person, role, utc(d.year, d.month, d.day, 15), 5,
                                             work_date=d) for d in days))  # fmt: skip
    for day, minutes in zip(days, (15, 20, 20), strict=True):

        async def work(session: Any, day: date = day, minutes: int = minutes) -> object:
            return await refresh_day(
                session=session, work_date=day, now=utc(day.year, day.month, day.day, 18),
                idle_threshold=timedelta(minutes=minutes), goal=100.0,
            )  # fmt: skip

        await db.write(work)

    body = await gql.data(STANDARDS)

    assert [(h["from"], h["to"], h["changedAt"]) for h in body["standards"]["idleThreshold"]["history"]] == [
        (None, 15.0, utc(2026, 11, 18, 18).isoformat()),
        (15.0, 20.0, utc(2026, 11, 19, 18).isoformat()),
    ]  # fmt: skip
    assert body["standards"]["idleThreshold"]["value"] == 15.0  # as configured now


async def test_without_a_token_nothing_is_disclosed(gql: GraphQLClient) -> None:
    body = await gql.signed_in_as(None).execute(STANDARDS)

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("roles", [1, 12])
async def test_the_standards_cost_three_statements_for_any_number_of_roles(
    db: Database,
    uncached: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    roles: int,
) -> None:
    await helpers.users(db, ADMIN)
    for n in range(roles):
        await upsert_role(uncached, f"r{n:02d}", 1.0, 60)
        await upsert_role(uncached, f"r{n:02d}", 2.0, 90)
    await uncached.data(STANDARDS)  # the request's own set-up
    await helpers.warm_reads(db)

    statements.counting = True
    if server is not None:
        server.start()
    body = await uncached.data(STANDARDS)
    seen = server.stop() if server is not None else None
    statements.counting = False

    assert len(body["standards"]["roles"]) == roles
    assert all(len(r["history"]) == 4 for r in body["standards"]["roles"])
    assert statements.count == 3, statements.statements  # roles, their audit, standard sets
    if seen is not None:
        assert (seen["Questions"], seen["Com_select"], seen["Com_admin_commands"]) == (3, 3, 0)
