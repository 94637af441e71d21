"""``GET /reports/daily.csv`` names its team by a Team id or by the team's key, and says so
when `teamId` is missing or names no team."""

from __future__ import annotations

from datetime import date

import httpx
import pytest

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.daily_reports import build_reports
from services.users import UserRole
from tests import helpers
from tests.helpers import NOW, bearer, gid

DAY = date(2026, 11, 20)


@pytest.fixture
async def floor(db: Database) -> models.Team:
    """A team keyed "team-01" with one employee's final day, and its report."""
    team = await helpers.team(db, key="team-01")
    person = await helpers.employee(db, code="A", name="Ann", team_id=team.id)
    await helpers.add(
        db, helpers.score(person, DAY, items_processed=7, points_earned=7.0, is_final=True)
    )
    await db.write(lambda session: build_reports(session=session, work_date=DAY, now=NOW))
    return team


async def csv(client: httpx.AsyncClient, team: models.Team, **params: str) -> httpx.Response:
    manager = Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset({team.id}))
    return await client.get(
        "/reports/daily.csv", params={"date": "2026-11-20"} | params, headers=bearer(manager)
    )


async def test_a_team_key_names_the_team_as_its_id_does(
    floor: models.Team, client: httpx.AsyncClient
) -> None:
    by_key = await csv(client, floor, teamId="team-01")
    by_id = await csv(client, floor, teamId=gid("Team", floor.id))

    assert (by_key.status_code, by_id.status_code) == (200, 200)
    assert by_key.text == by_id.text
    assert "top_performer,1,A,Ann,,items,7\n" in by_key.text
    assert by_key.headers["content-disposition"] == (
        'attachment; filename="daily-report-team-01-2026-11-20.csv"'
    )


async def test_a_missing_or_unknown_team_says_what_is_expected(
    floor: models.Team, client: httpx.AsyncClient
) -> None:
    missing = await csv(client, floor)
    empty = await csv(client, floor, teamId="")
    unknown = await csv(client, floor, teamId="team-99")
    employee = await csv(client, floor, teamId=gid("Employee", 1))

    assert [(r.status_code, r.text) for r in (missing, empty, unknown, employee)] == [
        (400, "missing `teamId`: a Team id or a team key"),
        (400, "missing `teamId`: a Team id or a team key"),
        (404, "no team has the id or key 'team-99'; `teamId`: a Team id or a team key"),
        (400, f"id '{gid('Employee', 1)}' is of type Employee, expected Team; "
              "`teamId`: a Team id or a team key"),
    ]  # fmt: skip
