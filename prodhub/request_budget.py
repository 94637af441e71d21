"""How long a request's work on the server may take, in all.

Every step of a request that may wait for the database spends from one budget, kept in the
request's scope: checking its credentials (an API key's row, users' stamps), then running its
operation. So a request is answered within the budget however its time is split, and a step
that comes after a slow one gets only what is left. Time spent waiting for the client (its
body) is not counted: that has bounds of its own (``prodhub.http_guard``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.types import Scope

BUDGET = "prodhub.budget"  # the scope key of the request's budget


class Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds  # the whole budget
        self.left = seconds

    @asynccontextmanager
    async def spend(self) -> AsyncIterator[None]:
        """Run the block within what is left (``TimeoutError`` when it runs out, the block
        cancelled); the time it took is spent."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            async with asyncio.timeout(max(0.0, self.left)):
                yield
        finally:
            self.left -= loop.time() - started


def budget_of(scope: Scope, seconds: float) -> Budget:
    """The request's budget: ``seconds`` in all, from the first step that asks for it."""
    budget = scope.get(BUDGET)
    if not isinstance(budget, Budget):
        budget = scope[BUDGET] = Budget(seconds)
    return budget
