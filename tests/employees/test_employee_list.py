"""``employees``, ``employee``, ``node``, ``teams`` and ``roles``: results and bad input."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest

from db.engine import Database
from tests import helpers
from tests.helpers import GraphQLClient, gid, utc

NAMES = """
query Names($first: Int, $after: String, $teamId: ID, $search: String, $all: Boolean) {
  employees(first: $first, after: $after, teamId: $teamId, search: $search,
            includeInactive: $all) {
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def names(data: dict[str, Any]) -> list[str]:
    edges = data["employees"]["edges"]
    return [edge["node"]["name"] for edge in edges]


async def test_pages_walk_every_active_employee_in_name_order(
    db: Database, gql: GraphQLClient
) -> None:
    for name in ["Dora", "Abe", "Cleo", "Eve", "Bea"]:
        await helpers.employee(db, name=name)
    await helpers.employee(db, name="Zed", active=False)

    first = await gql.data(NAMES, first=2)
    second = await gql.data(NAMES, first=2, after=first["employees"]["pageInfo"]["endCursor"])
    third = await gql.data(NAMES, first=2, after=second["employees"]["pageInfo"]["endCursor"])

    assert [names(first), names(second), names(third)] == [
        ["Abe", "Bea"],
        ["Cleo", "Dora"],
        ["Eve"],
    ]
    assert first["employees"]["pageInfo"]["hasNextPage"] is True
    assert first["employees"]["pageInfo"]["hasPreviousPage"] is False
    assert second["employees"]["pageInfo"]["hasPreviousPage"] is True
    assert third["employees"]["pageInfo"]["hasNextPage"] is False
    edges = first["employees"]["edges"]
    assert first["employees"]["pageInfo"]["startCursor"] == edges[0]["cursor"]


async def test_same_names_page_by_id(db: Database, gql: GraphQLClient) -> None:
    for _ in range(3):
        await helpers.employee(db, name="Sam")

    first = await gql.data(NAMES, first=2)
    rest = await gql.data(NAMES, first=2, after=first["employees"]["pageInfo"]["endCursor"])

    assert names(first) + names(rest) == ["Sam", "Sam", "Sam"]
    assert rest["employees"]["pageInfo"]["hasNextPage"] is False


async def test_filters_by_team_search_and_inactive(db: Database, gql: GraphQLClient) -> None:
    north = await helpers.team(db)
    south = await helpers.team(db)
    await helpers.employee(db, name="Ana North", team_id=north.id, code="N-1")
    await helpers.employee(db, name="Ben North", team_id=north.id, active=False)
    await helpers.employee(db, name="Cy South", team_id=south.id, code="S-100%")

    by_team = await gql.data(NAMES, teamId=gid("Team", north.id))
    by_team_all = await gql.data(NAMES, teamId=gid("Team", north.id), all=True)
    by_name = await gql.data(NAMES, search="south")
    by_code = await gql.data(NAMES, search="100%")
    wildcard = await gql.data(NAMES, search="%")

    assert names(by_team) == ["Ana North"]
    assert names(by_team_all) == ["Ana North", "Ben North"]
    assert names(by_name) == ["Cy South"]
    assert names(by_code) == ["Cy South"]
    assert names(wildcard) == ["Cy South"]  # % is a character here, not a wildcard


async def test_employee_node_teams_and_roles(db: Database, gql: GraphQLClient) -> None:
    team = await helpers.team(db, key="inbound", name="Inbound", timezone="America/New_York")
    role = await helpers.role(db, key="picking", name="Picking", points_per_item=1.5)
    person = await helpers.employee(db, name="Ana", team_id=team.id, default_role_id=role.id)

    data = await gql.data(
        """query($e: ID!, $t: ID!) {
          employee(id: $e) { id code name team { key } defaultRole { key pointsPerItem } }
          node(id: $t) { id ... on Team { name timezone } }
          teams { key } roles { key expectedPerHour }
        }""",
        e=gid("Employee", person.id),
        t=gid("Team", team.id),
    )

    assert data == {
        "employee": {
            "id": gid("Employee", person.id),
            "code": person.code,
            "name": "Ana",
            "team": {"key": "inbound"},
            "defaultRole": {"key": "picking", "pointsPerItem": 1.5},
        },
        "node": {"id": gid("Team", team.id), "name": "Inbound", "timezone": "America/New_York"},
        "teams": [{"key": "inbound"}],
        "roles": [{"key": "picking", "expectedPerHour": 60.0}],
    }


async def test_unknown_but_well_formed_ids_are_null(gql: GraphQLClient) -> None:
    data = await gql.data(
        "query($e: ID!) { employee(id: $e) { name } node(id: $e) { id } }",
        e=gid("Employee", 999999),
    )

    assert data == {"employee": None, "node": None}


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        ("{ employees(first: 101) { edges { cursor } } }", {}, "`first` must be between 0 and 100, got 101"),
        ("{ employees(first: -1) { edges { cursor } } }", {}, "`first` must be between 0 and 100, got -1"),
        ('{ employee(id: "not-an-id") { name } }', {}, "malformed id 'not-an-id'"),
        ('{ node(id: "Rm9vOjE=") { id } }', {}, "no node type 'Foo'"),
        ('{ employee(id: "VGVhbTox") { name } }', {}, "id 'VGVhbTox' is of type Team, expected Employee"),
        ('{ employees(teamId: "RW1wbG95ZWU6MQ==") { edges { cursor } } }', {},
         "id 'RW1wbG95ZWU6MQ==' is of type Employee, expected Team"),
    ],
)  # fmt: skip
async def test_bad_input_is_a_clear_typed_error(
    gql: GraphQLClient, query: str, variables: dict[str, object], message: str
) -> None:
    body = await gql.execute(query, **variables)

    root = query.split("(")[0].strip("{ ")
    # A nullable root field is null; a non-null one nulls the whole response.
    assert body["data"] == (None if root == "employees" else {root: None})
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (message, {"code": "BAD_USER_INPUT"})
    ]


