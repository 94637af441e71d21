"""A live server for websocket clients: the app on uvicorn (as ``prodhub serve`` runs it), in
the test's event loop, on a free loopback port; and a board of three employees to watch."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import uvicorn

from bench.faults.processes import free_port
from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.graphql_app import GraphQLApp
from prodhub.resources import Resources, build_resources
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
async def serving(resources: Resources, clock: Clock) -> AsyncIterator[Live]:
    """The app on uvicorn (its default websocket implementation) until the block ends."""
    app = create_app(resources, clock=clock)
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, lifespan="off", log_level="warning", log_config=None
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


@pytest.fixture
async def live(backend: Backend) -> AsyncIterator[Live]:
    async with live_app(backend) as started:
        yield started


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


@pytest.fixture
async def floor(db: Database) -> Floor:
    """Ann 30 points, Bob 20, Cid (opted out) 10 on DAY, scored."""
    team = await helpers.team(db, name="Alpha")
    role = await helpers.role(db, key="pick", points_per_item=1.0)
    people = {
        "Ann": await helpers.employee(db, name="Ann", team_id=team.id),
        "Bob": await helpers.employee(db, name="Bob", team_id=team.id),
        "Cid": await helpers.employee(db, name="Cid", team_id=team.id, leaderboard_opt_out=True),
    }
    found = Floor(team, role, people)
    for name, items in (("Ann", 30), ("Bob", 20), ("Cid", 10)):
        await found.scan(db, name, items)
    await helpers.refresh_days(db, DAY, now=NOW)
    return found


async def refresh(db: Database) -> None:
    """The day's refresh, as the job runs it."""
    await helpers.refresh_days(db, DAY, now=NOW)
