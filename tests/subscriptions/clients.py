"""Websocket clients of the live server: gql's (a maintained graphql-transport-ws client), read
into a queue, and a bare protocol one for what gql hides (error frames, pings, closes)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import websockets
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

PROTOCOL = Subprotocol("graphql-transport-ws")
WAIT_SECONDS = 20.0  # what a test waits for a message that must come, at most
QUIET_SECONDS = 1.0  # how long a test watches for a message that must not come

BOARD = """
subscription Live($from: Date, $to: Date, $first: Int) {
  leaderboardUpdated(from: $from, to: $to, first: $first) {
    totalCount
    edges { node { rank pointsEarned displayName employee { name team { name } } } }
  }
}
"""


def rows(data: dict[str, Any]) -> list[tuple[int, float, str]]:
    """A page as (rank, points, shown name)."""
    page = data["leaderboardUpdated"]
    return [(e["node"]["rank"], e["node"]["pointsEarned"], e["node"]["displayName"])
            for e in page["edges"]]  # fmt: skip


class Watcher:
    """One subscription through gql, its pages read into a queue by a task of its own."""

    def __init__(self) -> None:
        self.pages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def next(self, seconds: float = WAIT_SECONDS) -> dict[str, Any]:
        async with asyncio.timeout(seconds):
            return await self.pages.get()

    async def quiet(self, seconds: float = QUIET_SECONDS) -> bool:
        """Whether nothing comes within ``seconds``."""
        await asyncio.sleep(seconds)
        return self.pages.empty()


@asynccontextmanager
async def watching(
    url: str, authorization: str, document: str = BOARD, **variables: Any
) -> AsyncIterator[Watcher]:
    transport = WebsocketsTransport(
        url=url,
        init_payload={"Authorization": authorization},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    watcher = Watcher()
    async with Client(transport=transport) as session:

        async def read() -> None:
            async for data in session.subscribe(
                GraphQLRequest(document, variable_values=variables)
            ):
                await watcher.pages.put(data)

        watcher.task = asyncio.create_task(read())
        try:
            yield watcher
        finally:
            watcher.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher.task


@asynccontextmanager
async def bare(url: str, payload: dict[str, Any] | None = None) -> AsyncIterator[ClientConnection]:
    """A connection past ``connection_ack``, speaking the protocol by hand."""
    async with websockets.connect(url, subprotocols=[PROTOCOL]) as ws:
        await send(ws, {"type": "connection_init", "payload": payload or {}})
        assert await receive(ws) == {"type": "connection_ack"}
        yield ws


async def send(ws: ClientConnection, message: dict[str, Any]) -> None:
    await ws.send(json.dumps(message))


async def receive(ws: ClientConnection, seconds: float = WAIT_SECONDS) -> dict[str, Any]:
    async with asyncio.timeout(seconds):
        found: dict[str, Any] = json.loads(await ws.recv())
        return found


async def subscribe(
    ws: ClientConnection, operation_id: str, query: str = BOARD, **variables: Any
) -> None:
    payload = {"query": query, "variables": variables}
    await send(ws, {"id": operation_id, "type": "subscribe", "payload": payload})
