"""Running a service for a root field or a mutation that needs nothing but a session (and,
for a change, the viewer as its actor): one helper each, instead of a resolver function per
service that only opens the session and calls it.

A resolver of its own is for more than that: arguments to check, permissions beyond a
permission class, several services or jobs to orchestrate (``resolvers/<domain>.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from resolvers.context import Context
from resolvers.pagination import Page, forward_page, page_of
from services.keyset import Keyset

T = TypeVar("T")
M = TypeVar("M")


async def read(ctx: Context, query: Callable[..., Awaitable[T]], /, **arguments: Any) -> T:
    """``query(session=…, **arguments)`` on a read session."""
    return await ctx.db.read(lambda session: query(session=session, **arguments))


async def listed(
    ctx: Context, query: Callable[..., Awaitable[Sequence[M]]], model: type[M]
) -> Sequence[M]:
    """Every row ``query(session=…)`` lists, primed into the request's loader of ``model``
    by id, so that a field naming one of them reads no row again."""
    rows = await read(ctx, query)
    ctx.loaders.by_id(model).prime_rows(rows)
    return rows


async def page(
    ctx: Context,
    order: Keyset,
    query: Callable[..., Awaitable[Sequence[M]]],
    *,
    first: int | None,
    after: str | None,
    prime: type[M] | None = None,
    **arguments: Any,
) -> Page[M]:
    """A page of ``query(session=…, limit=…, after=…, **arguments)`` in ``order`` (rows
    primed into the loader of ``prime`` by id, when given)."""
    request = forward_page(ctx, order, first, after)
    rows = await read(ctx, query, limit=request.limit + 1, after=request.after, **arguments)
    if prime is not None:
        ctx.loaders.by_id(prime).prime_rows(rows)
    return page_of(ctx, order, request, rows)


async def change(ctx: Context, write: Callable[..., Awaitable[T]], /, **arguments: Any) -> T:
    """``write(session=…, actor=<the viewer>, **arguments)`` in one transaction."""
    return await ctx.db.write(lambda session: write(session=session, actor=ctx.viewer, **arguments))
