"""The executable schema, with its limits and error masking."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from schema.errors import PublicErrors
from schema.mutation import Mutation
from schema.nodes import NODE_KINDS
from schema.query import Query

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
CACHED_DOCUMENTS = 256


def build_schema(*, production: bool = False) -> strawberry.Schema:
    # Factories, not instances: each request gets fresh extension state.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        PublicErrors,
        # Dashboards and phones send the same few documents again and again.
        lambda: ParserCache(maxsize=CACHED_DOCUMENTS),
        lambda: ValidationCache(maxsize=CACHED_DOCUMENTS),
    ]
    if production:
        extensions.append(DisableIntrospection)
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[kind.node_type for kind in NODE_KINDS],
        extensions=extensions,  # type: ignore[arg-type]
    )
