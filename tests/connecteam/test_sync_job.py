"""The sync_users actor through a real broker and worker, against the fake Connecteam: users
become employees, the run is recorded, the next run asks only for what changed, a failing
Connecteam records a failed run and writes nothing else, no key means "not configured"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import delete, select

from db import models
from services.jobs import Job
from tasks.registry import Actors
from tests.helpers import Backend, running_worker
from tests.helpers_connecteam import FakeConnecteam, Fault, run, syncing, user

WORKER_TABLES = (
    models.AuditLog,
    models.ConnecteamUser,
    models.SyncRun,
    models.JobRun,
    models.Employee,
)


@pytest.fixture
def fake() -> FakeConnecteam:
    return FakeConnecteam(users=[user(1), user(2, isArchived=True), user(3)])


@pytest.fixture
async def actors(
    backend: Backend, fake: FakeConnecteam
) -> AsyncIterator[tuple[StubBroker, Actors]]:
    async with syncing(backend, fake, WORKER_TABLES) as running:
        yield running


async def rows(backend: Backend) -> tuple[list[Any], list[Any]]:
    async with backend.db.read_session() as session:
        employees = (
            await session.execute(
                select(models.Employee.code, models.Employee.active).order_by(models.Employee.code)
            )
        ).all()
        runs = (
            await session.execute(
                select(models.SyncRun.status, models.SyncRun.counts, models.SyncRun.error)
                .order_by(models.SyncRun.id)
            )
        ).all()  # fmt: skip
    return [tuple(e) for e in employees], [tuple(r) for r in runs]


async def test_users_sync_then_only_what_changed(
    backend: Backend, fake: FakeConnecteam, actors: tuple[StubBroker, Actors]
) -> None:
    broker, declared = actors

    await run(broker, lambda: declared[Job.SYNC_USERS].send("2026-11-20T02:00"))
    await run(broker, lambda: declared[Job.SYNC_USERS].send("2026-11-21T02:00"))

    employees, runs = await rows(backend)
    assert employees == [("CT-1", True), ("CT-3", True)]  # the archived user is not created
    assert [status for status, _, _ in runs] == ["SUCCEEDED", "SUCCEEDED"]
    first, second = runs[0][1], runs[1][1]
    assert (first["created"], first["calls"], first["modified_since"]) == (2, 1, None)
    # the first run began at 2026-11-20 02:00 in Chicago (08:00 UTC); less the hour of overlap
    assert second["modified_since"] == 1_795_161_600 - 3600
    assert [params.get("modifiedAt") for _, params in fake.requests] == [
        None, str(1_795_161_600 - 3600),
    ]  # fmt: skip


async def test_a_failing_connecteam_records_a_failed_run_and_writes_nothing(
    backend: Backend, fake: FakeConnecteam, actors: tuple[StubBroker, Actors]
) -> None:
    broker, declared = actors
    fake.faults = [Fault(403)] * 100  # refused: not retried by the client; the queue retries

    await run(broker, lambda: declared[Job.SYNC_USERS].send("2026-11-20T02:00"), fail_fast=False)

    employees, runs = await rows(backend)
    assert employees == []
    assert runs == [
        (
            "FAILED",
            {"calls": 1, "pages": 0},
            "Connecteam /users/v1/users answered 403: planned fault",
        )
    ]
    async with backend.db.read_session() as session:
        attempts = await session.scalar(select(models.SyncRun.attempts))
    assert attempts == 6  # the first delivery and the actor's 5 retries, one run


async def test_without_a_key_the_sync_says_so_and_does_nothing(backend: Backend) -> None:
    settings = backend.settings.model_copy(update={"redis_url": None})
    async with running_worker(settings) as (broker, declared):
        await run(broker, lambda: declared[Job.SYNC_USERS].send("2026-11-20T02:00"))

    async with backend.db.read_session() as session:
        runs = (await session.execute(select(models.JobRun.job, models.JobRun.counts))).all()
    async with backend.db.session() as session, session.begin():
        await session.execute(delete(models.JobRun))
    assert [tuple(r) for r in runs] == [("sync_users", {"configured": False})]
