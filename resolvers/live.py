"""Live leaderboards: the context of a websocket connection, and a board's pages as it changes.

A subscriber's pages are the leaderboard query's (``resolvers.leaderboard.leaderboard_page``,
on the same read path), computed once per change for every subscriber of the same board who
may see the same of it (the viewer's cache scope) and who asks the same of its entries
(``Wanted``), by the process's ``BoardFeed``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import inspect
from collections.abc import AsyncGenerator, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from cache.freshness import Freshness, requested
from loaders.registry import Loaders
from resolvers.context import Context
from resolvers.leaderboard import LeaderboardPage, Wanted, leaderboard_page
from resolvers.pagination import page_request
from services.authentication import Viewer
from services.board_feed import BoardFeed
from services.board_notices import Changed
from services.leaderboard import Board

T = TypeVar("T")
# A board's computation, like a query's execution, is stopped after this.
COMPUTE_SECONDS = 10.0


@dataclass(eq=False)
class LivePage(Generic[T]):
    """A board as its subscribers see it (``shown``), with the loaders that read it: their
    fields answer from them, for every subscriber of the group alike. Subscribers who send
    the same operation with the same variables share its execution (``executions``): they
    may see the same (one cache scope), as the response cache's hits are shared."""

    shown: T
    loaders: Loaders
    executions: dict[Hashable, asyncio.Future[Any]] = field(default_factory=dict)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LivePage) and self.shown == other.shown

    __hash__ = None  # type: ignore[assignment]


@dataclass
class LiveContext(Context):
    """A websocket connection's context: the request context, with the clock (a connection
    outlives any one ``now``), the process's live boards, and what ``connection_init`` sent."""

    clock: Callable[[], datetime] = field(default=datetime.now, repr=False)
    boards: BoardFeed[Any] | None = None
    connection_params: dict[str, Any] | None = None
    operation: Hashable | None = None  # the operation's document, name and variables
    page: LivePage[Any] | None = None  # what the operation shows now

    def for_operation(self, operation: Hashable) -> LiveContext:
        """A context of its own for one subscription: its ``now``, its loaders."""
        return dataclasses.replace(self, now=self.clock(), operation=operation)

    def show(self, page: LivePage[Any]) -> None:
        """The page the operation's next result shows, read by its loaders."""
        self.page, self.loaders = page, page.loaders

    def shared_execution(self, execute: Callable[[], Any]) -> Any:
        """The execution of the operation on the current page: the first subscriber's run,
        the others await it (``schema.infra.shared_events``)."""
        page, key = self.page, self.operation
        if page is None or key is None:
            return execute()
        found = page.executions.get(key)
        if found is None:
            result = execute()
            if not inspect.isawaitable(result):
                return result
            found = page.executions[key] = asyncio.ensure_future(result)
        return _shared(found)


async def _shared(execution: asyncio.Future[Any]) -> Any:
    return await asyncio.shield(execution)


async def live_pages(
    ctx: Context,
    board: Board,
    *,
    first: int | None,
    wanted: Wanted,
    shown: Callable[[LeaderboardPage, Viewer], T],
) -> AsyncGenerator[LivePage[T], None]:
    """The board's first page now, then again whenever a change makes it differ; the
    context shows each (``LiveContext.show``) as it is yielded."""
    if not isinstance(ctx, LiveContext) or ctx.boards is None:
        raise RuntimeError("live pages are a websocket connection's")
    live = ctx
    boards: BoardFeed[LivePage[T]] = live.boards  # type: ignore[assignment]
    # ``first`` as the query takes it (at most a page's limit), before anything is shared.
    limit = page_request(ctx, board.keyset, first=first, after=None, last=None, before=None).limit
    viewer = ctx.viewer
    key = ("leaderboard", board, limit, wanted, viewer.cache_scope)

    async def compute(changed: Changed | None) -> LivePage[T]:
        fresh = dataclasses.replace(live, now=live.clock())
        # A web request's read path; after a write, a replica only once it has that write.
        with requested(Freshness(wrote_at=changed.at if changed is not None else None)):
            async with asyncio.timeout(COMPUTE_SECONDS):
                found = await leaderboard_page(
                    fresh, board, first=limit, after=None, last=None, before=None, wanted=wanted
                )
        return LivePage(shown(found, viewer), fresh.loaders)

    def covers(changed: Changed) -> bool:
        return changed.covers(board.start, board.end)

    async with boards.subscribe(key, compute, covers) as slot:
        while True:
            page = await slot.take()
            # The page's fields answer from the loaders that read it (one set per board).
            live.show(page)
            yield page
