"""Relay page arguments: page-size limits and opaque keyset cursors."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from resolvers.errors import BadInputError

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    after: list[Any] | None


def forward_page(first: int | None, after: str | None, *, cursor_kind: str) -> Page:
    if first is None:
        first = DEFAULT_PAGE_SIZE
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise BadInputError(f"`first` must be between 0 and {MAX_PAGE_SIZE}, got {first}")
    return Page(limit=first, after=None if after is None else decode_cursor(after, cursor_kind))


def encode_cursor(kind: str, values: list[Any]) -> str:
    raw = json.dumps([kind, *values], separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> list[Any]:
    """The keyset values of a cursor made by ``encode_cursor`` for the same kind of list."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = None
    if not isinstance(decoded, list) or not decoded or decoded[0] != kind:
        raise BadInputError(f"malformed cursor {cursor!r}")
    return decoded[1:]
