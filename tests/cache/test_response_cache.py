"""Whole responses are served from the cache until a write commits, on memory and on Redis."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import update

from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.graphql_requests import CACHE_HEADER
from prodhub.resources import build_resources
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, StatementCounter, bearer

NAME = "query Name($code: String!) { employees(search: $code) { edges { node { name } } } }"


async def post(client: httpx.AsyncClient, query: str, **variables: Any) -> httpx.Response:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=bearer(ADMIN)
    )
    assert response.status_code == 200, response.text
    return response


def names(response: httpx.Response) -> list[str]:
    edges = response.json()["data"]["employees"]["edges"]
    return [edge["node"]["name"] for edge in edges]


async def test_a_repeated_query_is_answered_without_sql(
    db: Database, client: httpx.AsyncClient, statements: StatementCounter
) -> None:
    await helpers.employee(db, code="C1", name="Ana")
    statements.counting = True

    first = await post(client, NAME, code="C1")
    after_first = statements.count
    second = await post(client, NAME, code="C1")

    assert (first.headers[CACHE_HEADER], second.headers[CACHE_HEADER]) == ("miss", "hit")
    assert after_first == 1  # the employees page
    assert statements.count == after_first
    assert (
        second.json()
        == first.json()
        == {"data": {"employees": {"edges": [{"node": {"name": "Ana"}}]}}}
    )


async def test_other_variables_are_another_entry(db: Database, client: httpx.AsyncClient) -> None:
    await helpers.employee(db, code="C1", name="Ana")
    await helpers.employee(db, code="C2", name="Ben")

    ana = await post(client, NAME, code="C1")
    ben = await post(client, NAME, code="C2")

    assert (ana.headers[CACHE_HEADER], ben.headers[CACHE_HEADER]) == ("miss", "miss")
    assert (names(ana), names(ben)) == (["Ana"], ["Ben"])


async def test_a_committed_write_drops_cached_responses(
    db: Database, client: httpx.AsyncClient
) -> None:
    ana = await helpers.employee(db, code="C1", name="Ana")
    await post(client, NAME, code="C1")

    async with db.session() as session, session.begin():
        await session.execute(
            update(models.Employee).where(models.Employee.id == ana.id).values(name="Anna")
        )
    again = await post(client, NAME, code="C1")

    assert again.headers[CACHE_HEADER] == "miss"
    assert names(again) == ["Anna"]


async def test_a_rolled_back_write_keeps_cached_responses(
    db: Database, client: httpx.AsyncClient
) -> None:
    ana = await helpers.employee(db, code="C1", name="Ana")
    await post(client, NAME, code="C1")

    async with db.session() as session:
        await session.execute(
            update(models.Employee).where(models.Employee.id == ana.id).values(name="Anna")
        )
        await session.rollback()
    again = await post(client, NAME, code="C1")

    assert again.headers[CACHE_HEADER] == "hit"
    assert names(again) == ["Ana"]


async def test_errors_are_not_cached(client: httpx.AsyncClient) -> None:
    query = 'query { employee(id: "not-a-global-id") { name } }'

    first = await post(client, query)
    second = await post(client, query)

    assert (first.headers[CACHE_HEADER], second.headers[CACHE_HEADER]) == ("miss", "miss")
    assert second.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_identical_concurrent_queries_run_once(
    db: Database, client: httpx.AsyncClient, statements: StatementCounter
) -> None:
    await helpers.employee(db, code="C1", name="Ana")
    statements.counting = True

    responses = await asyncio.gather(*(post(client, NAME, code="C1") for _ in range(3)))

    assert sorted(r.headers[CACHE_HEADER] for r in responses) == ["hit", "hit", "miss"]
    assert [names(r) for r in responses] == [["Ana"]] * 3
    assert statements.count == 1


async def test_no_cache_when_the_ttl_is_zero(
    backend: Backend, db: Database, statements: StatementCounter
) -> None:
    await helpers.employee(db, code="C1", name="Ana")
    settings = backend.settings.model_copy(update={"cache_ttl_seconds": 0})
    resources = build_resources(settings, db=db)
    statements.counting = True

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(resources, clock=lambda: NOW)),
        base_url="http://test",
    ) as client:
        first = await post(client, NAME, code="C1")
        second = await post(client, NAME, code="C1")
    await resources.aclose()

    assert CACHE_HEADER not in first.headers
    assert CACHE_HEADER not in second.headers
    assert statements.count == 2


async def test_an_unreachable_redis_degrades_to_no_cache(
    backend: Backend, db: Database, unused_tcp_port: int
) -> None:
    await helpers.employee(db, code="C1", name="Ana")
    settings = backend.settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{unused_tcp_port}/0"}
    )
    resources = build_resources(settings, db=db)

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(resources, clock=lambda: NOW)),
        base_url="http://test",
    ) as client:
        response = await post(client, NAME, code="C1")
        await helpers.employee(db, code="C2", name="Ben")  # invalidation fails, quietly
    await resources.aclose()

    assert CACHE_HEADER not in response.headers
    assert names(response) == ["Ana"]