async def _activity_cursor(db: Database, gql: GraphQLClient) -> tuple[int, str]:
    person = await helpers.employee(db)
    role = await helpers.role(db)
    await helpers.add(db, helpers.activity(person, role, utc(2026, 11, 20, 14), 5))
    page = await gql.data(
        "query($e: ID!) { employee(id: $e) { activities(first: 1) { pageInfo { endCursor } } } }",
        e=gid("Employee", person.id),
    )
    return person.id, page["employee"]["activities"]["pageInfo"]["endCursor"]


def _tampered(cursor: str) -> str:
    body, signature = cursor.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload[-1] += 1  # skip a row: the id of the keyset, changed
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=") + "." + signature


async def test_a_cursor_of_another_list_is_bad_cursor(db: Database, gql: GraphQLClient) -> None:
    _, cursor = await _activity_cursor(db, gql)

    body = await gql.execute(NAMES, after=cursor)

    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("this cursor is not one of this list (employees)", {"code": "BAD_CURSOR"})
    ]


@pytest.mark.parametrize(
    ("forge", "message"),
    [
        (_tampered, "invalid cursor: its signature does not match"),
        (lambda c: c.split(".")[0], "invalid cursor"),  # unsigned
        (lambda _: "bm9wZQ", "invalid cursor"),
        (lambda _: "!!!.!!!", "invalid cursor"),
        (lambda _: "é.é", "invalid cursor"),
        (lambda _: "a" * 600 + ".b", "invalid cursor"),
    ],
    ids=["tampered", "unsigned", "not-a-cursor", "not-base64", "not-ascii", "too-long"],
)
async def test_a_forged_cursor_is_bad_cursor(
    db: Database, gql: GraphQLClient, forge: Callable[[str], str], message: str
) -> None:
    employee_id, cursor = await _activity_cursor(db, gql)

    body = await gql.execute(
        "query($e: ID!, $a: String) { employee(id: $e) { activities(after: $a) { edges { cursor } } } }",
        e=gid("Employee", employee_id),
        a=forge(cursor),
    )

    assert body["data"] == {"employee": {"activities": None}}  # nullable: the employee stands
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (message, {"code": "BAD_CURSOR"})
    ]


async def test_invalid_scalar_is_a_validation_error_not_a_500(gql: GraphQLClient) -> None:
    body = await gql.execute(
        "query($d: Date!) { employees { edges { node { score(date: $d) { date } } } } }",
        d="2026-13-45",
    )

    assert body["data"] is None
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        (
            "Variable '$d' has invalid value: Value cannot represent a Date: '2026-13-45'. "
            "month must be in 1..12",
            {"code": "BAD_USER_INPUT"},
        )
    ]
