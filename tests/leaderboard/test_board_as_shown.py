"""A board ranks by what it shows (productivity to one decimal), and `from` alone runs to
today."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from db import models
from db.engine import Database
from tests import helpers
from tests.helpers import GraphQLClient

TODAY = date(2026, 11, 20)  # in Chicago at the tests' NOW
BOARD = """
query($from: Date, $to: Date, $metric: LeaderboardMetric, $first: Int, $after: String) {
  leaderboard(from: $from, to: $to, metric: $metric, first: $first, after: $after) {
    from to totalCount
    edges { node { rank productivity pointsEarned employee { code } } }
    pageInfo { endCursor }
  }
}
"""


@pytest.fixture
async def staff(db: Database) -> dict[str, models.Employee]:
    """Today: ann 69.76 and bob 69.8 earned of 60 available minutes (116.27% and 116.33%,
    both shown 116.3), cid 30 of 50 (under the hour PRODUCTIVITY asks for). Three days ago:
    ann 10 points."""
    team = await helpers.team(db)
    people = {c: await helpers.employee(db, code=c, team_id=team.id) for c in ("ann", "bob", "cid")}
    await helpers.add(
        db,
        helpers.score(people["ann"], TODAY, points_earned=1.0, earned_minutes=69.76,
                      available_minutes=60.0),
        helpers.score(people["bob"], TODAY, points_earned=2.0, earned_minutes=69.8,
                      available_minutes=60.0),
        helpers.score(people["cid"], TODAY, points_earned=3.0, earned_minutes=30.0,
                      available_minutes=50.0),
        helpers.score(people["ann"], date(2026, 11, 17), points_earned=10.0),
    )  # fmt: skip
    return people


def shown(board: dict[str, Any]) -> list[tuple[int, float | None, str]]:
    return [
        (e["node"]["rank"], e["node"]["productivity"], e["node"]["employee"]["code"])
        for e in board["edges"]
    ]


async def test_entries_showing_the_same_productivity_share_a_rank(
    staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    found = (await gql.data(BOARD, metric="PRODUCTIVITY"))["leaderboard"]
    first = (await gql.data(BOARD, metric="PRODUCTIVITY", first=1))["leaderboard"]
    after = await gql.data(
        BOARD, metric="PRODUCTIVITY", first=1, after=first["pageInfo"]["endCursor"]
    )

    assert shown(found) == [(1, 116.3, "ann"), (1, 116.3, "bob")]  # cid: under 60 minutes
    assert found["totalCount"] == 2
    assert shown(first) + shown(after["leaderboard"]) == [(1, 116.3, "ann"), (1, 116.3, "bob")]


async def test_from_alone_runs_to_today(
    staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    found = (await gql.data(BOARD, **{"from": "2026-11-17"}))["leaderboard"]

    assert (found["from"], found["to"], found["totalCount"]) == ("2026-11-17", "2026-11-20", 3)
    assert [(e["node"]["employee"]["code"], e["node"]["pointsEarned"]) for e in found["edges"]] == [
        ("ann", 11.0), ("cid", 3.0), ("bob", 2.0),
    ]  # fmt: skip


async def test_from_alone_after_today_is_refused_with_the_reason(
    staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    body = await gql.execute(BOARD, **{"from": "2026-11-21"})

    assert body["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in body["errors"]] == [
        ("`from` is after today (2026-11-20), the default `to`", "BAD_USER_INPUT")
    ]
