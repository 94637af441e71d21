"""The cache's front door: a request seen before is answered from the cache without the guard
and the GraphQL view, but only while everything that decided its key is the same, and never
with an entry a write made stale. On memory and on Redis."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from cache.persisted import sha256_hex
from cache.tags import collect
from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.cache_front import MAX_BODY_BYTES
from prodhub.graphql_requests import CACHE_HEADER
from prodhub.resources import Resources
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, bearer

MANAGER = Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset({1}))
NAME = "query Name($code: String!) { employees(search: $code) { edges { node { name } } } }"


@dataclass
class Front:
    http: httpx.AsyncClient
    prepared: list[object]  # one per request the GraphQL view read itself

    async def ask(
        self, headers: dict[str, str] | None = None, *, code: str = "C1", **extra: Any
    ) -> tuple[str | None, Any]:
        response = await self.http.post(
            "/graphql",
            json={"query": NAME, "variables": {"code": code}, **extra},
            headers=bearer(ADMIN) if headers is None else headers,
        )
        assert response.status_code == 200, response.text
        return response.headers.get(CACHE_HEADER), response.json()


@pytest.fixture
async def front(resources: Resources) -> AsyncIterator[Front]:
    app = create_app(resources, clock=lambda: NOW)
    graphql = app.state.graphql
    prepared: list[object] = []
    prepare = graphql._prepare

    async def counted(request: Any) -> Any:
        prepared.append(request)
        return await prepare(request)

    graphql._prepare = counted
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        yield Front(http, prepared)


def names(body: Any) -> list[str]:
    return [edge["node"]["name"] for edge in body["data"]["employees"]["edges"]]


async def test_a_request_seen_before_does_not_reach_the_view(db: Database, front: Front) -> None:
    await helpers.employee(db, code="C1", name="Ana")

    answers = [await front.ask() for _ in range(3)]

    assert [status for status, _ in answers] == ["miss", "hit", "hit"]
    assert [names(body) for _, body in answers] == [["Ana"]] * 3
    assert len(front.prepared) == 1  # the first one only


async def test_what_decides_the_key_is_part_of_the_request(db: Database, front: Front) -> None:
    await helpers.employee(db, code="C1", name="Ana")
    await helpers.employee(db, code="C2", name="Ben")
    await front.ask()

    other_variables = await front.ask(code="C2")
    other_viewer = await front.ask(bearer(MANAGER))
    same_again = await front.ask()

    assert other_variables[0] == "miss" and names(other_variables[1]) == ["Ben"]
    assert other_viewer[0] == "miss"  # a manager's scope: their own entry
    assert same_again[0] == "hit"
    assert len(front.prepared) == 3


async def test_a_write_is_seen_at_the_next_request(db: Database, front: Front) -> None:
    ana = await helpers.employee(db, code="C1", name="Ana")
    await front.ask()
    await front.ask()

    async with db.session() as session, session.begin():
        await session.execute(
            update(models.Employee).where(models.Employee.id == ana.id).values(name="Anna")
        )
    after = await front.ask()
    again = await front.ask()

    assert (after[0], names(after[1])) == ("miss", ["Anna"])
    assert (again[0], names(again[1])) == ("hit", ["Anna"])
    assert len(front.prepared) == 2  # the first request, and the one after the write


async def test_an_expired_token_is_refused_though_its_request_was_seen(
    db: Database, resources: Resources
) -> None:
    await helpers.employee(db, code="C1", name="Ana")
    instant = [NOW]
    app = create_app(resources, clock=lambda: instant[0])
    headers = bearer(ADMIN)  # valid for an hour from NOW
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        body = {"query": NAME, "variables": {"code": "C1"}}
        seen = [await http.post("/graphql", json=body, headers=headers) for _ in range(2)]
        instant[0] = NOW + timedelta(hours=1, seconds=1)
        late = await http.post("/graphql", json=body, headers=headers)

    assert [r.headers[CACHE_HEADER] for r in seen] == ["miss", "hit"]
    assert CACHE_HEADER not in late.headers
    assert late.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_what_the_guard_refuses_is_refused_every_time(db: Database, front: Front) -> None:
    """The CSRF check and the body limit are the guard's; the front door only answers what
    went the whole way once, with the same deciding headers."""
    await helpers.employee(db, code="C1", name="Ana")
    await front.ask()
    body = '{"query": "query Name($code: String!) { employees(search: $code) { edges '
    body += '{ node { name } } } }", "variables": {"code": "C1"}}'
    simple = {**bearer(ADMIN), "content-type": "text/plain"}

    refused = [await front.http.post("/graphql", content=body, headers=simple) for _ in range(2)]
    huge = await front.http.post(
        "/graphql",
        json={"query": NAME, "variables": {"code": "C1", "pad": "x" * MAX_BODY_BYTES}},
        headers=bearer(ADMIN),
    )

    assert [r.status_code for r in refused] == [400, 400]
    assert huge.status_code == 200 and huge.headers[CACHE_HEADER] == "miss"  # went the whole way
    assert len(front.prepared) == 2  # the first request and the large one


async def test_a_persisted_query_seen_before_needs_no_registry(db: Database, front: Front) -> None:
    await helpers.employee(db, code="C1", name="Ana")
    digest = sha256_hex(NAME)
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    registered = await front.ask(extensions=extensions)
    params = {
        "extensions": '{"persistedQuery":{"version":1,"sha256Hash":"' + digest + '"}}',
        "variables": '{"code":"C1"}',
        "operationName": "Name",
    }
    as_apollo_client = bearer(ADMIN) | {"content-type": "application/json"}  # on GET too
    by_hash = [
        await front.http.get("/graphql", params=params, headers=as_apollo_client) for _ in range(3)
    ]

    assert registered[0] == "miss"
    assert [r.headers[CACHE_HEADER] for r in by_hash] == ["miss", "hit", "hit"]
    assert [names(r.json()) for r in by_hash] == [["Ana"]] * 3
    assert len(front.prepared) == 2  # the POST with the document, the first GET by hash


async def test_reads_are_tagged_by_their_tables_not_their_aliases(db: Database) -> None:
    person = models.Employee.__table__.alias()
    inner = select(models.DailyScore.employee_id).subquery()
    statement = select(person.c.id).join(inner, inner.c.employee_id == person.c.id)

    with collect() as reads:
        await db.read(lambda session: session.execute(statement))

    assert reads.tags == {"employees@*", "daily_scores@*"}


async def test_a_body_longer_than_it_declared_is_refused(resources: Resources) -> None:
    """No server in front passes that on, but the app does not trust it either: 413, and
    nothing of the body past its declared length is read."""
    app = create_app(resources, clock=lambda: NOW)
    body = json.dumps({"query": NAME, "variables": {"code": "C1"}}).encode()
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"content-type", b"application/json"), (b"content-length", b"10")]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }  # fmt: skip
    await app(scope, receive, send)  # type: ignore[arg-type]

    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["errors"][0]["message"] == (
        "the body is longer than its Content-Length, 10"
    )


async def test_two_authorization_headers_are_refused_every_time(
    db: Database, resources: Resources
) -> None:
    """An admin's token that has expired beside an employee's valid one: the front door must
    not check one of them and the view answer for the other."""
    await helpers.employee(db, code="C1", name="Ana")
    instant = [NOW]
    app = create_app(resources, clock=lambda: instant[0])
    employee = Viewer(user_id=6, role=UserRole.EMPLOYEE, employee_id=1)
    admin = bearer(ADMIN)["Authorization"]  # valid for an hour from NOW
    staff = bearer(employee, now=NOW + timedelta(minutes=59))["Authorization"]
    both = [("authorization", admin), ("authorization", staff)]
    body = {"query": NAME, "variables": {"code": "C1"}}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        seen = [await http.post("/graphql", json=body, headers=both) for _ in range(2)]
        instant[0] = NOW + timedelta(hours=1, seconds=1)
        late = await http.post("/graphql", json=body, headers=both)

    assert [(r.status_code, r.json()) for r in (*seen, late)] == [
        (400, {"errors": [{"message": "send one Authorization header"}]})
    ] * 3
    assert CACHE_HEADER not in late.headers
