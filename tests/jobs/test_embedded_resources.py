"""A job's writes are seen on the very next read in every process. The embedded default's
worker and scheduler run on the web app's own resources (one set per process), so what the
worker writes drops the web's cached responses; a separate worker on Redis drops them through
the shared cache. Both: a score and a leaderboard read before the refresh, the recalculation
or the correction are answered afresh (``miss``) with the new numbers right after it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import dramatiq
import httpx
import pytest
from sqlalchemy import delete, select, update
from starlette.applications import Starlette

from db import models
from db.engine import Database
from prodhub import job_queue
from prodhub.app import create_app
from prodhub.jobs import build_broker
from prodhub.resources import build_resources
from tasks.registry import declare
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, GraphQLClient, bearer, gid, utc

SCORE = """query($id: ID!) { node(id: $id) { ... on Employee {
  score(date: "2026-11-20") { itemsProcessed pointsEarned } } } }"""
BOARD = """{ leaderboard(from: "2026-11-20", to: "2026-11-20") {
  edges { node { itemsProcessed pointsEarned employee { name } } } } }"""
RECORD = "mutation($i: [ActivityInput!]!) { recordActivities(input: $i) { accepted } }"
RECALCULATE = """mutation { recalculateScores(from: "2026-11-20", to: "2026-11-20") {
  enqueued errors { code } } }"""
CORRECT = """mutation($id: ID!) { correctActivity(input: {id: $id, reason: "miscount",
  itemsCount: 5}) { errors { code } } }"""
# The embedded scheduler's clock stands still on another day: what it enqueues at start (that
# day's refresh, rollover and syncs) runs first and touches nothing these reads read.
ELSEWHERE = datetime(2026, 11, 10, 20, 30, tzinfo=UTC)
STARTUP_RUNS = 5
WORKER_TABLES = (*helpers.SCORED, models.JobRun, models.Activity)


class Clock:
    """The instant the app sees; each step moves it on a minute, so each job has its tick."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def tick(self) -> str:
        self.now += timedelta(minutes=1)
        return self.now.strftime("%Y-%m-%dT%H:%M:%S.000Z")


async def runs(db: Database) -> list[tuple[str, str]]:
    async with db.read_session() as session:
        rows = await session.execute(select(models.JobRun.tick, models.JobRun.status))
        return [(tick, status) for tick, status in rows]


async def wait_for_run(db: Database, done: Callable[[list[tuple[str, str]]], bool]) -> None:
    for _ in range(300):
        if done(await runs(db)):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the job did not run: {await runs(db)}")


async def reads(gql: GraphQLClient, person: str) -> list[tuple[str, Any]]:
    """The score and the leaderboard: how the cache answered, and what."""
    found = []
    for query in (SCORE, BOARD):
        response = await gql.http.post(
            "/graphql", json={"query": query, "variables": {"id": person}}, headers=gql.headers
        )
        body = response.json()
        assert "errors" not in body, body
        found.append((response.headers["x-prodhub-cache"], body["data"]))
    return found


def numbers(items: int) -> list[tuple[str, Any]]:
    score = {"itemsProcessed": items, "pointsEarned": float(items)}
    board = {"edges": [{"node": score | {"employee": {"name": "Ann"}}}]}
    return [("miss", {"node": {"score": score}}), ("miss", {"leaderboard": board})]


