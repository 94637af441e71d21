"""Streaks and badges settled at finalization, against hand-computed histories: the same
statements for 4 employees or 40, the same rows when settled twice, badges awarded once."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from db import models
from db.engine import Database
from services.gamification import Settled, settle_day
from tests import helpers
from tests.helpers import GraphQLClient, ServerStatements, StatementCounter, gid, utc

LAST = date(2026, 11, 11)  # the day being finalized
NOW = utc(2026, 11, 12, 0, 30)


def nov(day: int) -> date:
    return date(2026, 11, day)


def final(person: models.Employee, day: date, productivity: float | None, **fields: Any) -> Any:
    worked = {"clocked_minutes": 480.0, "items_processed": 100} | fields
    return helpers.score(person, day, productivity=productivity, is_final=True, **worked)


@pytest.fixture
async def people(db: Database) -> dict[str, models.Employee]:
    """
    ann (T)  Nov 1-2 at goal, Nov 3 not worked (no score), Nov 4 under, Nov 5-11 at goal;
             100 items a day (1,000 in all); 80 points on Nov 11; a non-final Nov 12
    bob (T)  Nov 1-10 at goal, Nov 11 under; 1,000 items a day; 80 points on Nov 11
    cid (T)  Nov 11 not worked (no clock, no items)
    dee (U)  Nov 11 under the goal, 10 points, 5 items
    """
    t, u = await helpers.team(db), await helpers.team(db)
    ann = await helpers.employee(db, code="ann", team_id=t.id)
    bob = await helpers.employee(db, code="bob", team_id=t.id)
    cid = await helpers.employee(db, code="cid", team_id=t.id)
    dee = await helpers.employee(db, code="dee", team_id=u.id)
    rows = [final(ann, nov(d), 100.0 + d) for d in (1, 2, 5, 6, 7, 8, 9, 10)]
    rows += [
        final(ann, nov(4), 90.0),
        final(ann, LAST, 120.0, points_earned=80.0),
        helpers.score(ann, nov(12), productivity=150.0, items_processed=50_000),
    ]
    rows += [final(bob, nov(d), 130.0, items_processed=1000) for d in range(1, 11)]
    rows += [
        final(bob, LAST, 99.9, items_processed=1000, points_earned=80.0),
        final(cid, LAST, None, clocked_minutes=0.0, items_processed=0),
        final(dee, LAST, 50.0, items_processed=5, points_earned=10.0),
    ]
    await helpers.add(db, *rows)
    return {"ann": ann, "bob": bob, "cid": cid, "dee": dee}


async def settle(db: Database, day: date = LAST) -> Settled:
    return await db.write(
        lambda session: settle_day(session=session, work_date=day, goal=100.0, now=NOW)
    )


async def standings(db: Database) -> dict[str, tuple[Any, ...]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.Employee.code, models.Streak.current, models.Streak.longest,
                   models.Streak.last_worked, models.Streak.items_total)
            .join(models.Streak, models.Streak.employee_id == models.Employee.id)
        )  # fmt: skip
        return {code: tuple(rest) for code, *rest in rows}


async def badges(db: Database) -> dict[str, list[str]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.Employee.code, models.Badge.badge)
            .join(models.Badge, models.Badge.employee_id == models.Employee.id)
            .order_by(models.Employee.code, models.Badge.badge)
        )
        found: dict[str, list[str]] = {}
        for code, badge in rows:
            found.setdefault(code, []).append(badge)
        return found


STANDINGS = {
    "ann": (7, 7, LAST, 1000),  # Nov 5-11; Nov 3 unworked does not break it; Nov 12 not final
    "bob": (0, 10, LAST, 11_000),
    "cid": (0, 0, None, 0),
    "dee": (0, 0, LAST, 5),
}
BADGES = {
    "ann": ["FIRST_SHIFT", "ITEMS_1K", "STREAK_5", "TOP_OF_TEAM"],
    "bob": ["FIRST_SHIFT", "ITEMS_10K", "ITEMS_1K", "STREAK_10", "STREAK_5", "TOP_OF_TEAM"],
    "dee": ["FIRST_SHIFT", "TOP_OF_TEAM"],  # alone in team U
}


async def test_streaks_and_badges_of_a_finalized_day(
    db: Database, people: dict[str, models.Employee]
) -> None:
    settled = await settle(db)

    assert settled == Settled(streaks=4, badges=12)
    assert await standings(db) == STANDINGS
    assert await badges(db) == BADGES


async def test_settling_again_changes_nothing_and_awards_nothing_twice(
    db: Database, people: dict[str, models.Employee]
) -> None:
    await settle(db)

    again = await settle(db)

    assert again == Settled(streaks=4, badges=0)
    assert await standings(db) == STANDINGS
    assert await badges(db) == BADGES


async def test_an_earlier_day_settled_late_still_sees_the_whole_history(
    db: Database, people: dict[str, models.Employee]
) -> None:
    """Catch-up: Nov 10 settled after Nov 11 ends the streaks at the latest finalized day."""
    await settle(db)

    late = await settle(db, nov(10))

    assert late == Settled(streaks=2, badges=0)  # ann and bob worked Nov 10
    assert await standings(db) == STANDINGS


@pytest.mark.parametrize("extra", [0, 36])
async def test_six_statements_for_any_number_of_employees(
    db: Database,
    people: dict[str, models.Employee],
    statements: StatementCounter,
    server: ServerStatements | None,
    extra: int,
) -> None:
    more = [models.Employee(code=f"x{i}", name=f"X {i}") for i in range(extra)]
    await helpers.add(db, *more)
    await helpers.add(db, *(final(p, nov(d), 110.0) for p in more for d in (9, 10, 11)))

    statements.counting = True
    if server is not None:
        server.start()
    settled = await settle(db)
    seen = server.stop() if server is not None else None
    statements.counting = False

    assert settled.streaks == 4 + extra
    # who, history, team leaders, DELETE streaks, INSERT streaks, INSERT badges; on SQLite
    # the transaction's BEGIN too (db/engine.py begins it)
    assert len(statements.statements) == 6 + (1 if db.settings.is_sqlite else 0), (
        statements.statements
    )
    if seen is not None:  # and the transaction's COMMIT, and the write pool's pre-ping
        assert (
            seen["Questions"], seen["Com_select"], seen["Com_commit"], seen["Com_admin_commands"]
        ) == (7, 3, 1, 1)  # fmt: skip


async def test_streak_and_achievements_through_graphql(
    db: Database, people: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    await settle(db)
    query = """query($id: ID!) { employee(id: $id) {
        streak { current longest goal lastWorkedDate }
        achievements { badge description workDate } } }"""

    ann = await gql.data(query, id=gid("Employee", people["ann"].id))
    cid = await gql.data(query, id=gid("Employee", people["cid"].id))
    nobody = await helpers.employee(db, code="new")
    new = await gql.data(query, id=gid("Employee", nobody.id))

    assert ann["employee"]["streak"] == {
        "current": 7, "longest": 7, "goal": 100.0, "lastWorkedDate": "2026-11-11",
    }  # fmt: skip
    assert [a["badge"] for a in ann["employee"]["achievements"]] == [
        "FIRST_SHIFT", "ITEMS_1K", "STREAK_5", "TOP_OF_TEAM",
    ]  # fmt: skip
    assert ann["employee"]["achievements"][0] == {
        "badge": "FIRST_SHIFT", "description": "Worked a first finalized day",
        "workDate": "2026-11-11",
    }  # fmt: skip
    assert cid["employee"] == {
        "streak": {"current": 0, "longest": 0, "goal": 100.0, "lastWorkedDate": None},
        "achievements": [],
    }
    assert new["employee"]["streak"]["current"] == 0


@pytest.mark.parametrize("extra", [0, 30])
async def test_the_streaks_and_badges_of_a_page_cost_three_statements_for_any_size(
    db: Database, people: dict[str, models.Employee], gql: GraphQLClient,
    statements: StatementCounter, extra: int,
) -> None:  # fmt: skip
    more = [models.Employee(code=f"x{i}", name=f"X {i}") for i in range(extra)]
    await helpers.add(db, *more)
    await helpers.add(db, *(final(p, nov(d), 110.0) for p in more for d in (9, 10, 11)))
    await settle(db)
    query = (
        "{ employees(first: 50) { edges { node { streak { current } achievements { badge } } } } }"
    )

    statements.counting = True
    data = await gql.data(query)
    statements.counting = False

    assert len(data["employees"]["edges"]) == 4 + extra
    # employees, streaks, badges
    assert len(statements.statements) == 3, statements.statements
