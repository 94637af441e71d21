"""What the live-leaderboard tests share (``tests/subscriptions``): the app on uvicorn (as
``prodhub serve`` runs it) in the test's event loop, on a free loopback port; a board of three
employees to watch; and websocket clients: gql's (a maintained graphql-transport-ws client),
read into a queue, and a bare protocol one for what gql hides (error frames, pings, closes)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import uvicorn
import websockets
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from bench.faults.processes import free_port
from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.graphql_app import GraphQLApp
from prodhub.resources import Resources, build_resources
from services.board_notices import BoardNotices
from tests import helpers
from tests.helpers import NOW, Backend

DAY = date(2026, 11, 20)  # NOW's work date in Chicago


@dataclass
class Clock:
    """The app's clock: NOW, moved on by the test."""

    at: datetime = NOW

    def __call__(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> None:
        self.at += delta


@dataclass
class Live:
    url: str  # ws://…/graphql
    app: GraphQLApp
    resources: Resources
    clock: Clock = field(default_factory=Clock)


@asynccontextmanager
async def serving(
    resources: Resources, clock: Clock, *, port: int | None = None, embedded_jobs: bool = False
) -> AsyncIterator[Live]:
    """The app on uvicorn (its default websocket implementation) until the block ends; on
    ``port`` (a restart: the same address again); with ``embedded_jobs``, as ``prodhub serve``
    runs it without Redis: its lifespan starts the in-process worker and scheduler (and closes
    the resources at the end)."""
    app = create_app(resources, clock=clock, embedded_jobs=embedded_jobs)
    port = port or free_port()
    lifespan: Literal["on", "off"] = "on" if embedded_jobs else "off"
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan=lifespan, log_level="warning", log_config=None
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    graphql: GraphQLApp = app.state.graphql
    try:
        yield Live(f"ws://127.0.0.1:{port}/graphql", graphql, resources, clock)
    finally:
        server.should_exit = True
        await task
        if not embedded_jobs:  # else the lifespan did
            await graphql.aclose()


@asynccontextmanager
async def live_app(backend: Backend, **changed: Any) -> AsyncIterator[Live]:
    """A server on ``backend`` whose settings differ by ``changed``."""
    resources = build_resources(backend.settings.model_copy(update=changed), db=backend.db)
    try:
        async with serving(resources, Clock()) as live:
            yield live
    finally:
        await resources.aclose()


@dataclass
class Floor:
    """Three employees of one team and a role worth a point an item; Cid opted out."""

    team: models.Team
    role: models.Role
    people: dict[str, models.Employee]

    async def scan(self, db: Database, name: str, items: int, hour: int = 15) -> None:
        """A window of ``items`` for ``name`` on DAY (not scored until a refresh)."""
        start = helpers.utc(2026, 11, 20, hour)
        await helpers.add(db, helpers.activity(self.people[name], self.role, start, items))


async def refresh(db: Database) -> None:
    """The day's refresh, as the job runs it."""
    await helpers.refresh_days(db, DAY, now=NOW)


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


# What the floor screen (prodhub/static/board/board.js) subscribes to, as it sends it.
SCREEN = """
subscription FloorBoard($metric: LeaderboardMetric!, $first: Int!, $from: Date, $to: Date) {
  leaderboardUpdated(metric: $metric, first: $first, from: $from, to: $to) {
    from to metric totalCount
    team { name timezone }
    edges { node { rank displayName itemsProcessed pointsEarned productivity } }
  }
}
"""
SCREEN_VARIABLES = {"metric": "POINTS", "first": 10, "from": None, "to": None}


def screen_url(live_url: str, authorization: str, **fragment: str) -> str:
    """The floor screen's address on the server of ``live_url`` (its websocket), its key (and
    any other setting) in the fragment."""
    key = authorization.removeprefix("Bearer ")
    extra = "".join(f"&{name}={value}" for name, value in fragment.items())
    return (
        live_url.replace("ws://", "http://").removesuffix("/graphql") + f"/board#key={key}{extra}"
    )


async def hearing(live: Live) -> None:
    """With Redis, until this process's subscription to the notices stands (and the boards
    it recomputed then are computed)."""
    if live.resources.settings.redis_url:
        async with asyncio.timeout(10):
            await live.resources.notices.subscribed.wait()
            await live.app.boards.settled()


@contextmanager
def unheard(db: Database) -> Iterator[None]:
    """The block's writes are told to no board (a test then tells of them itself, to count
    what a board's recomputation costs alone)."""
    listeners = db._write_listeners
    notices = [
        listener for listener in listeners
        if isinstance(getattr(listener, "__self__", None), BoardNotices)
    ]  # fmt: skip
    for listener in notices:
        listeners.remove(listener)
    try:
        yield
    finally:
        listeners.extend(notices)


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


@contextmanager
def told_once(live: Live) -> Iterator[None]:
    """Only this app tells of the block's writes: apps that other tests left open on the shared
    database (with Redis, all publish on one channel) would tell each write again, and a board
    is computed once per telling."""
    listeners = live.resources.db._write_listeners
    others = [
        listener for listener in listeners
        if isinstance(getattr(listener, "__self__", None), BoardNotices)
        and getattr(listener, "__self__", None) is not live.resources.notices
    ]  # fmt: skip
    for listener in others:
        listeners.remove(listener)
    try:
        yield
    finally:
        listeners.extend(others)
