"""A job run shows the tick it is for and when it really ran: a catch-up run of the 06:05 tick
at any later hour says both, in `jobRuns` and in the metric of when the job last finished."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dramatiq
import httpx
import pytest
from dramatiq.brokers.stub import StubBroker
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete

from db import models
from db.engine import Database
from services.jobs import Job
from tasks.registry import Actors
from tests import helpers
from tests.helpers import Backend, GraphQLClient

DAY = date(2026, 11, 20)
TICK = "2026-11-20T06:05"  # company time (Chicago): 12:05 UTC, long before the run
RUNS = "{ jobRuns(first: 5) { edges { node { job tick status startedAt finishedAt } } } }"


@pytest.fixture
async def actors(backend: Backend) -> AsyncIterator[tuple[dramatiq.Broker, Actors]]:
    settings = backend.settings.model_copy(update={"redis_url": None})  # StubBroker
    async with helpers.running_worker(settings) as running:
        yield running
    async with backend.db.session() as session, session.begin():
        for model in (*helpers.SCORED, models.JobRun, models.JobControl):
            await session.execute(delete(model))


async def catch_up(broker: dramatiq.Broker, declared: Actors) -> tuple[datetime, datetime]:
    """Run the 06:05 tick's refresh now; the wall-clock second it started in and the one
    after it finished (times are kept to the second)."""
    assert isinstance(broker, StubBroker)
    before = datetime.now(UTC).replace(microsecond=0)
    declared[Job.REFRESH_SCORES].send(DAY.isoformat(), TICK)
    await asyncio.to_thread(lambda: broker.join("scores", fail_fast=True))
    return before, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)


async def test_a_catch_up_run_shows_its_tick_and_when_it_really_ran(
    db: Database, actors: tuple[dramatiq.Broker, Actors], gql: GraphQLClient
) -> None:
    before, after = await catch_up(*actors)

    runs = (await gql.data(RUNS))["jobRuns"]["edges"]

    assert [(r["node"]["job"], r["node"]["tick"], r["node"]["status"]) for r in runs] == [
        ("refresh_scores", f"{TICK}/2026-11-20", "SUCCEEDED")
    ]
    started = datetime.fromisoformat(runs[0]["node"]["startedAt"])
    finished = datetime.fromisoformat(runs[0]["node"]["finishedAt"])
    assert before <= started <= finished <= after, (before, started, finished, after)


async def test_the_metric_says_when_the_job_really_finished(
    db: Database, actors: tuple[dramatiq.Broker, Actors], client: httpx.AsyncClient
) -> None:
    before, after = await catch_up(*actors)

    response = await client.get("/metrics")

    found: dict[str | None, Any] = {
        sample.labels.get("job"): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
        if sample.name == "prodhub_job_last_finished_timestamp_seconds"
    }
    assert set(found) == {"refresh_scores"}
    assert before.timestamp() <= found["refresh_scores"] <= after.timestamp()
