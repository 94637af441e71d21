"""Admins pause and resume jobs, see their runs and state, and ask for recalculations."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from dramatiq import Message
from sqlalchemy import select

from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import build_resources
from services.authentication import Viewer
from services.jobs import Job
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, GraphQLClient, bearer, gid

PAUSE = """mutation($job: String!, $paused: Boolean!) {
  setJobPaused(job: $job, paused: $paused) { job paused errors { field code message } } }"""
STATUS = "{ systemStatus { queue jobs { job paused lastRun { tick status counts } } } }"
RUNS = """query($job: String, $after: String) {
  jobRuns(job: $job, first: 2, after: $after) { edges { node { job tick status } } pageInfo { hasNextPage endCursor } } }"""
RECALCULATE = """mutation($from: Date!, $to: Date!, $ids: [ID!]) {
  recalculateScores(from: $from, to: $to, employeeIds: $ids) { enqueued errors { field code message } } }"""


@pytest.fixture(autouse=True)
async def admin_user(db: Database) -> None:
    await helpers.add(
        db, models.User(id=ADMIN.user_id, email=ADMIN.email, password_hash="-", role="ADMIN")
    )


def run(job: str, tick: str, status: str = "SUCCEEDED") -> models.JobRun:
    at = datetime(2026, 11, 20, 16, tzinfo=UTC)
    return models.JobRun(
        job=job, tick=tick, status=status, started_at=at, finished_at=at, counts={"scores": 3}
    )


async def test_pausing_and_resuming_is_audited(db: Database, gql: GraphQLClient) -> None:
    paused = (await gql.data(PAUSE, job="refresh_scores", paused=True))["setJobPaused"]
    resumed = (await gql.data(PAUSE, job="refresh_scores", paused=False))["setJobPaused"]
    unknown = (await gql.data(PAUSE, job="mine_bitcoin", paused=True))["setJobPaused"]

    assert paused == {"job": "refresh_scores", "paused": True, "errors": []}
    assert resumed == {"job": "refresh_scores", "paused": False, "errors": []}
    assert unknown["errors"] == [{"field": "job", "code": "NOT_FOUND",
                                  "message": "no periodic job 'mine_bitcoin'; there are refresh_scores, finalize_day, daily_rollover, sync_users, sync_time_clock, sync_schedules, build_daily_reports, push_performance"}]  # fmt: skip
    async with db.read_session() as session:
        trail = (
            await session.execute(
                select(models.AuditLog.action, models.AuditLog.entity_id, models.AuditLog.after)
            )
        ).all()
    assert [tuple(t) for t in trail] == [
        (
            "pause",
            "refresh_scores",
            {"job": "refresh_scores", "paused": True, "updated_by_user_id": 1},
        ),
        (
            "resume",
            "refresh_scores",
            {"job": "refresh_scores", "paused": False, "updated_by_user_id": 1},
        ),
    ]


async def test_status_and_runs_newest_first(db: Database, gql: GraphQLClient) -> None:
    await helpers.add(db, run("refresh_scores", "2026-11-20T10:00/2026-11-20"))
    await helpers.add(db, run("refresh_scores", "2026-11-20T10:05/2026-11-20", "FAILED"))
    await helpers.add(db, run("finalize_day", "2026-11-19T18:00/2026-11-19"))
    await gql.data(PAUSE, job="finalize_day", paused=True)

    status = await gql.data(STATUS)
    first = (await gql.data(RUNS))["jobRuns"]
    rest = (await gql.data(RUNS, after=first["pageInfo"]["endCursor"]))["jobRuns"]
    refreshes = (await gql.data(RUNS, job="refresh_scores"))["jobRuns"]

    assert status == {"systemStatus": {"queue": status["systemStatus"]["queue"], "jobs": [
        {"job": "refresh_scores", "paused": False,
         "lastRun": {"tick": "2026-11-20T10:05/2026-11-20", "status": "FAILED", "counts": {"scores": 3}}},
        {"job": "finalize_day", "paused": True,
         "lastRun": {"tick": "2026-11-19T18:00/2026-11-19", "status": "SUCCEEDED", "counts": {"scores": 3}}},
        {"job": "daily_rollover", "paused": False, "lastRun": None},
        {"job": "sync_users", "paused": False, "lastRun": None},
        {"job": "sync_time_clock", "paused": False, "lastRun": None},
        {"job": "sync_schedules", "paused": False, "lastRun": None},
        {"job": "build_daily_reports", "paused": False, "lastRun": None},
        {"job": "push_performance", "paused": False, "lastRun": None},
    ]}}  # fmt: skip
    assert [e["node"]["job"] for e in first["edges"] + rest["edges"]] == [
        "finalize_day",
        "refresh_scores",
        "refresh_scores",
    ]
    assert (first["pageInfo"]["hasNextPage"], rest["pageInfo"]["hasNextPage"]) == (True, False)
    assert [e["node"]["status"] for e in refreshes["edges"]] == ["FAILED", "SUCCEEDED"]


async def test_a_recalculation_enqueues_one_refresh_per_day(backend: Backend, db: Database) -> None:
    # The embedded default's queue; its worker is not started, so the messages stay queued.
    without_redis = backend.settings.model_copy(update={"redis_url": None})
    app = create_app(build_resources(without_redis, db=db), clock=lambda: NOW, embedded_jobs=True)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        gql = GraphQLClient(http, bearer(ADMIN))
        answer = await gql.data(
            RECALCULATE, **{"from": "2026-11-01", "to": "2026-11-03", "ids": [gid("Employee", 1)]}
        )
        too_long = await gql.data(RECALCULATE, **{"from": "2025-01-01", "to": "2026-11-03"})
    queued = app.state.jobs.actors[Job.REFRESH_SCORES].broker.queues["scores"].queue
    await app.state.resources.aclose()

    assert answer["recalculateScores"] == {"enqueued": 3, "errors": []}
    messages = [Message.decode(data) for data in queued]
    assert [m.args[0] for m in messages] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    # finalized days scored again too, and a day's wait allowed (not the periodic 10 minutes)
    assert {(m.args[2], m.options["max_age"]) for m in messages} == {(True, 24 * 3600 * 1000)}
    assert too_long["recalculateScores"]["errors"] == [
        {
            "field": "to",
            "code": "BAD_USER_INPUT",
            "message": "a recalculation spans at most 366 days",
        }
    ]


@pytest.mark.parametrize("query", [STATUS, RUNS, PAUSE, RECALCULATE])
async def test_only_admins(gql: GraphQLClient, query: str) -> None:
    manager = gql.signed_in_as(Viewer(user_id=2, role=UserRole.MANAGER))
    variables = {"job": "refresh_scores", "paused": True, "from": "2026-11-01", "to": "2026-11-02"}

    body = await manager.execute(query, **{k: v for k, v in variables.items() if f"${k}" in query})

    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
