"""Every response carries ``X-Request-ID``: the client's when it is safe to log (1 to 128 of
``[A-Za-z0-9._:-]``), else one made here; the request's log lines carry it too. On a computed
answer, a cached hit the front door answers, a refusal of the request guard, a 503 and a
500 alike."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import exc
from starlette.types import Receive, Scope, Send

from db.engine import Database
from prodhub.app import create_app
from prodhub.request_log import RequestLogging
from prodhub.resources import build_resources
from tests.helpers import ADMIN, NOW, Backend, bearer
from tests.helpers_logs import Lines

ROLES = "query Roles { roles { key } }"
MADE = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
async def http(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(build_resources(backend.settings, db=backend.db), clock=lambda: NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers=bearer(ADMIN)
    ) as client:
        yield client
    await app.state.resources.aclose()


async def roles(http: httpx.AsyncClient, **headers: str) -> httpx.Response:
    return await http.post("/graphql", json={"query": ROLES}, headers=headers)


async def test_a_safe_id_is_kept_and_logged(http: httpx.AsyncClient, logs: Lines) -> None:
    given = "4bf92f3577b34da6a3ce929d0e0e4736:span.01-x_y"

    response = await roles(http, **{"X-Request-ID": given})

    assert response.headers["x-request-id"] == given
    assert [line["request_id"] for line in logs.events("graphql request")] == [given]


async def test_without_an_id_one_is_made(http: httpx.AsyncClient, logs: Lines) -> None:
    first, second = await roles(http), await roles(http)

    made = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert [bool(MADE.fullmatch(m)) for m in made] == [True, True]
    assert made[0] != made[1]
    assert [line["request_id"] for line in logs.events("graphql request")] == made


@pytest.mark.parametrize(
    "given", ["", "x" * 129, "two words", "line\nbreak", 'quote"d', "ümlaut", "{json}"]
)
async def test_an_unsafe_id_is_replaced(http: httpx.AsyncClient, logs: Lines, given: str) -> None:
    response = await http.post(
        "/graphql", json={"query": ROLES}, headers=[(b"X-Request-ID", given.encode())]
    )

    made = response.headers["x-request-id"]
    assert MADE.fullmatch(made) is not None
    assert [line["request_id"] for line in logs.events("graphql request")] == [made]
    assert given.strip() == "" or given not in logs.text


async def test_a_cached_hit_at_the_front_door_carries_its_id(
    http: httpx.AsyncClient, logs: Lines
) -> None:
    computed = await roles(http, **{"X-Request-ID": "first"})
    hit = await roles(http, **{"X-Request-ID": "second"})

    assert [computed.headers["x-prodhub-cache"], hit.headers["x-prodhub-cache"]] == ["miss", "hit"]
    assert [computed.headers["x-request-id"], hit.headers["x-request-id"]] == ["first", "second"]
    assert [(line["request_id"], line["cache"]) for line in logs.events("graphql request")] == [
        ("first", "miss"),
        ("second", "hit"),
    ]


async def test_a_refusal_of_the_request_guard_carries_its_id(
    http: httpx.AsyncClient, logs: Lines
) -> None:
    response = await http.post(
        "/graphql",
        content=b"{}",
        headers={"content-type": "application/json", "content-encoding": "gzip",
                 "X-Request-ID": "zipped"},
    )  # fmt: skip

    assert (response.status_code, response.headers["x-request-id"]) == (415, "zipped")
    line = logs.events("graphql request")[0]
    assert (line["request_id"], line["status"], line["outcome"]) == ("zipped", 415, "http 415")


async def test_a_503_carries_its_id_and_the_outage_is_one_line(
    backend: Backend, logs: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(self: Database) -> None:
        raise exc.TimeoutError("QueuePool limit of size 10 overflow 20 reached")

    monkeypatch.setattr(Database, "ping", down)
    app = create_app(build_resources(backend.settings, db=backend.db), clock=lambda: NOW)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        response = await c.get("/readyz", headers={"X-Request-ID": "probe-1"})
    await app.state.resources.aclose()

    assert (response.status_code, response.headers["x-request-id"]) == (503, "probe-1")
    [line] = logs.events("readiness: database unreachable")
    assert (line["request_id"], line["code"], line["error"]) == (
        "probe-1",
        "SERVICE_UNAVAILABLE",
        "TimeoutError: QueuePool limit of size 10 overflow 20 reached",
    )
    assert "Traceback" not in logs.text


async def test_an_unhandled_failure_is_a_500_with_its_id() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug")

    transport = httpx.ASGITransport(app=RequestLogging(broken), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/anything", headers={"X-Request-ID": "oops"})

    assert (response.status_code, response.headers["x-request-id"]) == (500, "oops")