def cached(answers: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [("hit", data) for _, data in answers]


async def scenario(
    db: Database, app: Starlette, clock: Clock, settle: Callable[[], Awaitable[None]] | None = None
) -> list[list[tuple[str, Any]]]:
    """Read, write, let the worker run, read again: what each read answered. ``settle`` waits
    for the worker to have finished the job whose run is recorded (a separate worker commits
    the run, then tells the cache what it wrote, then acknowledges the message)."""
    role = await helpers.role(db, key="pick", points_per_item=1.0)
    person = await helpers.employee(db, code="E1", name="Ann")
    first = helpers.activity(person, role, utc(2026, 11, 20, 15), 30, work_date=NOW.date())
    await helpers.add(db, first, helpers.score(person, NOW.date(), items_processed=0))
    employee, seen = gid("Employee", person.id), []
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        gql = GraphQLClient(http, bearer(ADMIN))
        # A scan: the refresh it asks for runs after the debounce (a second here).
        tick = clock.tick()
        await gql.data(RECORD, i=[{"employeeCode": "E1", "roleKey": "pick", "itemsCount": 10,
                                   "windowStart": "2026-11-20T16:00:00Z",
                                   "windowEnd": "2026-11-20T16:10:00Z"}])  # fmt: skip
        seen += [await reads(gql, employee), await reads(gql, employee)]
        await wait_for_run(db, lambda found: (f"{tick}/2026-11-20", "SUCCEEDED") in found)
        if settle is not None:
            await settle()
        seen.append(await reads(gql, employee))

        # Activities changed behind the scores' back: the scores wait for a recalculation.
        async with db.session() as session, session.begin():
            await session.execute(
                update(models.Activity).where(models.Activity.id == first.id).values(items_count=20)
            )
        seen.append(await reads(gql, employee))
        tick = clock.tick()
        assert (await gql.data(RECALCULATE))["recalculateScores"] == {"enqueued": 1, "errors": []}
        await wait_for_run(db, lambda found: (f"{tick}/2026-11-20", "SUCCEEDED") in found)
        if settle is not None:
            await settle()
        seen.append(await reads(gql, employee))

        clock.tick()
        answer = await gql.data(CORRECT, id=gid("Activity", first.id))
        assert answer["correctActivity"] == {"errors": []}
        seen.append(await reads(gql, employee))
    return seen


def expected() -> list[list[tuple[str, Any]]]:
    return [
        numbers(0),  # the scan is not scored yet
        cached(numbers(0)),
        numbers(40),  # the refresh: 30 + 10 items
        cached(numbers(40)),  # activities alone are not what a score reads
        numbers(30),  # recalculated: 20 + 10
        numbers(15),  # corrected: 5 + 10, rescored in the correction's own transaction
    ]


async def finished(broker: dramatiq.Broker) -> None:
    """Every message of the scores' queue handled: delayed ones first, then the queue."""
    for queue in ("scores.DQ", "scores"):
        await asyncio.to_thread(broker.join, queue, timeout=30_000)


@pytest.fixture
def short_debounce(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan's refresh is due a second after it, not thirty."""
    monkeypatch.setattr(job_queue, "DEBOUNCE_SECONDS", 1)


@asynccontextmanager
async def emptied_afterwards(db: Database) -> AsyncIterator[None]:
    """A separate worker writes through a database of its own, which the test's cleanup does
    not watch: what it may have written is emptied here."""
    try:
        yield
    finally:
        async with db.session() as session, session.begin():
            for model in WORKER_TABLES:
                await session.execute(delete(model))


async def test_the_embedded_worker_writes_through_the_web_apps_resources(
    backend: Backend, db: Database, short_debounce: None
) -> None:
    await helpers.users(db, ADMIN)
    settings = backend.settings.model_copy(
        update={"redis_url": None, "scheduler_frozen_at": ELSEWHERE}
    )
    clock = Clock()
    app = create_app(build_resources(settings, db=db), clock=clock, embedded_jobs=True)

    async with emptied_afterwards(db), app.router.lifespan_context(app):
        await wait_for_run(db, lambda found: len(found) >= STARTUP_RUNS)
        seen = await scenario(db, app, clock)

    assert seen == expected()


async def test_a_separate_worker_on_redis_drops_the_web_apps_cached_answers(
    mariadb: Backend, short_debounce: None
) -> None:
    db = mariadb.db
    await helpers.users(db, ADMIN)
    clock = Clock()
    resources = build_resources(mariadb.settings, db=db)
    app = create_app(resources, clock=clock)
    broker = build_broker(mariadb.settings)  # the worker's: resources of its own
    declare(broker)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)

    async with emptied_afterwards(db):
        worker.start()
        try:
            seen = await scenario(db, app, clock, settle=lambda: finished(broker))
        finally:
            await asyncio.to_thread(worker.stop)
            await resources.aclose()

    assert seen == expected()
