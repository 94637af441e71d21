"""Hostile and malformed requests get a 4xx or a typed error, never a 500."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from core.settings import Settings
from prodhub import graphql_app, graphql_json
from prodhub.app import create_app
from prodhub.http_guard import CSRF_REFUSAL, MAX_BODY_BYTES
from services import teams as team_service
from tests.helpers import ADMIN, Backend, bearer

JSON = {"content-type": "application/json"}
WHO = b'{"query": "{ viewer { authenticated } }"}'


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.fixture
async def http(client: httpx.AsyncClient) -> httpx.AsyncClient:
    client.headers.update(bearer(ADMIN))
    return client


def refusal(response: httpx.Response) -> tuple[int, Any]:
    return response.status_code, response.text


@pytest.mark.parametrize(
    ("body", "headers", "status", "reason"),
    [
        (b"null", JSON, 400, "the request body must be a JSON object"),
        (b"42", JSON, 400, "the request body must be a JSON object"),
        (b'"x"', JSON, 400, "the request body must be a JSON object"),
        (b'{"query": "\xff\xfe"}', JSON, 400, "the request body is not valid UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, JSON, 400, "the request body's JSON is nested too deeply"),
        (b'{"query": "{ viewer { email } }", "variables": {"s": "\\ud800"}}', JSON, 400,
         "the request body is not valid UTF-8 text"),
        (b'{"query": "{ viewer { email } }", "variables": {"s": "a\\uDFFFb"}}', JSON, 400,
         "the request body is not valid UTF-8 text"),
        (b"{not json", JSON, 400, "Unable to parse request body as JSON"),
        (gzip.compress(WHO), {**JSON, "content-encoding": "gzip"}, 415,
         '{"errors":[{"message":"compressed request bodies are not accepted"}]}'),
        (b'[{"query": "{ viewer { authenticated } }"}]', JSON, 400, "the request body must be a JSON object"),
        (b'{"query": 42}', JSON, 400,
         "The GraphQL operation's `query` must be a string or null, if provided."),
        (b'{"query": "{ viewer { email } }", "variables": [1]}', JSON, 400,
         "The GraphQL operation's `variables` must be an object or null, if provided."),
        (b'{"query": "{ viewer { email } }", "extensions": "x"}', JSON, 400,
         "The GraphQL operation's `extensions` must be an object or null, if provided."),
    ],
    ids=["null", "number", "string", "invalid-utf8", "nested-100000", "lone-surrogate",
         "lone-surrogate-upper", "not-json", "gzip", "batch", "query-not-text",
         "variables-not-object", "extensions-not-object"],
)  # fmt: skip
async def test_malformed_bodies_are_400s(
    http: httpx.AsyncClient, body: bytes, headers: dict[str, str], status: int, reason: str
) -> None:
    response = await http.post("/graphql", content=body, headers=headers)

    assert refusal(response) == (status, reason)
    assert (await http.post("/graphql", content=WHO, headers=JSON)).status_code == 200


async def test_an_escaped_surrogate_pair_is_a_character_not_a_refusal(
    http: httpx.AsyncClient,
) -> None:
    body = (
        b'{"query": "query($s: ID!) { node(id: $s) { id } }", "variables": {"s": "\\ud83d\\ude00"}}'
    )

    response = await http.post("/graphql", content=body, headers=JSON)

    assert response.status_code == 200
    assert (
        response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    )  # the ID scalar, not the body


async def test_a_body_over_the_limit_is_refused_and_dropped_not_kept(
    http: httpx.AsyncClient,
) -> None:
    read = 0

    async def stream(chunks: int) -> AsyncIterator[bytes]:  # chunked: no Content-Length
        nonlocal read
        read = 0
        for _ in range(chunks):
            read += 1
            yield b" " * (64 << 10)

    declared = await http.post("/graphql", content=b" " * (MAX_BODY_BYTES + 1), headers=JSON)
    streamed = await http.post("/graphql", content=stream(64), headers=JSON)
    read_of_4_mib = read
    endless = await http.post("/graphql", content=stream(1024), headers=JSON)
    read_of_64_mib = read
    at_limit = await http.post(
        "/graphql", content=WHO + b" " * (MAX_BODY_BYTES - len(WHO)), headers=JSON
    )

    limit = f'{{"errors":[{{"message":"request bodies are limited to {MAX_BODY_BYTES} bytes"}}]}}'
    assert refusal(declared) == (413, limit)
    assert refusal(streamed) == (413, limit)
    assert refusal(endless) == (413, limit)
    # Past the limit the rest is read and dropped (so that a client still sending reads its
    # 413), up to DRAIN_MAX_BYTES: 16 chunks reach the limit, 128 more are the drain's.
    assert read_of_4_mib == 64
    assert read_of_64_mib == 16 + 1 + 128 + 1
    assert at_limit.status_code == 200


async def test_a_huge_document_is_refused_before_parsing(http: httpx.AsyncClient) -> None:
    document = "{ viewer { authenticated } }" + " " * 20_000

    response = await http.post("/graphql", json={"query": document})

    assert refusal(response) == (413, "query documents are limited to 20000 characters")


async def test_several_operations_need_an_operation_name(http: httpx.AsyncClient) -> None:
    document = "query A { viewer { authenticated } } query B { viewer { email } }"

    unnamed = await http.post("/graphql", json={"query": document})
    named = await http.post("/graphql", json={"query": document, "operationName": "B"})

    assert refusal(unnamed) == (
        400,
        "the document has several operations: name one in operationName",
    )
    assert named.json() == {"data": {"viewer": {"email": "admin@example.com"}}}


@pytest.mark.parametrize(
    ("global_id", "message"),
    [
        (b64("Employee:99999999999999999999999"), "malformed id 'RW1wbG95ZWU6OTk5OTk5OTk5OTk5OTk5OTk5OTk5…'"),
        (b64("Employee:9223372036854775808"), "malformed id 'RW1wbG95ZWU6OTIyMzM3MjAzNjg1NDc3NTgwOA=='"),
        (b64("Employee: 1"), "malformed id 'RW1wbG95ZWU6IDE='"),
        (b64("Employee:\u0661"), "malformed id 'RW1wbG95ZWU62aE='"),
        (b64("Employee:01"), "malformed id 'RW1wbG95ZWU6MDE='"),
        ("x" * 5000, "malformed id 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…'"),
    ],
    ids=["beyond-64-bits", "just-beyond", "space", "arabic-digit", "leading-zero", "5000-chars"],
)  # fmt: skip
async def test_ids_are_strict_and_echoed_short(
    http: httpx.AsyncClient, global_id: str, message: str
) -> None:
    response = await http.post(
        "/graphql",
        json={
            "query": "query($e: ID!) { employee(id: $e) { name } }",
            "variables": {"e": global_id},
        },
    )

    assert response.json() == {
        "data": {"employee": None},
        "errors": [{"message": message, "locations": [{"line": 1, "column": 18}],
                    "path": ["employee"], "extensions": {"code": "BAD_USER_INPUT"}}],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("9999-12-31T23:59:59-14:00", "Value cannot represent a DateTime: '9999-12-31T23:59:59-14:00'. date value out of range"),
        ("0001-01-01T00:00:00+14:00", "Value cannot represent a DateTime: '0001-01-01T00:00:00+14:00'. date value out of range"),
        ("2026-11-20T10:00:00" + "0" * 5000, "Value cannot represent a DateTime: '2026-11-20T10:00:00000000000000000000000…'"),
    ],
    ids=["past-9999", "before-year-1", "5000-chars"],
)  # fmt: skip
async def test_instants_out_of_range_are_bad_user_input(
    http: httpx.AsyncClient, value: str, message: str
) -> None:
    response = await http.post(
        "/graphql",
        json={
            "query": "query($e: ID!, $f: DateTime) { employee(id: $e) { activities(from: $f) { edges { cursor } } } }",
            "variables": {"e": b64("Employee:1"), "f": value},
        },
    )

    assert response.json()["errors"] == [
        {"message": f"Variable '$f' has invalid value: {message}",
         "locations": [{"line": 1, "column": 16}], "extensions": {"code": "BAD_USER_INPUT"}}
    ]  # fmt: skip


CSRF = json.dumps({"errors": [{"message": CSRF_REFUSAL}]}, separators=(",", ":"))
WHO_ANSWER = '{"data":{"viewer":{"authenticated":true}}}'


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "text"),
    [
        ("GET", {"params": {"query": "{ viewer { authenticated } }"}}, 400, CSRF),
        ("GET", {"params": {"query": "{ viewer { authenticated } }"},
                 "headers": {"apollo-require-preflight": "true"}}, 200, WHO_ANSWER),
        ("GET", {"params": {"query": "{ viewer { authenticated } }"},
                 "headers": {"x-apollo-operation-name": "Who"}}, 200, WHO_ANSWER),
        ("GET", {"params": {"query": "{ viewer { authenticated } }"}, "headers": JSON},
         200, WHO_ANSWER),
        ("GET", {"params": {"query": "{ viewer { authenticated } }"},
                 "headers": {"content-type": "text/plain"}}, 400, CSRF),
        ("GET", {"params": {"extensions": '{"persistedQuery": {"version": 1, "sha256Hash": "'
                                          + "0" * 64 + '"}}'}}, 400, CSRF),
        ("POST", {"content": WHO, "headers": {"content-type": "text/plain"}}, 400, CSRF),
        ("POST", {"content": b"query=%7B%7D", "headers": {"content-type": "application/x-www-form-urlencoded"}}, 400, CSRF),
        ("POST", {"content": WHO, "headers": {"content-type": ""}}, 400, CSRF),
        ("POST", {"content": WHO, "headers": {"content-type": "text/plain", "apollo-require-preflight": "1"}},
         400, "Unsupported content type"),
        ("POST", {"content": WHO, "headers": JSON}, 200, WHO_ANSWER),
    ],
    ids=["get", "get-preflight-header", "get-operation-name-header", "get-json",
         "get-text-plain", "get-hash-only", "text-plain", "form",
         "no-content-type", "text-plain-with-header", "json"],
)  # fmt: skip
async def test_csrf_prevention(
    http: httpx.AsyncClient, method: str, kwargs: dict[str, Any], status: int, text: str
) -> None:
    response = await http.request(method, "/graphql", **kwargs)

    assert refusal(response) == (status, text)


async def test_queries_over_get_never_mutate(http: httpx.AsyncClient) -> None:
    response = await http.get(
        "/graphql",
        params={"query": 'mutation { login(email: "a@b.c", password: "x") { token } }'},
        headers={"apollo-require-preflight": "true"},
    )

    assert refusal(response) == (400, "mutations are not allowed when using GET")


async def test_cors_answers_preflights_for_configured_origins_only(backend: Backend) -> None:
    settings = backend.settings.model_copy(update={"cors_origins": ["https://dash.example.com"]})
    app = create_app(settings)
    preflight = {"access-control-request-method": "POST",
                 "access-control-request-headers": "authorization, content-type"}  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        allowed = await c.options(
            "/graphql", headers={"origin": "https://dash.example.com", **preflight}
        )
        other = await c.options("/graphql", headers={"origin": "https://evil.example", **preflight})
    await app.state.resources.aclose()

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://dash.example.com"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert (other.status_code, other.text) == (400, "Disallowed CORS origin")


def test_cors_origins_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODHUB_CORS_ORIGINS", "https://a.example, https://b.example")

    assert Settings().cors_origins == ["https://a.example", "https://b.example"]


async def test_unexpected_errors_are_masked_and_expected_ones_logged_in_one_line(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(**_: object) -> object:
        raise RuntimeError("secret detail from deep inside")

    monkeypatch.setattr(team_service, "list_teams", broken)
    caplog.set_level(logging.INFO)

    masked = await http.post("/graphql", json={"query": "{ teams { key } }"})
    caplog.clear()
    expected = await http.post(
        "/graphql", json={"query": '{ employees(after: "forged") { edges { cursor } } }'}
    )

    assert masked.json() == {
        "data": None,
        "errors": [{"message": "Unexpected error.", "locations": [{"line": 1, "column": 3}],
                    "path": ["teams"], "extensions": {"code": "INTERNAL_SERVER_ERROR"}}],
    }  # fmt: skip
    assert "secret detail" not in masked.text
    assert expected.json()["errors"][0]["extensions"] == {"code": "BAD_CURSOR"}
    ours = [r for r in caplog.records if r.name.startswith(("schema", "strawberry"))]
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in ours] == [
        ("INFO", "refused: 'invalid cursor'", None)
    ]


async def test_an_operation_that_runs_too_long_is_stopped(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    finished = []

    async def slow(**_: object) -> object:
        await asyncio.sleep(5)
        finished.append(True)
        return []

    monkeypatch.setattr(team_service, "list_teams", slow)
    monkeypatch.setattr(graphql_app, "EXECUTION_TIMEOUT_SECONDS", 0.05)

    response = await http.post("/graphql", json={"query": "{ teams { key } }"})

    assert response.json() == {
        "data": None,
        "errors": [{"message": "the operation took longer than 0.05 s and was stopped",
                    "extensions": {"code": "TIMEOUT"}}],
    }  # fmt: skip
    assert finished == []  # cancelled, not left running


async def test_a_response_over_the_bound_is_not_sent(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graphql_json, "MAX_RESPONSE_BYTES", 40)

    small = await http.post("/graphql", json={"query": "{ viewer { role } }"})
    large = await http.post("/graphql", json={"query": "{ viewer { email role authenticated } }"})

    assert small.json() == {"data": {"viewer": {"role": "ADMIN"}}}
    assert large.json() == {
        "data": None,
        "errors": [{"message": "the response is over 40 bytes: ask for less",
                    "extensions": {"code": "RESPONSE_TOO_LARGE"}}],
    }  # fmt: skip


async def test_no_message_echoes_more_than_a_short_prefix(http: httpx.AsyncClient) -> None:
    """Whatever the field: an operation's name (up to the body's 1 MiB), a field's name (up
    to the document's 20,000 characters), a variable's value."""
    who = "{ viewer { authenticated } }"
    by_name = await http.post("/graphql", json={"query": who, "operationName": "x" * 1_000_000})
    by_get = await http.get(
        "/graphql",
        params={"query": who, "operationName": "y" * 10_000},
        headers={"apollo-require-preflight": "1"},
    )
    field = await http.post("/graphql", json={"query": "{ " + "f" * 19_000 + " }"})
    value = await http.post(
        "/graphql",
        json={"query": "query($n: Int) { employees(first: $n) { edges { cursor } } }",
              "variables": {"n": "9" * 500_000}},
    )  # fmt: skip

    assert by_name.status_code == by_get.status_code == 400
    assert by_name.text == 'Unknown operation named "' + "x" * 274 + "…"
    assert by_get.text == 'Unknown operation named "' + "y" * 274 + "…"
    [unknown_field] = field.json()["errors"]
    [bad_value] = value.json()["errors"]
    assert unknown_field["message"] == "Cannot query field '" + "f" * 279 + "…"
    assert bad_value["message"].startswith("Variable '$n' has invalid value: Int cannot")
    assert len(unknown_field["message"]) == 300
    assert len(bad_value["message"]) <= 300
