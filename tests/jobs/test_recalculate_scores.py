"""``recalculateScores``: no day after today in the company's timezone (a day not begun has
nothing to score), and an accepted call answers the job it queued and its tick."""

from __future__ import annotations

from typing import Any

import httpx
from dramatiq import Message

from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import build_resources
from services.jobs import Job
from tests.helpers import ADMIN, Backend, GraphQLClient, bearer, utc

RECALCULATE = """mutation($from: Date!, $to: Date!) {
  recalculateScores(from: $from, to: $to) { enqueued job tick errors { field code message } } }"""
# 21:00 on Friday the 20th in Chicago, the company's timezone; already the 21st in UTC
EVENING = utc(2026, 11, 21, 3)


def refused(field: str) -> dict[str, Any]:
    return {
        "enqueued": 0,
        "job": None,
        "tick": None,
        "errors": [
            {
                "field": field,
                "code": "BAD_USER_INPUT",
                "message": f"`{field}` is after today, 2026-11-20",
            }
        ],
    }


async def test_days_after_today_are_refused_and_an_accepted_call_answers_its_job(
    backend: Backend, db: Database
) -> None:
    # The embedded default's queue; its worker is not started, so the messages stay queued.
    without_redis = backend.settings.model_copy(update={"redis_url": None})
    app = create_app(
        build_resources(without_redis, db=db), clock=lambda: EVENING, embedded_jobs=True
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        gql = GraphQLClient(http, bearer(ADMIN, now=EVENING))
        tomorrow = await gql.data(RECALCULATE, **{"from": "2026-11-20", "to": "2026-11-21"})
        ahead = await gql.data(RECALCULATE, **{"from": "2027-06-01", "to": "2027-06-04"})
        accepted = await gql.data(RECALCULATE, **{"from": "2026-11-19", "to": "2026-11-20"})
    queued = app.state.jobs.actors[Job.REFRESH_SCORES].broker.queues["scores"].queue
    await app.state.resources.aclose()

    assert tomorrow["recalculateScores"] == refused("to")
    assert ahead["recalculateScores"] == refused("from")
    assert accepted["recalculateScores"] == {
        "enqueued": 2,
        "job": "refresh_scores",
        "tick": "2026-11-21T03:00:00.000Z",
        "errors": [],
    }
    messages = [Message.decode(data) for data in queued]
    assert [m.args[:2] for m in messages] == [
        ("2026-11-19", "2026-11-21T03:00:00.000Z"),
        ("2026-11-20", "2026-11-21T03:00:00.000Z"),
    ]
