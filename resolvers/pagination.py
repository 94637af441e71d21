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
    # Read backwards (``last``/``before``): rows come in reverse order, ``after`` is the
    # ``before`` cursor's row, and ``page_of`` turns them back.
    backward: bool = False


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


def page_request(
    ctx: Context,
    keyset: Keyset,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> PageRequest:
    """Relay's arguments: ``first``/``after`` forwards (the default), or ``last``/``before``
    backwards; not both directions at once."""
    if last is None and before is None:
        return forward_page(ctx, keyset, first, after)
    if first is not None or after is not None:
        raise BadInput("page forwards (`first`, `after`) or backwards (`last`, `before`), not both")
    request = forward_page(ctx, keyset, last, before)
    return PageRequest(limit=request.limit, after=request.after, backward=True)


def page_of(ctx: Context, keyset: Keyset, request: PageRequest, rows: Sequence[R]) -> Page[R]:
    """The page of ``rows``, fetched with ``limit + 1`` to learn whether more follow (in
    reverse order when ``request.backward``)."""
    shown = rows[: request.limit]
    return cursored(
        ctx, keyset, request, shown[::-1] if request.backward else shown, len(rows) > request.limit
    )


def cursored(
    ctx: Context, keyset: Keyset, request: PageRequest, shown: Sequence[R], more: bool
) -> Page[R]:
    """A page of ``shown`` rows (in the list's order), each with its cursor; ``more``: rows
    follow in the direction read."""
    cursor_given = request.after is not None
    return Page(
        rows=[(keyset.cursor(row, secret=ctx.cursor_secret), row) for row in shown],
        has_next=cursor_given if request.backward else more,
        has_previous=more if request.backward else cursor_given,
    )
