"""What a new password must be, wherever it is set: long enough, not common nor a variation of
a common one, and never the demo's public one in production."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services import users
from services.demo.users import PASSWORD as DEMO_PASSWORD
from services.errors import BadInput
from services.users import UserRole
from tests.helpers import GraphQLClient

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token errors { code } } }"""
LONG = "the quiet heron counted seventeen lanterns before the ferry left the harbor at dawn"
TOO_EASY = "this password is too common or too easy to guess: try three or four unrelated words"


async def create(db: Database, password: str, *, production: bool = True) -> models.User:
    async with db.session() as session, session.begin():
        return await users.create_user(
            session=session,
            email="boss@example.com",
            password=password,
            role=UserRole.ADMIN,
            production=production,
        )


async def user_count(db: Database) -> int:
    async with db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(models.User)) or 0)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "a password has 10 to 256 characters"),
        ("x" * 257, "a password has 10 to 256 characters"),
        ("1234567890", TOO_EASY),
        ("password123", TOO_EASY),
        ("qwertyuiop", TOO_EASY),
        ("iloveyou12", TOO_EASY),
        ("Password2026!", TOO_EASY),  # a common word, capitalized, a year and a symbol
        ("boss@example.com", TOO_EASY),  # the user's own email
        ("prodhub2026", TOO_EASY),
        ("a" * 200, TOO_EASY),
        (DEMO_PASSWORD, "this password is public (the demo's): choose another"),
    ],
    ids=["short", "long", "digits", "common", "keyboard", "breached", "pattern", "email",
         "app-name", "repeated", "demo"],
)  # fmt: skip
async def test_a_weak_password_is_refused_and_no_user_is_made(
    db: Database, password: str, message: str
) -> None:
    with pytest.raises(BadInput) as refused:
        await create(db, password)

    assert (refused.value.message, refused.value.field) == (message, "password")
    assert await user_count(db) == 0


@pytest.mark.parametrize(
    "password", ["correct horse battery", "lamp stapler orbit", "a-long-password", LONG]
)
async def test_a_password_that_is_hard_to_guess_is_accepted(db: Database, password: str) -> None:
    user = await create(db, password)

    assert user.password_hash.startswith("$argon2id$")
    assert await user_count(db) == 1


async def test_the_demo_password_is_accepted_outside_production_only(db: Database) -> None:
    """``seed-demo`` (which refuses to run in production) makes its sign-ins with it."""
    user = await create(db, DEMO_PASSWORD, production=False)

    assert user.password_hash.startswith("$argon2id$")


async def test_setting_a_password_checks_it_and_ends_the_users_tokens(
    db: Database, client: httpx.AsyncClient
) -> None:
    await create(db, "correct horse battery")
    anonymous = GraphQLClient(client)
    signed = await anonymous.data(LOGIN, email="boss@example.com", password="correct horse battery")
    token = GraphQLClient(client, {"Authorization": f"Bearer {signed['login']['token']}"})
    before = await token.execute("{ viewer { email } }")

    async with db.session() as session, session.begin():
        user = await session.scalar(select(models.User))
        assert user is not None
        with pytest.raises(BadInput):
            await users.set_password(
                session=session, user=user, password="1234567890", production=True
            )
        await users.set_password(
            session=session, user=user, password="lamp stapler orbit", production=True
        )
    after = await token.execute("{ teams { key } }")
    old = await anonymous.data(LOGIN, email="boss@example.com", password="correct horse battery")
    new = await anonymous.data(LOGIN, email="boss@example.com", password="lamp stapler orbit")

    assert before == {"data": {"viewer": {"email": "boss@example.com"}}}
    assert after["errors"][0]["message"] == "the access token is no longer valid; sign in again"
    assert old["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    assert new["login"]["errors"] == []
