"""A colleague's own data refused on a leaderboard is null at its path, with one FORBIDDEN
error per refused row; the rest of the board, the viewer's own row included, stands."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers

DAY = date(2026, 11, 20)  # today in Chicago at the tests' NOW

OWN_DATA_FIELDS = """
  score { pointsEarned } scores(from: "2026-11-20", to: "2026-11-20") { pointsEarned }
  activities { edges { node { itemsCount } } } activityBreakdown { items }
  clockRecords { clockIn } isClockedIn idlePeriods { start } streak { current }
  achievements { badge } scoreExplanation { agreesWithScore }
"""
REFUSABLE = [
    "score", "scores", "activities", "activityBreakdown", "clockRecords", "isClockedIn",
    "idlePeriods", "streak", "achievements", "scoreExplanation",
]  # fmt: skip


@pytest.fixture
async def board(db: Database) -> dict[str, models.Employee]:
    """Ann (team A, the viewer, 12 items), Bob (team A, 30 items), Cid (team B, 20 items)."""
    a = await helpers.team(db)
    b = await helpers.team(db)
    role = await helpers.role(db, points_per_item=1.0)
    people = {
        "ann": await helpers.employee(db, code="ann", name="Ann", team_id=a.id),
        "bob": await helpers.employee(db, code="bob", name="Bob", team_id=a.id),
        "cid": await helpers.employee(db, code="cid", name="Cid", team_id=b.id),
    }
    items = {"ann": 12, "bob": 30, "cid": 20}
    await helpers.add(
        db,
        *(helpers.score(people[k], DAY, points_earned=float(n), items_processed=n)
          for k, n in items.items()),
        *(helpers.activity(people[k], role, helpers.utc(2026, 11, 20, 15), n, work_date=DAY)
          for k, n in items.items()),
    )  # fmt: skip
    return people


def as_ann(gql: helpers.GraphQLClient, people: dict[str, models.Employee]) -> Any:
    return gql.signed_in_as(Viewer(user_id=7, role=UserRole.EMPLOYEE, employee_id=people["ann"].id))


async def test_a_colleagues_breakdown_is_null_and_the_board_stands(
    board: dict[str, models.Employee], gql: helpers.GraphQLClient
) -> None:
    query = "{ leaderboard { edges { node { employee { name activityBreakdown { items } } } } } }"

    body = await as_ann(gql, board).execute(query)

    assert [e["node"]["employee"] for e in body["data"]["leaderboard"]["edges"]] == [
        {"name": "Bob", "activityBreakdown": None},
        {"name": "Cid", "activityBreakdown": None},
        {"name": "Ann", "activityBreakdown": [{"items": 12}]},
    ]
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["leaderboard", "edges", 0, "node", "employee", "activityBreakdown"], "FORBIDDEN"),
        (["leaderboard", "edges", 1, "node", "employee", "activityBreakdown"], "FORBIDDEN"),
    ]


async def test_every_field_of_a_colleagues_own_data_is_refused_alone(
    board: dict[str, models.Employee], gql: helpers.GraphQLClient
) -> None:
    query = (
        f"{{ leaderboard {{ edges {{ node {{ rank employee {{ name {OWN_DATA_FIELDS} }} }} }} }} }}"
    )

    body = await as_ann(gql, board).execute(query)

    edges = body["data"]["leaderboard"]["edges"]
    assert [(e["node"]["rank"], e["node"]["employee"]["name"]) for e in edges] == [
        (1, "Bob"), (2, "Cid"), (3, "Ann"),
    ]  # fmt: skip
    for colleague in edges[:2]:
        assert {f: colleague["node"]["employee"][f] for f in REFUSABLE} == dict.fromkeys(REFUSABLE)
    own = edges[2]["node"]["employee"]
    assert (own["score"], own["scores"]) == ({"pointsEarned": 12.0}, [{"pointsEarned": 12.0}])
    assert own["activities"] == {"edges": [{"node": {"itemsCount": 12}}]}
    assert (own["activityBreakdown"], own["clockRecords"], own["isClockedIn"]) == (
        [{"items": 12}], [], False,
    )  # fmt: skip
    assert (own["idlePeriods"], own["streak"], own["achievements"]) == ([], {"current": 0}, [])
    assert own["scoreExplanation"] is None  # a score whose standards were not recorded
    assert sorted((tuple(e["path"]), e["extensions"]["code"]) for e in body["errors"]) == sorted(
        (("leaderboard", "edges", row, "node", "employee", field), "FORBIDDEN")
        for row in (0, 1)
        for field in REFUSABLE
    )
