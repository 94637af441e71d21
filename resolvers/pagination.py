"""Relay page arguments and pages: page-size limits, and cursors from ``services.keyset``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from resolvers.context import Context
from services.errors import BadInput
from services.keyset import Keyset

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    after: tuple[Any, ...] | None  # the keyset values of the row to continue after


@dataclass(frozen=True, slots=True)
class Page(Generic[R]):
    rows: Sequence[tuple[str, R]]  # (cursor, row)
    has_next: bool
    has_previous: bool


def forward_page(ctx: Context, keyset: Keyset, first: int | None, after: str | None) -> PageRequest:
    if first is None:
        first = DEFAULT_PAGE_SIZE
    if not 0 <= first <= MAX_PAGE_SIZE:
        raise BadInput(f"`first` must be between 0 and {MAX_PAGE_SIZE}, got {first}")
    values = None if after is None else keyset.decode(after, secret=ctx.cursor_secret)
    return PageRequest(limit=first, after=values)


def page_of(ctx: Context, keyset: Keyset, request: PageRequest, rows: Sequence[R]) -> Page[R]:
    """The page of ``rows``, fetched with ``limit + 1`` to learn whether more follow."""
    shown = rows[: request.limit]
    return Page(
        rows=[(keyset.cursor(row, secret=ctx.cursor_secret), row) for row in shown],
        has_next=len(rows) > request.limit,
        has_previous=request.after is not None,
    )
