"""The executable schema, with its limits and error masking."""

from __future__ import annotations

import logging
from collections.abc import Callable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.infra.document_cache import DocumentCache, DocumentStore
from schema.infra.errors import PublicErrors
from schema.infra.limits import CostLimit
from schema.infra.relay import shown
from schema.infra.scalars import SCALARS
from schema.mutation import Mutation
from schema.mutations.record_activities import install_fast_path
from schema.nodes import NODE_KINDS
from schema.query import Query
from services.errors import UserError

log = logging.getLogger(__name__)

MAX_TOKENS = 2000


def build_schema(
    *, production: bool = False, documents: DocumentStore | None = None
) -> strawberry.Schema:
    """The schema; ``documents`` keeps parsed documents (the HTTP view shares it) and refuses,
    as it parses them, those over the limits of ``schema.infra.limits.document`` (depth, aliases,
    expansion, directives) before validation or anything else reads them."""
    documents = documents or DocumentStore()
    # Factories, not instances: each request gets fresh extension state.
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        CostLimit,
        PublicErrors,
        lambda: DocumentCache(documents),
    ]
    if production:
        extensions.append(DisableIntrospection)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        types=[kind.node_type for kind in NODE_KINDS],
        extensions=extensions,  # type: ignore[arg-type]
        scalar_overrides=SCALARS,  # type: ignore[arg-type]
        # In production, an error never hints at field names introspection would have shown.
        config=StrawberryConfig(disable_field_suggestions=production),
    )
    install_fast_path(schema._schema)
    return schema


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Expected failures are logged in one line; anything else with its traceback."""
        unexpected = []
        for error in errors:
            if error.path is None or isinstance(error.original_error, UserError):
                log.info("refused: %s", shown(error.message, 200))
            else:
                unexpected.append(error)
        super().process_errors(unexpected, execution_context)
