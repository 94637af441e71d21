"""An employee who opted out of leaderboards, on every surface that ranks or rewards people,
seen by each kind of viewer: admins and the employee themself (a manager linked to their
employee record too) see who it is; a manager of the team and another employee see an entry
that carries nothing that identifies them (no name, code, email, id, nor an employee to
fetch them by), and the response cache never hands one viewer's answer to another.

Team Alpha: Bob 80 points, Eve 80 (opted out; eve@example.com, code e5), Ann 50.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.daily_reports import build_reports
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, GraphQLClient, bearer, gid

DAY = date(2026, 11, 20)
BOARD = """query($team: ID) { leaderboard(from: "2026-11-20", teamId: $team) {
  edges { cursor node { rank displayName pointsEarned employee { id code name email } } } } }"""
REPORT = """query($team: ID!) { dailyReport(teamId: $team, date: "2026-11-20") {
  topPerformers { rank displayName pointsEarned employee { id code name email } } } }"""
PROGRESS = """query($eve: ID!) { employee(id: $eve) {
  name streak { longest } achievements { badge } } }"""
VIEWERS = ["admin", "eve herself", "manager linked to eve", "manager of the team", "ann"]


@pytest.fixture
async def alpha(db: Database) -> dict[str, Any]:
    alpha = await helpers.team(db, name="Alpha", key="alpha")
    ann = await helpers.employee(db, code="e1", name="Ann", team_id=alpha.id)
    bob = await helpers.employee(db, code="e2", name="Bob", team_id=alpha.id)
    eve = await helpers.employee(db, code="e5", name="Eve", team_id=alpha.id,
                                 email="eve@example.com", leaderboard_opt_out=True)  # fmt: skip
    await helpers.add(
        db,
        *(helpers.score(e, DAY, points_earned=p, items_processed=10, is_final=True)
          for e, p in ((ann, 50.0), (bob, 80.0), (eve, 80.0))),
        models.Streak(employee_id=eve.id, current=3, longest=6, last_worked=DAY, items_total=10),
        models.Badge(employee_id=eve.id, badge="FIRST_SHIFT", work_date=DAY, awarded_at=NOW),
    )  # fmt: skip
    await db.write(lambda s: build_reports(session=s, work_date=DAY, now=NOW))
    team = frozenset({alpha.id})
    viewers = {
        "admin": ADMIN,
        "eve herself": Viewer(user_id=21, role=UserRole.EMPLOYEE, employee_id=eve.id),
        "manager linked to eve": Viewer(
            user_id=22, role=UserRole.MANAGER, team_ids=team, employee_id=eve.id
        ),
        "manager of the team": Viewer(user_id=23, role=UserRole.MANAGER, team_ids=team),
        "ann": Viewer(user_id=24, role=UserRole.EMPLOYEE, employee_id=ann.id),
    }
    return {"team": alpha, "eve": eve, "viewers": viewers}


def named(eve: models.Employee) -> dict[str, Any]:
    return {"id": gid("Employee", eve.id), "code": "e5", "name": "Eve", "email": "eve@example.com"}


def identifying(eve: models.Employee) -> list[str]:
    """What would tell who Eve is: any of these anywhere in a response."""
    return ["Eve", "eve@example.com", '"e5"', gid("Employee", eve.id)]


def cursor_values(cursor: str) -> list[Any]:
    body = cursor.split(".")[0]
    values: list[Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return values


@pytest.mark.parametrize("who", VIEWERS)
async def test_a_leaderboard(alpha: dict[str, Any], gql: GraphQLClient, who: str) -> None:
    eve, knows = alpha["eve"], who in ("admin", "eve herself", "manager linked to eve")
    for team in (gid("Team", alpha["team"].id), None):
        body = await gql.signed_in_as(alpha["viewers"][who]).execute(BOARD, team=team)

        entry = body["data"]["leaderboard"]["edges"][1]
        assert entry["node"] == {"rank": 1, "pointsEarned": 80.0} | (
            {"displayName": "Eve", "employee": named(eve)} if knows
            else {"displayName": "Anonymous", "employee": None}
        )  # fmt: skip
        if not knows:
            text = json.dumps(body)
            assert [found for found in identifying(eve) if found in text] == []
            assert eve.id not in cursor_values(entry["cursor"])  # nor in its cursor


@pytest.mark.parametrize("who", VIEWERS)
async def test_a_daily_reports_top_performers(
    alpha: dict[str, Any], gql: GraphQLClient, who: str
) -> None:
    eve = alpha["eve"]
    body = await gql.signed_in_as(alpha["viewers"][who]).execute(
        REPORT, team=gid("Team", alpha["team"].id)
    )

    if who in ("eve herself", "ann"):  # a team's report is for its managers and admins
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
        return
    second = body["data"]["dailyReport"]["topPerformers"][1]
    if who == "manager of the team":
        assert second == {"rank": 2, "displayName": "Anonymous", "pointsEarned": 80.0,
                          "employee": None}  # fmt: skip
        assert [found for found in identifying(eve) if found in json.dumps(body)] == []
    else:
        assert second == {"rank": 2, "displayName": "Eve", "pointsEarned": 80.0,
                          "employee": named(eve)}  # fmt: skip


@pytest.mark.parametrize("who", VIEWERS)
async def test_a_daily_reports_csv(
    alpha: dict[str, Any], client: httpx.AsyncClient, who: str
) -> None:
    response = await client.get(
        "/reports/daily.csv",
        params={"teamId": gid("Team", alpha["team"].id), "date": DAY.isoformat()},
        headers=bearer(alpha["viewers"][who]),
    )

    if who in ("eve herself", "ann"):
        assert response.status_code == 403
        return
    rows = [line for line in response.text.splitlines() if line.startswith("top_performer,2,")]
    shown = "e5,Eve" if who != "manager of the team" else ",Anonymous"
    assert rows == [
        f"top_performer,2,{shown},,points,80.0",
        f"top_performer,2,{shown},,items,10",
        f"top_performer,2,{shown},,productivity,",
    ]
    if who == "manager of the team":
        assert "Eve" not in response.text and "e5" not in response.text


@pytest.mark.parametrize("who", VIEWERS)
async def test_streaks_and_badges(alpha: dict[str, Any], gql: GraphQLClient, who: str) -> None:
    body = await gql.signed_in_as(alpha["viewers"][who]).execute(
        PROGRESS, eve=gid("Employee", alpha["eve"].id)
    )

    assert "errors" not in body
    assert body["data"]["employee"] == {
        "admin": {"name": "Eve", "streak": {"longest": 6}, "achievements": [{"badge": "FIRST_SHIFT"}]},
        "eve herself": {"name": "Eve", "streak": {"longest": 6},
                        "achievements": [{"badge": "FIRST_SHIFT"}]},
        "manager linked to eve": {"name": "Eve", "streak": {"longest": 6},
                                  "achievements": [{"badge": "FIRST_SHIFT"}]},
        # sees Eve among the team's employees, not what she opted out of showing
        "manager of the team": {"name": "Eve", "streak": None, "achievements": None},
        "ann": None,  # Eve is not hers to see at all
    }[who]  # fmt: skip


@pytest.mark.parametrize("first", ["manager linked to eve", "manager of the team"])
async def test_the_cache_never_hands_one_managers_answer_to_another(
    alpha: dict[str, Any], gql: GraphQLClient, first: str
) -> None:
    """Both manage the same team; one of them is Eve. Whoever asks first, each gets their own."""
    viewers = alpha["viewers"]
    team = gid("Team", alpha["team"].id)
    second = "manager of the team" if first == "manager linked to eve" else "manager linked to eve"
    answers: dict[str, Any] = {}
    for who in (first, second, first, second):
        signed_in = gql.signed_in_as(viewers[who])
        answers[who] = [
            await signed_in.data(BOARD, team=team),
            await signed_in.data(REPORT, team=team),
            await signed_in.data(PROGRESS, eve=gid("Employee", alpha["eve"].id)),
        ]

    board, report, progress = answers["manager of the team"]
    assert board["leaderboard"]["edges"][1]["node"]["displayName"] == "Anonymous"
    assert report["dailyReport"]["topPerformers"][1]["displayName"] == "Anonymous"
    assert progress["employee"]["streak"] is None
    board, report, progress = answers["manager linked to eve"]
    assert board["leaderboard"]["edges"][1]["node"]["displayName"] == "Eve"
    assert report["dailyReport"]["topPerformers"][1]["displayName"] == "Eve"
    assert progress["employee"]["streak"] == {"longest": 6}


async def test_opting_out_hides_at_once_where_it_was_shown(
    alpha: dict[str, Any], db: Database, gql: GraphQLClient
) -> None:
    """Bob opts out after a manager saw his name: the next answer is anonymous."""
    manager = gql.signed_in_as(alpha["viewers"]["manager of the team"])
    team = gid("Team", alpha["team"].id)
    before = await manager.data(BOARD, team=team)

    async with db.session() as session, session.begin():
        await session.execute(
            update(models.Employee)
            .where(models.Employee.code == "e2")
            .values(leaderboard_opt_out=True)
        )
    after = await manager.data(BOARD, team=team)

    assert [e["node"]["displayName"] for e in before["leaderboard"]["edges"]] == [
        "Bob", "Anonymous", "Ann",
    ]  # fmt: skip
    assert [e["node"]["displayName"] for e in after["leaderboard"]["edges"]] == [
        "Anonymous", "Anonymous", "Ann",
    ]  # fmt: skip
