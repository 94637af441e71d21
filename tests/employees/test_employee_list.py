"""``employees``, ``employee``, ``node``, ``teams`` and ``roles``: results and bad input."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from db.engine import Database
from resolvers.pagination import encode_cursor
from tests import factories
from tests.conftest import GraphQLClient, utc

NAMES = """
query Names($first: Int, $after: String, $teamId: ID, $search: String, $all: Boolean) {
  employees(first: $first, after: $after, teamId: $teamId, search: $search,
            includeInactive: $all) {
    edges { cursor node { name } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def gid(type_name: str, db_id: int) -> str:
    return base64.b64encode(f"{type_name}:{db_id}".encode()).decode()


def names(data: dict[str, Any]) -> list[str]:
    edges = data["employees"]["edges"]
    return [edge["node"]["name"] for edge in edges]


async def test_pages_walk_every_active_employee_in_name_order(
    db: Database, gql: GraphQLClient
) -> None:
    for name in ["Dora", "Abe", "Cleo", "Eve", "Bea"]:
        await factories.employee(db, name=name)
    await factories.employee(db, name="Zed", active=False)

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
        await factories.employee(db, name="Sam")

    first = await gql.data(NAMES, first=2)
    rest = await gql.data(NAMES, first=2, after=first["employees"]["pageInfo"]["endCursor"])

    assert names(first) + names(rest) == ["Sam", "Sam", "Sam"]
    assert rest["employees"]["pageInfo"]["hasNextPage"] is False


async def test_filters_by_team_search_and_inactive(db: Database, gql: GraphQLClient) -> None:
    north = await factories.team(db)
    south = await factories.team(db)
    await factories.employee(db, name="Ana North", team_id=north.id, code="N-1")
    await factories.employee(db, name="Ben North", team_id=north.id, active=False)
    await factories.employee(db, name="Cy South", team_id=south.id, code="S-100%")

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
    team = await factories.team(db, key="inbound", name="Inbound", timezone="America/New_York")
    role = await factories.role(db, key="picking", name="Picking", points_per_item=1.5)
    person = await factories.employee(db, name="Ana", team_id=team.id, default_role_id=role.id)

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
        ('{ employees(after: "bm9wZQ") { edges { cursor } } }', {}, "malformed cursor 'bm9wZQ'"),
        ('{ employees(after: "!!!") { edges { cursor } } }', {}, "malformed cursor '!!!'"),
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


async def test_cursor_of_another_list_is_rejected(db: Database, gql: GraphQLClient) -> None:
    person = await factories.employee(db)
    role = await factories.role(db)
    await factories.add(db, factories.activity(person, role, utc(2026, 11, 20, 14), 5))
    page = await gql.data(
        "query($e: ID!) { employee(id: $e) { activities(first: 1) { pageInfo { endCursor } } } }",
        e=gid("Employee", person.id),
    )
    cursor = page["employee"]["activities"]["pageInfo"]["endCursor"]

    body = await gql.execute(NAMES, after=cursor)

    assert body["errors"][0]["message"] == f"malformed cursor {cursor!r}"
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT"}


@pytest.mark.parametrize(
    "payload",
    [["activities", "2026-11-20T14:00:00", 1], ["activities", "yesterday", 1], ["activities", 1]],
)
async def test_forged_activity_cursors_are_rejected(
    db: Database, gql: GraphQLClient, payload: list[object]
) -> None:
    person = await factories.employee(db)
    forged = encode_cursor(str(payload[0]), payload[1:])

    body = await gql.execute(
        "query($e: ID!, $a: String) { employee(id: $e) { activities(after: $a) { edges { cursor } } } }",
        e=gid("Employee", person.id),
        a=forged,
    )

    assert body["data"] == {"employee": None}
    assert [(e["message"], e["extensions"]) for e in body["errors"]] == [
        ("malformed cursor", {"code": "BAD_USER_INPUT"})
    ]


async def test_invalid_scalar_is_a_validation_error_not_a_500(gql: GraphQLClient) -> None:
    body = await gql.execute(
        "query($d: Date!) { employees { edges { node { score(date: $d) { date } } } } }",
        d="2026-13-45",
    )

    assert body["data"] is None
    assert body["errors"][0]["message"] == (
        "Variable '$d' has invalid value: Value cannot represent a Date: \"2026-13-45\". "
        "month must be in 1..12"
    )
