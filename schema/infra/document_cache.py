"""Parsed and validated documents, kept by the SHA-256 of their text and bounded in bytes.

Dashboards and phones send the same few documents again and again; parsing and validating
them once is worth keeping. Strawberry's ``ParserCache`` and ``ValidationCache`` bound only
the number of entries, keyed by the text itself, so a client cycling large documents could
make them hold hundreds of megabytes. Here one LRU (``cachetools``) holds both results, an
entry's size counted as a multiple of its document's length, so the cache stays under
``MAX_BYTES`` whatever clients send. The HTTP layer reads the same entries (to learn a
document's operations and its cache policy) instead of parsing again.

A document is checked against ``schema.infra.limits.document`` as soon as it is parsed: a refused
one keeps those errors as its validation's, and neither graphql-core's validation nor the
cache policy's walk ever reads it. Validation stops after ``MAX_VALIDATION_ERRORS``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache
from graphql import DocumentNode, GraphQLError, GraphQLSchema, parse, validate
from strawberry.extensions import SchemaExtension

from cache import Policy
from schema.infra.cache_control import policy_of
from schema.infra.limits import MAX_VALIDATION_ERRORS, refusal

MAX_BYTES = 32 << 20
BYTES_PER_CHARACTER = 50  # a parsed document (nodes, tokens, locations) against its text


@dataclass
class Entry:
    document: DocumentNode
    size: int
    errors: list[GraphQLError] | None = None  # None: not validated yet
    # Each operation's cache policy (``schema.infra.cache_control``), read once.
    policies: dict[str | None, Policy | None] = field(default_factory=dict)

    def policy(self, schema: GraphQLSchema, operation_name: str | None) -> Policy | None:
        """None for a document known to fail (refused, or invalid): its answer is an error,
        which is never kept."""
        if self.errors:
            return None
        if operation_name not in self.policies:
            self.policies[operation_name] = policy_of(schema, self.document, operation_name)
        return self.policies[operation_name]


class DocumentStore:
    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self._entries: LRUCache[bytes, Entry] = LRUCache(
            maxsize=max_bytes, getsizeof=lambda entry: entry.size
        )

    def entry(self, query: str, **parse_options: Any) -> Entry:
        """The parsed document (a syntax error raises ``GraphQLError`` and is not kept)."""
        key = hashlib.sha256(query.encode("utf-8", "surrogatepass")).digest()
        found = self._entries.get(key)
        if found is None:
            document = parse(query, **parse_options)
            found = Entry(document, max(1, len(query)) * BYTES_PER_CHARACTER)
            found.errors = refusal(document) or None
            if found.size <= self._entries.maxsize:
                self._entries[key] = found
        return found

    @property
    def bytes_held(self) -> float:
        return self._entries.currsize


class DocumentCache(SchemaExtension):
    def __init__(self, store: DocumentStore) -> None:
        self.store = store
        self.entry: Entry | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None and context.graphql_document is None:
            self.entry = self.store.entry(context.query, **context.parse_options)
            context.graphql_document = self.entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if self.entry is not None and context.graphql_document is self.entry.document:
            if self.entry.errors is None:
                self.entry.errors = validate(
                    context.schema._schema,
                    self.entry.document,
                    context.validation_rules,
                    max_errors=MAX_VALIDATION_ERRORS,
                )
            context.pre_execution_errors = self.entry.errors
        yield
