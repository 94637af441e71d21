"""triggerSync, syncRuns and systemStatus for admins: a backfill in chunks of 31 days, refused
while one of the kind is queued or running; bad ranges; no Connecteam; then the runs as the
worker leaves them, as systemStatus reports them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import dramatiq
import httpx
import pytest
from dramatiq import Message
from dramatiq.brokers.stub import StubBroker
from pydantic import SecretStr
from sqlalchemy import delete, select

from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import build_resources
from services.jobs import Job
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, GraphQLClient, bearer, utc
from tests.helpers_connecteam import API_KEY, FakeConnecteam, serving, shift

TRIGGER = """mutation($kind: SyncKind!, $from: Date, $to: Date) {
  triggerSync(kind: $kind, from: $from, to: $to) { enqueued job tick errors { code field message } }
}"""
RUNS = "{ syncRuns(first: 10) { edges { node { kind key status rangeStart rangeEnd attempts } } } }"
STATUS = """{ systemStatus { connecteamConfigured
  syncs { kind key status rangeStart rangeEnd attempts counts error } } }"""
TICK = "2026-11-20T20:30:00.000Z"  # NOW


@pytest.fixture
async def admin(db: Database) -> AsyncIterator[None]:
    await helpers.add(
        db, models.User(id=ADMIN.user_id, email=ADMIN.email, password_hash="-", role="ADMIN")
    )
    yield
    async with db.session() as session, session.begin():
        for model in (
            *helpers.SCORED,
            models.ClockBreak,
            models.ClockRecord,
            models.SyncRun,
            models.JobRun,
            models.JobControl,
        ):
            await session.execute(delete(model))  # fmt: skip


async def ask(app: Any, query: str, **variables: Any) -> Any:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        return await GraphQLClient(http, bearer(ADMIN)).data(query, **variables)


def queued(app: Any) -> list[tuple[Any, ...]]:
    broker = app.state.jobs.actors[Job.SYNC_TIME_CLOCK].broker
    return [tuple(Message.decode(raw).args) for raw in broker.queues["connecteam"].queue]


async def test_a_backfill_in_chunks_refused_while_queued_then_run(
    backend: Backend, db: Database, admin: None
) -> None:
    fake = FakeConnecteam(
        time_clocks=[{"id": 7, "name": "Warehouse", "isArchived": False}],
        activities={7: [{"userId": 1, "manualBreaks": [], "shifts": [
            shift("s-oct", utc(2026, 10, 5, 14), utc(2026, 10, 5, 22))]}]},
    )  # fmt: skip
    await helpers.employee(db, code="K1", connecteam_user_id="1")
    async with serving(fake) as url:
        settings = backend.settings.model_copy(
            update={"redis_url": None, "connecteam_api_key": SecretStr(API_KEY),
                    "connecteam_base_url": url}
        )  # fmt: skip
        # The embedded default's queue; its worker is started below, by hand.
        app = create_app(build_resources(settings, db=db), clock=lambda: NOW, embedded_jobs=True)
        backfill = await ask(
            app, TRIGGER, kind="TIME_CLOCK", **{"from": "2026-09-01", "to": "2026-11-20"}
        )
        again = await ask(app, TRIGGER, kind="TIME_CLOCK")
        waiting = await ask(app, RUNS)
        messages = queued(app)

        await drain(embedded_broker(app))
        status = await ask(app, STATUS)
        after = await ask(app, TRIGGER, kind="TIME_CLOCK")  # nothing running any more
        await app.state.resources.aclose()

    assert backfill == {"triggerSync": {"enqueued": 3, "job": "sync_time_clock", "tick": TICK,
                                        "errors": []}}  # fmt: skip
    assert again["triggerSync"]["errors"] == [{
        "code": "CONFLICT", "field": None,
        "message": "a TIME_CLOCK sync is queued since 2026-11-20 20:30 UTC; try again when it "
                   "has finished",
    }]  # fmt: skip
    assert messages == [
        (TICK, "2026-09-01", "2026-10-01"),
        (TICK, "2026-10-02", "2026-11-01"),
        (TICK, "2026-11-02", "2026-11-20"),
    ]
    assert [e["node"] for e in waiting["syncRuns"]["edges"]] == [
        {"kind": "TIME_CLOCK", "key": f"{TICK}/{first}", "status": "QUEUED",
         "rangeStart": start, "rangeEnd": end, "attempts": 0}
        for first, start, end in [("20261102", "2026-11-02", "2026-11-20"),
                                  ("20261002", "2026-10-02", "2026-11-01"),
                                  ("20260901", "2026-09-01", "2026-10-01")]
    ]  # fmt: skip
    (latest,) = status["systemStatus"]["syncs"]
    assert status["systemStatus"]["connecteamConfigured"] is True
    assert {k: latest[k] for k in ("kind", "key", "status", "rangeStart", "attempts", "error")} == {
        "kind": "TIME_CLOCK", "key": f"{TICK}/20261102", "status": "SUCCEEDED",
        "rangeStart": "2026-11-02", "attempts": 1, "error": None,
    }  # fmt: skip
    async with db.read_session() as session:
        created = (
            await session.execute(
                select(models.SyncRun.key, models.SyncRun.counts).order_by(models.SyncRun.id)
            )
        ).all()
        clocks = (
            await session.execute(
                select(models.ClockRecord.external_id, models.ClockRecord.work_date)
            )
        ).all()
    assert [(key[-8:], counts.get("created")) for key, counts in created] == [
        ("20260901", 0), ("20261002", 1), ("20261102", 0),
        ("20261119", None),  # the last trigger (yesterday and today), queued
    ]  # fmt: skip
    assert [tuple(c) for c in clocks] == [("s-oct", utc(2026, 10, 5).date())]
    assert after["triggerSync"]["enqueued"] == 1


async def test_a_sync_asked_for_within_the_second_the_last_one_finished_runs_too(
    backend: Backend, db: Database, admin: None
) -> None:
    """The same default range asked for twice 400 ms apart, the first run done in between:
    two ticks, two runs, the second under its own key (a tick to the second made them one key,
    and the second ask an internal error)."""
    fake = FakeConnecteam(time_clocks=[{"id": 7, "name": "Warehouse", "isArchived": False}])
    now = [NOW]
    async with serving(fake) as url:
        settings = backend.settings.model_copy(
            update={"redis_url": None, "connecteam_api_key": SecretStr(API_KEY),
                    "connecteam_base_url": url}
        )  # fmt: skip
        app = create_app(build_resources(settings, db=db), clock=lambda: now[0], embedded_jobs=True)
        answers = []
        for _ in range(2):
            answers.append(await ask(app, TRIGGER, kind="TIME_CLOCK"))
            await drain(embedded_broker(app))
            now[0] += timedelta(milliseconds=400)
        runs = await ask(app, RUNS)
        await app.state.resources.aclose()

    assert [a["triggerSync"] for a in answers] == [
        {"enqueued": 1, "job": "sync_time_clock", "tick": tick, "errors": []}
        for tick in (TICK, "2026-11-20T20:30:00.400Z")
    ]
    assert [e["node"]["key"] for e in runs["syncRuns"]["edges"]] == [
        "2026-11-20T20:30:00.400Z/20261119",
        f"{TICK}/20261119",
    ]
    assert {e["node"]["status"] for e in runs["syncRuns"]["edges"]} == {"SUCCEEDED"}


@pytest.mark.parametrize(
    ("variables", "field", "message"),
    [
        ({"kind": "TIME_CLOCK", "from": "2026-11-20", "to": "2026-11-19"}, "from",
         "`from` must not be after `to`"),
        ({"kind": "TIME_CLOCK", "from": "2025-11-19", "to": "2026-11-20"}, "to",
         "a time-clock sync spans at most 366 days"),
        ({"kind": "USERS", "from": "2026-11-19"}, "from",
         "a users sync reads every user: it takes no range"),
    ],
)  # fmt: skip
async def test_bad_ranges_are_refused_and_queue_nothing(
    backend: Backend, db: Database, admin: None, variables: dict[str, Any], field: str, message: str
) -> None:
    settings = backend.settings.model_copy(
        update={"redis_url": None, "connecteam_api_key": SecretStr(API_KEY)}
    )
    app = create_app(build_resources(settings, db=db), clock=lambda: NOW, embedded_jobs=True)
    answer = await ask(app, TRIGGER, **variables)
    runs = await ask(app, RUNS)
    await app.state.resources.aclose()

    assert answer["triggerSync"] == {"enqueued": 0, "job": None, "tick": None,
                                     "errors": [{"code": "BAD_USER_INPUT", "field": field,
                                                 "message": message}]}  # fmt: skip
    assert queued(app) == []
    assert runs == {"syncRuns": {"edges": []}}


async def test_without_connecteam_or_a_worker_nothing_is_queued(
    backend: Backend, db: Database, admin: None
) -> None:
    without_key = backend.settings.model_copy(update={"redis_url": None})
    app = create_app(build_resources(without_key, db=db), clock=lambda: NOW, embedded_jobs=True)
    unconfigured = await ask(app, TRIGGER, kind="USERS")
    status = await ask(app, STATUS)
    await app.state.resources.aclose()
    with_key = without_key.model_copy(update={"connecteam_api_key": SecretStr(API_KEY)})
    app = create_app(build_resources(with_key, db=db), clock=lambda: NOW)  # like --workers 2
    no_worker = await ask(app, TRIGGER, kind="USERS")
    runs = await ask(app, RUNS)
    await app.state.resources.aclose()

    assert [e["code"] for e in unconfigured["triggerSync"]["errors"]] == ["NOT_CONFIGURED"]
    assert status == {"systemStatus": {"connecteamConfigured": False, "syncs": []}}
    assert [e["code"] for e in no_worker["triggerSync"]["errors"]] == ["JOBS_OFF"]
    assert runs == {"syncRuns": {"edges": []}}


def embedded_broker(app: Any) -> StubBroker:
    """The embedded default's queue of ``app``: a ``StubBroker`` in process."""
    broker = app.state.jobs.actors[Job.SYNC_TIME_CLOCK].broker
    assert isinstance(broker, StubBroker)
    return broker


async def drain(broker: StubBroker) -> None:
    """The embedded queue's Connecteam messages run by a worker started for them, then stopped."""
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        await asyncio.to_thread(lambda: broker.join("connecteam", fail_fast=True))
    finally:
        await asyncio.to_thread(worker.stop)
