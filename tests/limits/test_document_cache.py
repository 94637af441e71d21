"""Parsed documents are kept by hash and the cache never holds more bytes than its bound."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from schema.infra.document_cache import BYTES_PER_CHARACTER, DocumentStore


def test_the_same_text_is_parsed_once() -> None:
    store = DocumentStore()

    first = store.entry("{ viewer { email } }")
    again = store.entry("{ viewer { email } }")

    assert again is first


def test_the_cache_stays_within_its_bytes() -> None:
    document = "{ viewer { email } }"
    store = DocumentStore(max_bytes=3 * len(document) * BYTES_PER_CHARACTER)

    entries = [store.entry(document.replace("email", f"e{n}mail"[:5])) for n in range(10)]

    assert store.bytes_held <= 3 * len(document) * BYTES_PER_CHARACTER
    assert store.entry(entries[-1].document.loc.source.body) is entries[-1]  # type: ignore[union-attr]
    assert store.entry(entries[0].document.loc.source.body) is not entries[0]  # type: ignore[union-attr]


def test_a_syntax_error_is_raised_and_not_kept() -> None:
    store = DocumentStore()

    with pytest.raises(GraphQLError):
        store.entry("{ viewer {")

    assert store.bytes_held == 0
