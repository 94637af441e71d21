"""``upsertTeam``, ``upsertRole``, ``upsertEmployee``: admins only, typed payload errors,
audited, and a refused one changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, GraphQLClient

UPSERT_TEAM = """mutation($input: TeamInput!) {
  upsertTeam(input: $input) { team { key name timezone } created errors { field code message } }
}"""
UPSERT_ROLE = """mutation($input: RoleInput!) {
  upsertRole(input: $input) { role { key pointsPerItem expectedPerHour } created errors { field code message } }
}"""
UPSERT_EMPLOYEE = """mutation($input: EmployeeInput!) {
  upsertEmployee(input: $input) {
    employee { code name email active team { key } defaultRole { key } } created
    errors { field code message }
  }
}"""
TABLES = (models.Team, models.Role, models.Employee, models.AuditLog)


@pytest.fixture(autouse=True)
async def admin_user(db: Database) -> None:
    """The user behind ``ADMIN``'s token: the audit log refers to it."""
    await helpers.add(
        db, models.User(id=ADMIN.user_id, email=ADMIN.email, password_hash="-", role="ADMIN")
    )


async def counts(db: Database) -> dict[str, int]:
    async with db.session() as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in TABLES
        }


async def audit_trail(db: Database) -> list[tuple[Any, ...]]:
    async with db.session() as session:
        rows = await session.scalars(select(models.AuditLog).order_by(models.AuditLog.id))
        return [(r.actor_label, r.action, r.entity, r.before, r.after) for r in rows]


async def test_an_admin_creates_then_changes_a_team_and_both_are_audited(
    db: Database, gql: GraphQLClient
) -> None:
    created = (await gql.data(UPSERT_TEAM, input={"key": "north", "name": "North"}))["upsertTeam"]
    changed = (
        await gql.data(
            UPSERT_TEAM, input={"key": "north", "name": " North Dock ", "timezone": "Asia/Tokyo"}
        )
    )["upsertTeam"]

    assert created == {
        "team": {"key": "north", "name": "North", "timezone": "America/Chicago"},
        "created": True, "errors": [],
    }  # fmt: skip
    assert changed == {
        "team": {"key": "north", "name": "North Dock", "timezone": "Asia/Tokyo"},
        "created": False, "errors": [],
    }  # fmt: skip
    trail = await audit_trail(db)
    team_id = trail[0][4]["id"]
    assert trail == [
        ("admin@example.com", "create", "teams", None,
         {"id": team_id, "key": "north", "name": "North", "timezone": "America/Chicago"}),
        ("admin@example.com", "update", "teams",
         {"id": team_id, "key": "north", "name": "North", "timezone": "America/Chicago"},
         {"id": team_id, "key": "north", "name": "North Dock", "timezone": "Asia/Tokyo"}),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("mutation", "field", "payload", "error"),
    [
        (UPSERT_TEAM, "upsertTeam", {"key": "North Dock", "name": "N"},
         {"field": "key", "code": "BAD_USER_INPUT",
          "message": "use 1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or digit"}),
        (UPSERT_TEAM, "upsertTeam", {"key": "north", "name": "N", "timezone": "Mars/Olympus"},
         {"field": "timezone", "code": "BAD_USER_INPUT", "message": "not an IANA timezone, e.g. America/Chicago"}),
        (UPSERT_TEAM, "upsertTeam", {"key": "north", "name": "   "},
         {"field": "name", "code": "BAD_USER_INPUT", "message": "give 1 to 200 characters"}),
        (UPSERT_ROLE, "upsertRole", {"key": "pick", "name": "Pick", "pointsPerItem": -1, "expectedPerHour": 60},
         {"field": "pointsPerItem", "code": "BAD_USER_INPUT", "message": "give a number from 0 to 1,000,000"}),
        (UPSERT_EMPLOYEE, "upsertEmployee", {"code": "E1", "name": "Ana", "teamKey": "nowhere"},
         {"field": "teamKey", "code": "NOT_FOUND", "message": "no team with key 'nowhere'"}),
        (UPSERT_EMPLOYEE, "upsertEmployee", {"code": "E1", "name": "Ana", "defaultRoleKey": "juggling"},
         {"field": "defaultRoleKey", "code": "NOT_FOUND", "message": "no role with key 'juggling'"}),
        (UPSERT_EMPLOYEE, "upsertEmployee", {"code": "E 1", "name": "Ana"},
         {"field": "code", "code": "BAD_USER_INPUT", "message": "use 1 to 64 letters, digits, '-' or '_'"}),
        (UPSERT_EMPLOYEE, "upsertEmployee", {"code": "E1", "name": "Ana", "email": "ana at example"},
         {"field": "email", "code": "BAD_USER_INPUT", "message": "not an email address"}),
    ],
    ids=["team-key", "team-timezone", "team-name", "role-points", "employee-team", "employee-role",
         "employee-code", "employee-email"],
)  # fmt: skip
async def test_bad_input_is_a_payload_error_and_changes_nothing(
    db: Database,
    gql: GraphQLClient,
    mutation: str,
    field: str,
    payload: dict[str, Any],
    error: dict[str, Any],
) -> None:
    before = await counts(db)

    answer = (await gql.data(mutation, input=payload))[field]

    assert answer["errors"] == [error]
    assert answer["created"] is False
    assert await counts(db) == before


