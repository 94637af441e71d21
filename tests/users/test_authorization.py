"""Who sees what: each role against each read, and the response cache never crossing them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from db import models
from db.engine import Database
from prodhub.graphql_requests import CACHE_HEADER
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, GraphQLClient, bearer, gid, utc


@dataclass
class Floor:
    north: models.Team
    south: models.Team
    n1: models.Employee
    s1: models.Employee
    north_clock: models.ClockRecord
    south_activity: models.Activity


@pytest.fixture
async def floor(db: Database) -> Floor:
    north, south = await helpers.team(db, key="north"), await helpers.team(db, key="south")
    n1 = await helpers.employee(db, code="N1", name="Nora", team_id=north.id)
    s1 = await helpers.employee(db, code="S1", name="Sam", team_id=south.id)
    role = await helpers.role(db, key="pick")
    clock = models.ClockRecord(
        employee_id=n1.id, clock_in=utc(2026, 11, 20, 14), work_date=utc(2026, 11, 20).date()
    )
    activity = helpers.activity(s1, role, utc(2026, 11, 20, 14), 5)
    shifts = [  # north's schedule: Nora's shift, and one nobody is mapped to
        models.ScheduledShift(employee_id=employee, team_id=north.id, title=title,
                              start=utc(2026, 11, 20, hour), end=utc(2026, 11, 20, hour + 8),
                              work_date=utc(2026, 11, 20).date())
        for employee, title, hour in ((n1.id, "Nora's", 13), (None, "open", 14))
    ]  # fmt: skip
    await helpers.add(db, clock, activity, *shifts)
    return Floor(north, south, n1, s1, clock, activity)


def viewers(f: Floor) -> dict[str, Viewer | None]:
    return {
        "admin": ADMIN,
        "north manager": Viewer(user_id=2, role=UserRole.MANAGER, team_ids=frozenset({f.north.id})),
        "Nora": Viewer(user_id=3, role=UserRole.EMPLOYEE, employee_id=f.n1.id),
        "employee without record": Viewer(user_id=4, role=UserRole.EMPLOYEE),
        "anonymous": None,
    }


UNAUTHENTICATED = "UNAUTHENTICATED"


def operations(f: Floor) -> dict[str, tuple[str, dict[str, Any]]]:
    return {
        "employees": ("{ employees { edges { node { code } } } }", {}),
        "employee in south": (
            "query($id: ID!) { employee(id: $id) { code } }",
            {"id": gid("Employee", f.s1.id)},
        ),
        "south activity": (
            "query($id: ID!) { node(id: $id) { id } }",
            {"id": gid("Activity", f.south_activity.id)},
        ),
        "north clock record": (
            "query($id: ID!) { node(id: $id) { id } }",
            {"id": gid("ClockRecord", f.north_clock.id)},
        ),
        "teams": ("{ teams { key } }", {}),
        "north schedule": (
            'query($t: ID!) { schedule(teamId: $t, from: "2026-11-20", to: "2026-11-20") '
            "{ title employee { code } } }",
            {"t": gid("Team", f.north.id)},
        ),
        "permissions": ("{ viewer { permissions } }", {}),
    }


def expected(f: Floor) -> dict[tuple[str, str], Any]:
    every = [{"node": {"code": "N1"}}, {"node": {"code": "S1"}}]
    north_only = [{"node": {"code": "N1"}}]
    activity = {"id": gid("Activity", f.south_activity.id)}
    clock = {"id": gid("ClockRecord", f.north_clock.id)}
    teams = [{"key": "north"}, {"key": "south"}]
    noras = {"title": "Nora's", "employee": {"code": "N1"}}
    schedule = [noras, {"title": "open", "employee": None}]
    admins = ["READ_ALL_EMPLOYEES", "READ_REFERENCE_DATA", "MANAGE_REFERENCE_DATA",
              "MANAGE_API_KEYS", "RECORD_ACTIVITIES"]  # fmt: skip
    employees = ["READ_OWN_DATA", "READ_REFERENCE_DATA"]
    return {
        ("admin", "employees"): {"employees": {"edges": every}},
        ("admin", "employee in south"): {"employee": {"code": "S1"}},
        ("admin", "south activity"): {"node": activity},
        ("admin", "north clock record"): {"node": clock},
        ("admin", "teams"): {"teams": teams},
        ("admin", "north schedule"): {"schedule": schedule},
        ("admin", "permissions"): {"viewer": {"permissions": admins}},
        ("north manager", "employees"): {"employees": {"edges": north_only}},
        ("north manager", "employee in south"): {"employee": None},
        ("north manager", "south activity"): {"node": None},
        ("north manager", "north clock record"): {"node": clock},
        ("north manager", "teams"): {"teams": teams},
        ("north manager", "north schedule"): {"schedule": schedule},
        ("north manager", "permissions"): {
            "viewer": {"permissions": ["READ_TEAM_EMPLOYEES", "READ_REFERENCE_DATA"]}
        },
        ("Nora", "employees"): {"employees": {"edges": north_only}},
        ("Nora", "employee in south"): {"employee": None},
        ("Nora", "south activity"): {"node": None},
        ("Nora", "north clock record"): {"node": clock},
        ("Nora", "teams"): {"teams": teams},
        ("Nora", "north schedule"): {"schedule": [noras]},  # her own shifts only
        ("Nora", "permissions"): {"viewer": {"permissions": employees}},
        ("employee without record", "employees"): {"employees": {"edges": []}},
        ("employee without record", "employee in south"): {"employee": None},
        ("employee without record", "south activity"): {"node": None},
        ("employee without record", "north clock record"): {"node": None},
        ("employee without record", "teams"): {"teams": teams},
        ("employee without record", "north schedule"): ("FORBIDDEN", None),
        ("employee without record", "permissions"): {"viewer": {"permissions": employees}},
        # Refused: nullable roots are null, the others null the whole response.
        ("anonymous", "employees"): (UNAUTHENTICATED, None),
        ("anonymous", "employee in south"): (UNAUTHENTICATED, {"employee": None}),
        ("anonymous", "south activity"): (UNAUTHENTICATED, {"node": None}),
        ("anonymous", "north clock record"): (UNAUTHENTICATED, {"node": None}),
        ("anonymous", "teams"): (UNAUTHENTICATED, None),
        ("anonymous", "north schedule"): (UNAUTHENTICATED, None),
        ("anonymous", "permissions"): {"viewer": {"permissions": []}},
    }


VIEWERS = ["admin", "north manager", "Nora", "employee without record", "anonymous"]
OPERATIONS = ["employees", "employee in south", "south activity", "north clock record", "teams",
              "north schedule", "permissions"]  # fmt: skip


@pytest.mark.parametrize("who", VIEWERS)
@pytest.mark.parametrize("operation", OPERATIONS)
async def test_each_role_sees_what_it_may_and_nothing_else(
    floor: Floor, gql: GraphQLClient, who: str, operation: str
) -> None:
    query, variables = operations(floor)[operation]

    body = await gql.signed_in_as(viewers(floor)[who]).execute(query, **variables)

    want = expected(floor)[(who, operation)]
    if isinstance(want, tuple):
        code, data = want
        assert body["data"] == data
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    else:
        assert body == {"data": want}


async def test_viewers_share_cached_responses_only_within_one_scope(
    floor: Floor, client: httpx.AsyncClient
) -> None:
    query = {"query": "{ employees { edges { node { code } } } }"}
    north = Viewer(user_id=2, role=UserRole.MANAGER, team_ids=frozenset({floor.north.id}))
    south = Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset({floor.south.id}))
    north_again = Viewer(user_id=6, role=UserRole.MANAGER, team_ids=frozenset({floor.north.id}))

    answers = []
    for viewer in (ADMIN, ADMIN, north, south, north_again):
        response = await client.post("/graphql", json=query, headers=bearer(viewer))
        codes = [e["node"]["code"] for e in response.json()["data"]["employees"]["edges"]]
        answers.append((response.headers[CACHE_HEADER], codes))

    assert answers == [
        ("miss", ["N1", "S1"]),
        ("hit", ["N1", "S1"]),
        ("miss", ["N1"]),
        ("miss", ["S1"]),
        ("hit", ["N1"]),  # another manager of the same teams may see the same
    ]
