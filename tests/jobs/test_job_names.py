"""One name per job (``services.jobs.Job``): every job has an actor of that name, is due in
``tasks.timing`` or marked as asked for on demand only, and records its run under that name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import delete, select

from db import models
from services.connecteam.runs import JOB_OF
from services.jobs import PERIODIC_JOBS, Job
from tasks.registry import Actors, declare
from tasks.timing import ON_DEMAND, Due, due
from tests import helpers
from tests.helpers import Backend

DAY = datetime(2026, 11, 20)
YESTERDAY = date(2026, 11, 19)


def one_due_of_each_job() -> dict[Job, Due]:
    """What a day of scheduling enqueues (every 5 minutes, yesterday still to finalize): the
    first message of each job."""
    found: dict[Job, Due] = {}
    for minutes in range(0, 24 * 60, 5):
        for item in due(DAY + timedelta(minutes=minutes), unfinalized=[YESTERDAY]):
            found.setdefault(item.job, item)
    return found


def test_every_job_has_an_actor_of_its_name() -> None:
    actors = declare(StubBroker())

    assert {job: actor.actor_name for job, actor in actors.items()} == {j: j.value for j in Job}


def test_every_job_is_due_or_on_demand_only() -> None:
    scheduled = set(one_due_of_each_job())

    assert scheduled & ON_DEMAND == set()
    assert scheduled | ON_DEMAND == set(Job)


def test_the_names_on_the_wire_and_in_stored_rows_stay() -> None:
    names = [job.value for job in Job]

    assert names == [
        "refresh_scores", "finalize_day", "daily_rollover", "sync_users", "sync_time_clock",
        "sync_schedules", "build_daily_reports", "push_performance",
    ]  # fmt: skip
    assert list(PERIODIC_JOBS) == names  # what admins pause and see, in this order
    assert set(JOB_OF.values()) == {Job.SYNC_USERS, Job.SYNC_TIME_CLOCK, Job.SYNC_SCHEDULES}


@pytest.fixture
async def actors(backend: Backend) -> AsyncIterator[tuple[StubBroker, Actors]]:
    settings = backend.settings.model_copy(update={"redis_url": None})  # StubBroker
    async with helpers.running_worker(settings) as running:
        yield running
    async with backend.db.session() as session, session.begin():  # the worker's own database
        for model in (*helpers.SCORED, models.DailyReport, models.JobRun):
            await session.execute(delete(model))


async def test_every_due_job_records_its_run_under_its_name(
    backend: Backend, actors: tuple[StubBroker, Actors]
) -> None:
    broker, declared = actors
    sent = one_due_of_each_job()

    for item in sent.values():
        declared[item.job].send(*item.args)
    for queue in ("scores", "connecteam"):
        await asyncio.to_thread(broker.join, queue, fail_fast=True)

    async with backend.db.read_session() as session:
        runs = (await session.execute(select(models.JobRun.job, models.JobRun.status))).all()
    assert sorted(tuple(r) for r in runs) == sorted((job.value, "SUCCEEDED") for job in sent)