async def test_an_employee_is_created_with_team_and_role_then_moved(
    db: Database, gql: GraphQLClient
) -> None:
    await helpers.team(db, key="north")
    await helpers.team(db, key="south")
    await helpers.role(db, key="pick")
    first = {
        "code": "E1",
        "name": "Ana",
        "email": "Ana@Example.com",
        "teamKey": "north",
        "defaultRoleKey": "pick",
    }

    created = (await gql.data(UPSERT_EMPLOYEE, input=first))["upsertEmployee"]
    moved = (await gql.data(UPSERT_EMPLOYEE, input={**first, "teamKey": "south", "active": False}))[
        "upsertEmployee"
    ]

    assert created == {
        "employee": {"code": "E1", "name": "Ana", "email": "ana@example.com", "active": True,
                     "team": {"key": "north"}, "defaultRole": {"key": "pick"}},
        "created": True, "errors": [],
    }  # fmt: skip
    assert moved["employee"]["team"] == {"key": "south"}
    assert (moved["employee"]["active"], moved["created"]) == (False, False)
    assert [(a, e) for _, a, e, _, _ in await audit_trail(db)] == [
        ("create", "employees"),
        ("update", "employees"),
    ]


MUTATIONS = {
    "upsertTeam": (UPSERT_TEAM, {"key": "west", "name": "West"}),
    "upsertRole": (UPSERT_ROLE, {"key": "pack", "name": "Pack", "pointsPerItem": 1.5, "expectedPerHour": 80}),
    "upsertEmployee": (UPSERT_EMPLOYEE, {"code": "E9", "name": "Eve"}),
}  # fmt: skip
NOT_ADMINS = {
    "manager": (Viewer(user_id=2, role=UserRole.MANAGER, team_ids=frozenset({1})), "FORBIDDEN"),
    "employee": (Viewer(user_id=3, role=UserRole.EMPLOYEE, employee_id=1), "FORBIDDEN"),
    "anonymous": (None, "UNAUTHENTICATED"),
}


@pytest.mark.parametrize("who", [*NOT_ADMINS, "admin"])
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
async def test_only_admins_change_reference_data(
    db: Database, gql: GraphQLClient, who: str, mutation: str
) -> None:
    document, payload = MUTATIONS[mutation]
    viewer, code = NOT_ADMINS.get(who, (ADMIN, None))
    before = await counts(db)

    body = await gql.signed_in_as(viewer).execute(document, input=payload)

    after = await counts(db)
    if code is None:
        assert body["data"][mutation]["errors"] == []
        assert after["audit_log"] == before["audit_log"] + 1
    else:
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == [code]
        assert after == before  # refused: nothing written


async def test_a_change_drops_cached_answers(gql: GraphQLClient) -> None:
    teams = "{ teams { key } }"
    await gql.data(teams)

    await gql.data(UPSERT_TEAM, input={"key": "east", "name": "East"})

    assert await gql.data(teams) == {"teams": [{"key": "east"}]}


async def test_concurrent_upserts_of_a_new_key_make_one_row(
    db: Database, gql: GraphQLClient
) -> None:
    answers = await asyncio.gather(
        *(gql.data(UPSERT_TEAM, input={"key": "dock", "name": f"Dock {n}"}) for n in range(8))
    )

    outcomes = sorted(
        "created" if a["upsertTeam"]["created"]
        else a["upsertTeam"]["errors"][0]["code"] if a["upsertTeam"]["errors"]
        else "updated"
        for a in answers
    )  # fmt: skip
    assert outcomes.count("created") == 1
    assert set(outcomes) <= {"created", "updated", "CONFLICT"}
    assert (await counts(db))["teams"] == 1
