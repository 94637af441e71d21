"""``schema.graphql`` is committed and must match the code."""

from __future__ import annotations

from pathlib import Path

from schema.build import build_schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_code() -> None:
    expected = build_schema().as_str() + "\n"

    assert SCHEMA_FILE.read_text(encoding="utf-8") == expected, (
        "schema.graphql is stale: run `prodhub export-schema`"
    )


def test_production_schema_refuses_introspection() -> None:
    result = build_schema(production=True).execute_sync("{ __schema { types { name } } }")

    assert result.data is None
    assert result.errors is not None
    assert result.errors[0].message == (
        "GraphQL introspection has been disabled, but the requested query contained "
        "the field '__schema'."
    )
