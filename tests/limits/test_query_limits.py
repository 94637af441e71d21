"""Every limit at its boundary: the last allowed document runs, the first refused one is
refused before a single statement."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from schema.build import MAX_TOKENS, build_schema
from schema.infra.limits import (
    MAX_ALIASES,
    MAX_COST,
    MAX_DEPTH,
    MAX_INTROSPECTION_DEPTH,
    operation_cost,
)
from tests.helpers import GraphQLClient, StatementCounter


async def refused(
    gql: GraphQLClient, statements: StatementCounter, query: str, **variables: Any
) -> list[Any]:
    statements.counting = True
    body = await gql.execute(query, **variables)
    statements.counting = False
    assert body["data"] is None
    assert statements.count == 0
    return [(e["message"], e["extensions"]["code"]) for e in body["errors"]]


async def test_aliases(gql: GraphQLClient, statements: StatementCounter) -> None:
    def aliased(n: int) -> str:
        return "{ " + " ".join(f"t{i}: viewer {{ email }}" for i in range(n)) + " }"

    allowed = await gql.data(aliased(MAX_ALIASES))

    assert len(allowed) == 30
    assert await refused(gql, statements, aliased(MAX_ALIASES + 1)) == [
        ("31 aliases found. Allowed: 30", "GRAPHQL_VALIDATION_FAILED")
    ]


async def test_tokens(gql: GraphQLClient, statements: StatementCounter) -> None:
    def fields(n: int) -> str:  # 5 tokens around n fields
        return "{ viewer { " + " ".join(["email"] * n) + " } }"

    # At the limit the document is parsed (and then refused before validation: 1,995 copies
    # of one field); one token more is not even parsed.
    assert await refused(gql, statements, fields(MAX_TOKENS - 5)) == [
        ("the field 'email' is selected 1,995 times in one selection set, more than the 30 "
         "allowed", "FIELD_REPEAT_LIMIT_EXCEEDED")
    ]  # fmt: skip
    assert await refused(gql, statements, fields(MAX_TOKENS - 4)) == [
        ("Syntax Error: Document contains more than 2000 tokens. Parsing aborted.",
         "GRAPHQL_PARSE_FAILED")
    ]  # fmt: skip


def nested(levels: int, leaf: str = "name") -> str:
    return "{ " + "a { " * (levels) + leaf + " }" * levels + " }"


async def test_depth(gql: GraphQLClient, statements: StatementCounter) -> None:
    at_limit = await gql.execute(nested(MAX_DEPTH))

    assert [e["message"] for e in at_limit["errors"]] == ["Cannot query field 'a' on type 'Query'."]
    assert ("'anonymous' exceeds maximum operation depth of 10", "GRAPHQL_VALIDATION_FAILED") in (
        await refused(gql, statements, nested(MAX_DEPTH + 1))
    )


async def test_introspection_depth(gql: GraphQLClient, statements: StatementCounter) -> None:
    def deep(levels: int) -> str:  # __type, fields, type, then ofType: levels in all
        inner = "ofType { " * (levels - 3) + "name" + " }" * (levels - 3)
        return '{ __type(name: "Employee") { fields { type { ' + inner + " } } } }"

    allowed = await gql.data(deep(MAX_INTROSPECTION_DEPTH))

    assert allowed["__type"]["fields"][0]["type"] == {"ofType": {"ofType": None}}  # ID!
    assert await refused(gql, statements, deep(MAX_INTROSPECTION_DEPTH + 1)) == [
        ("the operation nests 16 levels deep, more than the 15 allowed", "DEPTH_LIMIT_EXCEEDED")
    ]


# 100 employees (400 fields with their edge, node and 5 scalars = 800), then 99 + 24 activities
# each (4 fields per activity: 49,200): exactly the budget.
AT_BUDGET = """{ employees(first: 100) { edges { node { name code email active id
  a: activities(first: 99) { edges { node { itemsCount } } }
  b: activities(first: 24) { edges { node { itemsCount } } } } } } }"""


async def test_cost(gql: GraphQLClient, statements: StatementCounter) -> None:
    allowed = await gql.data(AT_BUDGET)

    assert allowed == {"employees": {"edges": []}}
    assert MAX_COST == 50_000
    assert await refused(gql, statements, AT_BUDGET[:-1] + " viewer { authenticated } }") == [
        ("the operation may return about 50,002 fields, more than the 50,000 allowed: "
         "ask for fewer items per page or fewer fields", "COST_LIMIT_EXCEEDED")
    ]  # fmt: skip


@pytest.mark.parametrize("first", ["100", "$n"], ids=["literal", "variable"])
async def test_the_probe_query_is_refused_by_cost(
    gql: GraphQLClient, statements: StatementCounter, first: str
) -> None:
    # 1.9 KB, within depth, alias and token limits: built a 47 MB response in 31 s before.
    page = f"employees(first: {first}) {{ edges {{ node {{ activities(first: {first}) {{ edges {{ node {{ itemsCount }} }} }} }} }} }}"
    declared = "query($n: Int) " if first.startswith("$") else ""  # the variable: n = 100
    query = declared + "{ " + " ".join(f"a{i}: {page}" for i in range(30)) + " }"

    assert await refused(gql, statements, query, n=100) == [
        ("the operation may return about 1,209,000 fields, more than the 50,000 allowed: "
         "ask for fewer items per page or fewer fields", "COST_LIMIT_EXCEEDED")
    ]  # fmt: skip


def ten_pages(first: str, *, fields: str = "") -> str:
    page = f"employees(first: {first}) {{ edges {{ node {{ {fields} activities(first: {first}) {{ edges {{ node {{ itemsCount }} }} }} }} }} }}"
    return " ".join(f"a{i}: {page}" for i in range(10))


def too_costly(cost: int) -> list[tuple[str, str]]:
    return [
        (f"the operation may return about {cost:,} fields, more than the 50,000 allowed: "
         "ask for fewer items per page or fewer fields", "COST_LIMIT_EXCEEDED")
    ]  # fmt: skip


async def test_cost_counts_the_declared_default_of_a_variable(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    # Counted as if `first` were 20 (16,800 fields), this ran: 10 x 100 employees x 100
    # activities each.
    query = "query($n: Int = 100) { " + ten_pages("$n", fields="name") + " }"

    assert await refused(gql, statements, query) == too_costly(404_000)


async def test_cost_counts_last_like_first(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    board = "leaderboard(last: 100) { edges { node { rank employee { activities(first: 100) { edges { node { itemsCount } } } } } } }"

    assert await refused(gql, statements, f"{{ a: {board} b: {board} }}") == too_costly(81_000)


@pytest.mark.parametrize(
    "variables", [{}, {"n": "100"}, {"n": True}], ids=["no-value", "a-string", "a-boolean"]
)
async def test_cost_counts_a_page_it_cannot_read_as_the_largest(
    gql: GraphQLClient, statements: StatementCounter, variables: dict[str, Any]
) -> None:
    # A variable without a value or a default, or whose value is not a number: 100 a page.
    query = "query($n: Int) { " + ten_pages("$n") + " }"

    assert await refused(gql, statements, query, **variables) == too_costly(403_000)


def test_cost_counts_an_unexpected_literal_as_the_largest_page() -> None:
    # Validation refuses such a document before its cost is asked; the estimate alone.
    schema = build_schema()._schema
    counted = {
        literal: operation_cost(schema, parse("{ " + ten_pages(literal) + " }"), None, {})
        for literal in ['"5"', "5.0", "FIVE", "[5]", "null", "5"]
    }

    assert counted == {
        '"5"': 403_000, "5.0": 403_000, "FIVE": 403_000, "[5]": 403_000,
        "null": 16_600,  # the resolvers' default page (20), as if not given
        "5": 10 * 5 * (3 + 5 * 4),
    }  # fmt: skip
