"""Refreshes after ingestion are debounced: a burst of calls enqueues one refresh per day,
run after the burst; across web processes too (the window is in Redis when there is one)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import dramatiq.brokers.stub
import httpx
import pytest
import redis.exceptions
from dramatiq import Message
from dramatiq.brokers.stub import StubBroker

from db import models
from db.engine import Database
from prodhub import job_queue
from prodhub.app import create_app
from prodhub.job_queue import DEBOUNCE_SECONDS, JobQueue
from prodhub.jobs import build_broker
from prodhub.resources import Resources, build_resources
from services.jobs import Job
from tasks.registry import declare
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, GraphQLClient, bearer, utc

MONDAY, TUESDAY = date(2026, 11, 16), date(2026, 11, 17)
ENQUEUED_AT_MS = 1_800_000_000_000  # the broker's clock, stopped: a delay is its eta less this


def delayed(broker: StubBroker) -> list[tuple[object, ...]]:
    return sorted(tuple(Message.decode(raw).args) for raw in broker.queues["scores.DQ"].queue)


async def test_a_burst_enqueues_one_refresh_per_day(
    backend: Backend, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dramatiq.brokers.stub, "current_millis", lambda: ENQUEUED_AT_MS)
    broker = build_broker(backend.settings.model_copy(update={"redis_url": None}))
    assert isinstance(broker, StubBroker)
    actors = declare(broker)
    one, other = JobQueue(actors, resources.redis), JobQueue(actors, resources.redis)

    sent = [
        await (one if n % 2 else other).refresh_soon([MONDAY, TUESDAY], NOW) for n in range(1000)
    ]

    # Two web processes share the window through Redis; without Redis each has its own.
    copies = 1 if resources.redis is not None else 2
    tick = "2026-11-20T20:30:00.000Z"  # a write's tick says its offset
    assert sum(sent) == 2 * copies
    assert delayed(broker) == [("2026-11-16", tick)] * copies + [("2026-11-17", tick)] * copies
    etas = {Message.decode(raw).options["eta"] for raw in broker.queues["scores.DQ"].queue}
    assert etas == {ENQUEUED_AT_MS + DEBOUNCE_SECONDS * 1000}  # run after the burst


async def test_recording_activities_asks_for_a_refresh_of_the_days_they_landed_on(
    backend: Backend, db: Database
) -> None:
    await helpers.role(db, key="pick")
    await helpers.employee(db, code="Q1")
    without_redis = backend.settings.model_copy(update={"redis_url": None})
    # The embedded default's queue; its worker is not started, so the messages stay queued.
    app = create_app(build_resources(without_redis, db=db), clock=lambda: NOW, embedded_jobs=True)
    broker = app.state.jobs.actors[Job.REFRESH_SCORES].broker
    items = [{"employeeCode": "Q1", "roleKey": "pick", "itemsCount": 3,
              "windowStart": (utc(2026, 11, 16, 15) + timedelta(days=d)).isoformat(),
              "windowEnd": (utc(2026, 11, 16, 15, 10) + timedelta(days=d)).isoformat()} for d in (0, 1, 1)]  # fmt: skip
    query = "mutation($i: [ActivityInput!]!) { recordActivities(input: $i) { accepted } }"

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        caller = GraphQLClient(http, bearer(ADMIN))
        for _ in range(3):
            await caller.data(query, i=items)
    await app.state.resources.aclose()

    assert [args[0] for args in delayed(broker)] == ["2026-11-16", "2026-11-17"]


async def test_without_a_worker_nothing_is_enqueued_and_a_recalculation_is_refused(
    backend: Backend, db: Database
) -> None:
    without_redis = backend.settings.model_copy(update={"redis_url": None})
    app = create_app(build_resources(without_redis, db=db), clock=lambda: NOW)  # like --workers 2
    recalculate = 'mutation { recalculateScores(from: "2026-11-01", to: "2026-11-02") { enqueued errors { code } } }'
    await helpers.add(
        db, models.User(id=ADMIN.user_id, email=ADMIN.email, password_hash="-", role="ADMIN")
    )

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        answer = await GraphQLClient(http, bearer(ADMIN)).data(recalculate)
        sent = await app.state.jobs.refresh_soon([MONDAY], NOW)
    await app.state.resources.aclose()

    assert answer == {"recalculateScores": {"enqueued": 0, "errors": [{"code": "JOBS_OFF"}]}}
    assert sent == 0


async def test_refreshes_the_queue_does_not_take_are_owed_bounded_and_sent_when_it_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(job_queue, "MAX_OWED", 2)
    monkeypatch.setattr(job_queue, "RETRY_FIRST_SECONDS", 0.05)
    broker = StubBroker()
    actors = declare(broker)
    jobs = JobQueue(actors, None)
    take = broker.enqueue

    def refuse(*_: object, **__: object) -> None:
        raise redis.exceptions.ConnectionError("refused")

    monkeypatch.setattr(broker, "enqueue", refuse)
    days = [MONDAY, TUESDAY, TUESDAY + timedelta(days=1)]
    sent = await jobs.refresh_soon(days, NOW)
    owed = list(jobs.owed)
    monkeypatch.setattr(broker, "enqueue", take)
    for _ in range(100):
        if not jobs.owed:
            break
        await asyncio.sleep(0.02)
    await jobs.aclose()

    assert sent == 0
    assert owed == [TUESDAY, TUESDAY + timedelta(days=1)]  # the oldest dropped past the bound
    assert jobs.owed == []
    assert [args[0] for args in delayed(broker)] == ["2026-11-17", "2026-11-18"]
