"""Documents built to make the server work far more than their size: each is refused at
once, with one typed error or a handful, while the server keeps answering.

They are sent anonymously to the production app (no token is needed to be validated), whose
response cache reads an operation's cache policy before the GraphQL pipeline runs.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from prodhub.app import create_app
from prodhub.resources import build_resources
from tests.helpers import NOW, Backend

FAST = 0.1  # seconds: a refusal costs the server a parse and a walk over the document


@pytest.fixture
async def production(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    settings = backend.settings.model_copy(
        update={"env": "production", "secret_key": SecretStr("a-real-secret-for-bomb-tests-32b")}
    )
    resources = build_resources(settings, db=backend.db)
    app = create_app(resources, clock=lambda: NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        assert (await http.get("/healthz")).status_code == 200  # the app is up before timing
        yield http
    await resources.aclose()


def doubling(n: int, body: str, leaf: str = "__typename") -> str:
    """``{ ...F0 }``, each fragment spreading the next twice inside ``body``: 2**n copies of
    ``leaf`` from a document of a few hundred bytes."""
    fragments = [
        f"fragment F{i} on Query {{ {body.format(f'...F{i + 1} ...F{i + 1}')} }}" for i in range(n)
    ]
    return " ".join(["{ ...F0 }", *fragments, f"fragment F{n} on Query {{ {leaf} }}"])


def selections(n: int, per_level: int, leaf: int) -> int:
    """How many selections ``doubling(n, ...)`` expands to: the operation's spread, then
    ``per_level`` selections besides the two spreads in each fragment, ``leaf`` in the last."""
    count = leaf
    for _ in range(n):
        count = per_level + 2 + 2 * count
    return 1 + count


async def timed(http: httpx.AsyncClient, query: str) -> tuple[list[tuple[str, str]], float]:
    """The errors of ``query`` (which must have no data) and how long the request took, with a
    ``/healthz`` sent meanwhile: answered within ``FAST`` too, as the event loop stays free."""

    async def healthz() -> float:
        await asyncio.sleep(0)  # sent once the document is on its way
        started = time.perf_counter()
        assert (await http.get("/healthz")).status_code == 200
        return time.perf_counter() - started

    async def graphql() -> tuple[dict[str, Any], float]:
        started = time.perf_counter()
        response = await http.post("/graphql", json={"query": query})
        assert response.status_code == 200, response.text
        return response.json(), time.perf_counter() - started

    gc.collect()  # a collection of the test process's heap is no part of the answer's time
    gc.disable()
    try:
        (body, took), health = await asyncio.gather(graphql(), healthz())
    finally:
        gc.enable()
    assert body["data"] is None
    assert health < FAST
    return [(e["message"], e["extensions"]["code"]) for e in body["errors"]], took


def too_many_selections(count: int) -> tuple[str, str]:
    return (
        f"the document expands to {count:,} selections through its fragments, more than "
        "the 5,000 allowed: spread fewer fragments",
        "SELECTION_LIMIT_EXCEEDED",
    )


@pytest.mark.parametrize("n", [20, 30, 60])
async def test_a_fragment_bomb_is_refused_at_once(production: httpx.AsyncClient, n: int) -> None:
    # n = 20 is 1,252 characters; each level doubled the time validation took (6.8 s at 20).
    errors, took = await timed(production, doubling(n, "{}"))

    assert errors == [too_many_selections(selections(n, 0, 1))]
    assert took < FAST


@pytest.mark.parametrize("n", [20, 30, 60])
async def test_depth_reached_through_nested_spreads(production: httpx.AsyncClient, n: int) -> None:
    errors, took = await timed(production, doubling(n, "viewer {{ {} }}", leaf="email"))

    assert errors == [
        ("'anonymous' exceeds maximum operation depth of 10", "GRAPHQL_VALIDATION_FAILED"),
        (f"the operation nests {n} levels deep, more than the 15 allowed", "DEPTH_LIMIT_EXCEEDED"),
        too_many_selections(selections(n, 1, 1)),
    ]
    assert took < FAST


async def test_depth_through_a_chain_of_spreads_is_the_depth_limit_alone(
    production: httpx.AsyncClient,
) -> None:
    chain = " ".join(f"fragment C{i} on Viewer {{ viewer {{ ...C{i + 1} }} }}" for i in range(10))

    errors, took = await timed(
        production, "{ viewer { ...C0 } } " + chain + " fragment C10 on Viewer { email }"
    )

    assert errors == [
        ("'anonymous' exceeds maximum operation depth of 10", "GRAPHQL_VALIDATION_FAILED")
    ]
    assert took < FAST


@pytest.mark.parametrize("n", [20, 30, 60])
async def test_aliases_reached_through_nested_spreads(
    production: httpx.AsyncClient, n: int
) -> None:
    errors, took = await timed(production, doubling(n, "{}", leaf="a: __typename"))

    assert errors == [
        (f"{2**n} aliases found. Allowed: 30", "GRAPHQL_VALIDATION_FAILED"),
        too_many_selections(selections(n, 0, 1)),
    ]
    assert took < FAST


async def test_aliases_through_a_few_spreads_are_the_alias_limit_alone(
    production: httpx.AsyncClient,
) -> None:
    errors, took = await timed(production, doubling(5, "{}", leaf="a: __typename"))  # 32

    assert errors == [("32 aliases found. Allowed: 30", "GRAPHQL_VALIDATION_FAILED")]
    assert took < FAST


async def test_a_field_repeated_through_spreads_is_refused(production: httpx.AsyncClient) -> None:
    # 6 levels: 64 copies of `__typename` in the root's selections, a few hundred selections.
    errors, took = await timed(production, doubling(6, "{}"))

    assert errors == [
        (
            "the field '__typename' is selected 64 times in one selection set, more than "
            "the 30 allowed",
            "FIELD_REPEAT_LIMIT_EXCEEDED",
        )
    ]
    assert took < FAST


async def test_a_fragment_cycle_is_graphql_cores_error(production: httpx.AsyncClient) -> None:
    cycle = "{ ...A } fragment A on Query { ...B __typename } fragment B on Query { ...A }"

    errors, _ = await timed(production, cycle)

    assert errors == [
        ("Cannot spread fragment 'A' within itself via 'B'.", "GRAPHQL_VALIDATION_FAILED")
    ]


# --- graphql-cop's denial-of-service checks, as it sends them -------------------------------


async def test_directive_overloading_is_one_error(production: httpx.AsyncClient) -> None:
    # graphql-cop reports the server vulnerable when exactly 10 errors come back.
    errors, took = await timed(
        production, "query cop { __typename @aa@aa@aa@aa@aa@aa@aa@aa@aa@aa }"
    )

    assert errors == [
        (
            "the directive @aa is repeated on one location: a directive may appear once "
            "where it is used",
            "DIRECTIVE_LIMIT_EXCEEDED",
        )
    ]
    assert took < FAST


async def test_directives_are_bounded_per_location_and_in_all(
    production: httpx.AsyncClient,
) -> None:
    four = "{ __typename @a @b @c @d }"
    many = "{ " + " ".join(f"t{i}: __typename @skip(if: false)" for i in range(26)) + " }"
    many = many[:-1] + " viewer { " + " ".join(
        f"e{i}: email @skip(if: false)" for i in range(25)
    ) + " } }"  # fmt: skip

    assert (await timed(production, four))[0] == [
        (
            "a location carries 4 directives, more than the 3 allowed",
            "DIRECTIVE_LIMIT_EXCEEDED",
        )
    ]
    assert (await timed(production, many))[0] == [
        (
            "the document carries 51 directives, more than the 50 allowed",
            "DIRECTIVE_LIMIT_EXCEEDED",
        )
    ]


async def test_validation_errors_are_capped(production: httpx.AsyncClient) -> None:
    errors, _ = await timed(production, "{ " + " ".join(f"f{i}" for i in range(40)) + " }")

    assert errors == [
        *[(f"Cannot query field 'f{i}' on type 'Query'.", "GRAPHQL_VALIDATION_FAILED")
          for i in range(4)],
        ("Too many validation errors, error limit reached. Validation aborted.",
         "GRAPHQL_VALIDATION_FAILED"),
    ]  # fmt: skip


async def test_field_duplication_is_refused(production: httpx.AsyncClient) -> None:
    errors, took = await timed(production, "query cop { " + "__typename \n" * 500 + "} ")

    assert errors == [
        (
            "the field '__typename' is selected 500 times in one selection set, more than "
            "the 30 allowed",
            "FIELD_REPEAT_LIMIT_EXCEEDED",
        )
    ]
    assert took < FAST


async def test_alias_overloading_is_refused(production: httpx.AsyncClient) -> None:
    aliases = "".join(f"alias{i}:__typename \n" for i in range(101))

    errors, _ = await timed(production, "query cop { " + aliases + " }")

    assert errors == [("101 aliases found. Allowed: 30", "GRAPHQL_VALIDATION_FAILED")]


async def test_circular_introspection_is_refused(production: httpx.AsyncClient) -> None:
    query = (
        "query cop { __schema { types { fields { type { fields { type { fields { type { "
        "fields { type { name } } } } } } } } } } }"
    )

    errors, _ = await timed(production, query)

    # graphql-cop fires when `__schema.types` comes back; validation stops after 4 errors.
    disabled = "GraphQL introspection has been disabled, but the requested query contained "
    assert errors == [
        ("Maximum introspection depth exceeded", "GRAPHQL_VALIDATION_FAILED"),
        (disabled + "the field '__schema'.", "GRAPHQL_VALIDATION_FAILED"),
        (disabled + "the field 'types'.", "GRAPHQL_VALIDATION_FAILED"),
        (disabled + "the field 'fields'.", "GRAPHQL_VALIDATION_FAILED"),
        ("Too many validation errors, error limit reached. Validation aborted.",
         "GRAPHQL_VALIDATION_FAILED"),
    ]  # fmt: skip


async def test_batches_are_refused(production: httpx.AsyncClient) -> None:
    # graphql-cop fires when a JSON array of 10 queries is answered with 10 results.
    batch = [{"query": "query cop { __typename }"}] * 10

    response = await production.post("/graphql", json=batch)

    assert (response.status_code, response.text) == (400, "the request body must be a JSON object")


async def test_a_fragment_bomb_no_operation_spreads_is_refused(
    production: httpx.AsyncClient,
) -> None:
    unused = doubling(30, "{}").replace("{ ...F0 }", "{ __typename }")

    errors, took = await timed(production, unused)

    assert errors == [too_many_selections(selections(30, 0, 1) - 1)]  # F0's, without a spread
    assert took < FAST
