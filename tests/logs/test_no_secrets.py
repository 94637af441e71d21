"""No log line holds a password or a token: not a sign-in's password (a variable), not the
token it gives, not a bearer token refused, whatever the level."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from prodhub.app import create_app
from prodhub.logs import WithoutQuery
from prodhub.resources import build_resources
from services import users
from services.users import UserRole
from tests.helpers import NOW, Backend
from tests.helpers_logs import Lines

PASSWORD = "Correct-Horse-Battery-9"
LOGIN = """mutation SignIn($email: String!, $password: String!) {
  login(email: $email, password: $password) { token errors { code } } }"""
FORGED = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.forged-signature-0123456789"


@pytest.fixture
async def http(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(build_resources(backend.settings, db=backend.db), clock=lambda: NOW)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c
    await app.state.resources.aclose()


async def test_passwords_and_tokens_never_reach_a_line(
    backend: Backend, http: httpx.AsyncClient, logs: Lines
) -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    async with backend.db.session() as session, session.begin():
        await users.create_user(
            session=session, email="ana@example.com", password=PASSWORD, role=UserRole.ADMIN
        )

    async def login(password: str) -> httpx.Response:
        variables = {"email": "ana@example.com", "password": password}
        return await http.post("/graphql", json={"query": LOGIN, "variables": variables})

    wrong = (await login(PASSWORD + "x")).json()["data"]["login"]
    mistyped = await http.post(  # graphql-core's coercion error echoes the value it refused
        "/graphql",
        json={"query": LOGIN, "variables": {"email": "a@b.c", "password": {"p": PASSWORD}}},
    )
    signed = (await login(PASSWORD)).json()["data"]["login"]
    token = signed["token"]
    for credentials in (token, FORGED):
        await http.post(
            "/graphql",
            json={"query": "query Who { viewer { email } }"},
            headers={"Authorization": f"Bearer {credentials}"},
        )
    await http.get(  # a GET carries its variables in the query string
        "/graphql",
        params={"query": "query Q($p: String) { viewer { email } }",
                "variables": f'{{"p": "{PASSWORD}"}}'},
        headers={"apollo-require-preflight": "1"},
    )  # fmt: skip

    assert (wrong["errors"], signed["errors"]) == ([{"code": "INVALID_CREDENTIALS"}], [])
    assert PASSWORD in mistyped.text  # the client's own value, shown back to the client only
    assert [line["event"] for line in logs.all() if line["event"].startswith("refused")] == [
        "refused: \"Variable '$password' has an invalid value.\"",
        "refused: \"Variable '$p' is never used in operation 'Q'.\"",
    ]
    assert [line["role"] for line in logs.events("graphql request")] == [
        "ANONYMOUS", "ANONYMOUS", "ANONYMOUS", "ADMIN", "REFUSED", "ANONYMOUS",
    ]  # fmt: skip
    assert len(token) > 20
    for secret in (PASSWORD, token, FORGED, token.split(".")[2], FORGED.split(".")[2]):
        assert secret not in logs.text


def test_the_access_line_leaves_out_the_query_string() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5000", "GET", "/graphql?query=x&variables=%7B%22p%22%3A1%7D", "1.1", 200),
        None,
    )  # fmt: skip

    assert WithoutQuery().filter(record) is True
    assert record.getMessage() == '10.0.0.1:5000 - "GET /graphql HTTP/1.1" 200'
