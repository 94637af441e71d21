"""Alias and token limits reject abusive documents before a single statement runs."""

from __future__ import annotations

from schema.build import MAX_ALIASES, MAX_TOKENS
from tests.helpers import GraphQLClient, StatementCounter


async def test_too_many_aliases_are_rejected(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    aliases = " ".join(f"t{i}: teams {{ key }}" for i in range(MAX_ALIASES + 1))

    statements.counting = True
    body = await gql.execute("{ " + aliases + " }")
    statements.counting = False

    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        f"{MAX_ALIASES + 1} aliases found. Allowed: {MAX_ALIASES}"
    ]
    assert statements.count == 0


async def test_too_many_tokens_are_rejected(
    gql: GraphQLClient, statements: StatementCounter
) -> None:
    fields = " ".join(["key"] * MAX_TOKENS)

    statements.counting = True
    body = await gql.execute("{ teams { " + fields + " } }")
    statements.counting = False

    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [
        f"Syntax Error: Document contains more than {MAX_TOKENS} tokens. Parsing aborted."
    ]
    assert statements.count == 0
