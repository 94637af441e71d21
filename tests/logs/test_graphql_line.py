"""Each GraphQL request is one line when it is answered (``graphql request``): what it asked
(the operation's name and type, the viewer's role; never a credential or a variable's value),
how the cache answered, the SQL statements it sent, its duration, status and outcome. An
expected error adds one line (its code and message, no traceback); an unexpected one its
traceback, once however many fields it failed; the database unreachable one line, with its
code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import exc

from loaders.base import RowByIdLoader
from prodhub.app import create_app
from prodhub.resources import build_resources
from tests import helpers
from tests.helpers import ADMIN, DASHBOARD, NOW, Backend, StatementCounter, bearer, gid
from tests.helpers_logs import Lines

SEEN = ("event", "operation", "operation_type", "role", "cache", "sql_statements", "status",
        "outcome")  # fmt: skip
TWO = """query Two($a: ID!, $b: ID!) {
  a: employee(id: $a) { name } b: employee(id: $b) { name } }"""
LOGIN = """mutation SignIn($email: String!, $password: String!) {
  login(email: $email, password: $password) { token errors { code } } }"""


@pytest.fixture
async def http(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(build_resources(backend.settings, db=backend.db), clock=lambda: NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers=bearer(ADMIN)
    ) as client:
        yield client
    await app.state.resources.aclose()


def seen(line: dict[str, Any]) -> dict[str, Any]:
    return {name: line[name] for name in SEEN}


async def post(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    response = await http.post("/graphql", json={"query": query, "variables": variables})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_a_query_is_one_line_with_what_it_cost(
    backend: Backend, http: httpx.AsyncClient, logs: Lines, statements: StatementCounter
) -> None:
    team = await helpers.team(backend.db, key="north", name="North")
    for n in range(3):
        await helpers.employee(backend.db, code=f"E{n}", name=f"Worker {n}", team_id=team.id)
    statements.counting = True

    body = await post(http, DASHBOARD, first=10, date="2026-11-20")

    statements.counting = False
    assert "errors" not in body
    [line] = logs.all()
    assert seen(line) == {
        "event": "graphql request", "operation": "Dashboard", "operation_type": "query",
        "role": "ADMIN", "cache": "miss", "sql_statements": statements.count, "status": 200,
        "outcome": "ok",
    }  # fmt: skip
    assert statements.count > 1
    assert line["duration_ms"] >= 0
    assert "2026-11-20" not in logs.text  # a variable's value


async def test_a_hit_at_the_front_door_names_the_operation_and_sends_no_statement(
    http: httpx.AsyncClient, logs: Lines
) -> None:
    await post(http, "query Roles { roles { key } }")
    await post(http, "query Roles { roles { key } }")

    hit = logs.events("graphql request")[1]
    assert seen(hit) == {
        "event": "graphql request", "operation": "Roles", "operation_type": "query",
        "role": "ADMIN", "cache": "hit", "sql_statements": 0, "status": 200, "outcome": "ok",
    }  # fmt: skip


async def test_a_mutation_by_an_anonymous_client(http: httpx.AsyncClient, logs: Lines) -> None:
    http.headers.pop("authorization")

    body = await post(http, LOGIN, email="nobody@example.com", password="not-a-password-1")

    assert body["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]
    [line] = logs.events("graphql request")
    assert (line["operation"], line["operation_type"], line["role"], line["outcome"]) == (
        "SignIn", "mutation", "ANONYMOUS", "ok",
    )  # fmt: skip


async def test_an_expected_error_is_one_line_without_a_traceback(
    http: httpx.AsyncClient, logs: Lines
) -> None:
    body = await post(http, "query Odd { nope }")

    assert [e["extensions"]["code"] for e in body["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]
    [refused, request] = logs.all()
    assert (refused["event"], refused["level"], refused["code"]) == (
        "refused: \"Cannot query field 'nope' on type 'Query'. Did you mean 'node'?\"", "info",
        "GRAPHQL_VALIDATION_FAILED",
    )  # fmt: skip
    assert seen(request) == {
        "event": "graphql request", "operation": "Odd", "operation_type": "query",
        "role": "ADMIN", "cache": "none", "sql_statements": 0, "status": 200,
        "outcome": "GRAPHQL_VALIDATION_FAILED",
    }  # fmt: skip
    assert "Traceback" not in logs.text


async def test_an_unexpected_error_is_logged_with_its_traceback_once(
    http: httpx.AsyncClient, logs: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_: Any) -> list[Any]:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(RowByIdLoader, "load_batch", broken)

    body = await post(http, TWO, a=gid("Employee", 1), b=gid("Employee", 2))

    assert [e["message"] for e in body["errors"]] == ["Unexpected error."] * 2
    [failure, request] = logs.all()
    assert (failure["event"], failure["code"], failure["count"], failure["request_id"]) == (
        "unexpected error", "INTERNAL_SERVER_ERROR", 2, request["request_id"],
    )  # fmt: skip
    assert logs.text.count("Traceback (most recent call last)") == 1
    assert "ZeroDivisionError: a bug" in failure["exception"]
    assert request["outcome"] == "INTERNAL_SERVER_ERROR"


async def test_the_database_unreachable_is_one_line_with_its_code(
    http: httpx.AsyncClient, logs: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*_: Any) -> list[Any]:
        raise exc.TimeoutError("QueuePool limit of size 10 overflow 20 reached")

    monkeypatch.setattr(RowByIdLoader, "load_batch", down)

    body = await post(http, TWO, a=gid("Employee", 1), b=gid("Employee", 2))

    assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"] * 2
    [outage, request] = logs.all()
    assert (outage["event"], outage["level"], outage["code"], outage["count"]) == (
        "database unavailable", "warning", "SERVICE_UNAVAILABLE", 2,
    )  # fmt: skip
    assert outage["error"] == "TimeoutError: QueuePool limit of size 10 overflow 20 reached"
    assert "Traceback" not in logs.text
    assert (request["outcome"], request["sql_statements"]) == ("SERVICE_UNAVAILABLE", 0)
