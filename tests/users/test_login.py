"""Signing in: tokens, refused credentials; limits: ``test_login_limits``; ``create-admin``:
``tests/app/test_cli.py``; token revocation: ``test_tokens``; password rules: ``test_passwords``."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services import users
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import NOW, GraphQLClient, bearer

LOGIN = """
mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    token expiresAt viewer { authenticated email role } errors { field code message }
  }
}
"""
WHO = "{ viewer { authenticated email role permissions employee { name } teams { key } } }"
PASSWORD = "correct horse battery"


async def _user(
    db: Database,
    email: str = "ana@example.com",
    team_ids: list[int] | None = None,
    *,
    active: bool = True,
) -> models.User:
    async with db.session() as session, session.begin():
        user = await users.create_user(
            session=session,
            email=email,
            password=PASSWORD,
            role=UserRole.MANAGER,
            team_ids=team_ids or [],
        )
        user.active = active
        return user


def refused(code: str, message: str) -> dict[str, object]:
    return {
        "token": None, "expiresAt": None, "viewer": None,
        "errors": [{"field": None, "code": code, "message": message}],
    }  # fmt: skip


async def test_login_gives_a_token_that_signs_requests_in(db: Database, gql: GraphQLClient) -> None:
    team = await helpers.team(db, key="north")
    await _user(db, email="Ana@Example.com", team_ids=[team.id])
    anonymous = gql.signed_in_as(None)

    signed = (await anonymous.data(LOGIN, email=" ANA@example.com", password=PASSWORD))["login"]
    who = await GraphQLClient(anonymous.http, {"Authorization": f"Bearer {signed['token']}"}).data(
        WHO
    )

    assert signed["errors"] == []
    assert signed["expiresAt"] == (NOW + timedelta(minutes=60)).isoformat()
    assert signed["viewer"] == {
        "authenticated": True,
        "email": "ana@example.com",
        "role": "MANAGER",
    }
    assert who == {
        "viewer": {"authenticated": True, "email": "ana@example.com", "role": "MANAGER",
                   "permissions": ["READ_TEAM_EMPLOYEES", "READ_REFERENCE_DATA"],
                   "employee": None, "teams": [{"key": "north"}]}
    }  # fmt: skip


async def test_wrong_password_unknown_email_and_inactive_user_are_refused_alike(
    db: Database, gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _user(db)
    await _user(db, email="gone@example.com", active=False)
    checks: list[str] = []
    real = users._matches

    def counted(password_hash: str, password: str) -> bool:
        checks.append(password_hash[:9])
        return real(password_hash, password)

    monkeypatch.setattr(users, "_matches", counted)
    anonymous = gql.signed_in_as(None)

    answers = [
        (await anonymous.data(LOGIN, email=email, password=password))["login"]
        for email, password in [
            ("ana@example.com", "wrong password!"),
            ("nobody@example.com", PASSWORD),
            ("gone@example.com", PASSWORD),
        ]
    ]

    assert answers == [refused("INVALID_CREDENTIALS", "wrong email or password")] * 3
    assert checks == ["$argon2id"] * 3  # an unknown email costs a hash check too


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ({"Authorization": "Basic YWxpY2U6c2VjcmV0"}, "send `Authorization: Bearer <token>`"),
        ({"Authorization": "Bearer not.a.token"}, "the access token is not valid; sign in again"),
        (bearer(helpers.ADMIN, secret=b"another server's secret, 32 bytes or more"),
         "the access token is not valid; sign in again"),
        (bearer(helpers.ADMIN, now=NOW - timedelta(hours=2)), "the access token has expired; sign in again"),
        ({}, "sign in to see this"),
    ],
    ids=["not-bearer", "garbage", "other-secret", "expired", "none"],
)  # fmt: skip
async def test_requests_without_valid_credentials_see_nothing(
    client: httpx.AsyncClient, header: dict[str, str], message: str
) -> None:
    caller = GraphQLClient(client, header)

    body = await caller.execute("{ teams { key } }")
    who = await caller.data("{ viewer { authenticated } }")

    assert body == {
        "data": None,
        "errors": [{"message": message, "locations": [{"line": 1, "column": 3}],
                    "path": ["teams"], "extensions": {"code": "UNAUTHENTICATED"}}],
    }  # fmt: skip
    assert who == {"viewer": {"authenticated": False}}


async def test_a_conflicting_user_leaves_the_table_unchanged(db: Database) -> None:
    await _user(db)

    with pytest.raises(users.Conflict):
        await _user(db, email="ANA@example.com")

    async with db.session() as session:
        count = await session.scalar(select(func.count()).select_from(models.User))
    assert count == 1


def test_a_viewer_knows_whom_they_may_see() -> None:
    manager = Viewer(user_id=2, role=UserRole.MANAGER, team_ids=frozenset({1, 2}))
    employee = Viewer(user_id=3, role=UserRole.EMPLOYEE, employee_id=7)

    assert [manager.may_see_employee(9, team) for team in (1, 2, 3, None)] == [
        True,
        True,
        False,
        False,
    ]
    assert [employee.may_see_employee(e, 1) for e in (7, 8)] == [True, False]
    assert (manager.cache_scope, employee.cache_scope) == ("manager/teams:1,2", "employee/record:7")
