"""``recordActivities`` refuses an item whose window ends later than a few minutes after now
(``FUTURE_WINDOW``; ``PRODHUB_FUTURE_TOLERANCE_MINUTES``, 5 by default): a device's clock may
run a little ahead, not months. The other items of the call are stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from core.settings import Settings
from db import models
from db.engine import Database
from tests import helpers
from tests.helpers import NOW, Backend, GraphQLClient, admin_client

RECORD = """mutation($items: [ActivityInput!]!) {
  recordActivities(input: $items) { accepted duplicates errors { index field code message } }
}"""


def item(end: datetime, ref: str) -> dict[str, Any]:
    start = end - timedelta(minutes=10)
    return {"employeeCode": "F1", "roleKey": "pick", "itemsCount": 12, "externalRef": ref,
            "windowStart": start.isoformat(), "windowEnd": end.isoformat()}  # fmt: skip


@pytest.fixture
async def floor(db: Database) -> None:
    team = await helpers.team(db, timezone="America/Chicago")
    await helpers.role(db, key="pick")
    await helpers.employee(db, code="F1", team_id=team.id)


async def stored(db: Database) -> list[str | None]:
    async with db.read_session() as session:
        refs = await session.scalars(
            select(models.Activity.external_ref).order_by(models.Activity.external_ref)
        )
        return list(refs)


def refused(index: int, latest: str) -> dict[str, Any]:
    return {"index": index, "field": "windowEnd", "code": "FUTURE_WINDOW",
            "message": f"a window ends by {latest}: is the clock right?"}  # fmt: skip


async def test_a_window_ending_months_ahead_is_refused_and_the_others_stored(
    db: Database, floor: None, gql: GraphQLClient
) -> None:
    items = [
        item(NOW - timedelta(hours=1), "past"),
        {**item(NOW, "june"), "windowStart": "2027-06-04T14:26:00Z",
         "windowEnd": "2027-06-04T14:36:00Z"},
        item(NOW + timedelta(minutes=5), "ahead-5m"),
        item(NOW + timedelta(minutes=5, seconds=1), "ahead-5m1s"),
    ]  # fmt: skip

    answer = (await gql.data(RECORD, items=items))["recordActivities"]

    assert answer == {
        "accepted": 2,
        "duplicates": 0,
        "errors": [
            refused(1, "2026-11-20T20:35:00+00:00"),
            refused(3, "2026-11-20T20:35:00+00:00"),
        ],
    }
    assert await stored(db) == ["ahead-5m", "past"]


@pytest.fixture
async def strict(backend: Backend) -> AsyncIterator[GraphQLClient]:
    """An app whose tolerance is none: PRODHUB_FUTURE_TOLERANCE_MINUTES=0."""
    async with admin_client(backend, future_tolerance_minutes=0) as client:
        yield client


async def test_the_tolerance_is_a_setting(
    db: Database, floor: None, strict: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    default = Settings().future_tolerance_minutes
    monkeypatch.setenv("PRODHUB_FUTURE_TOLERANCE_MINUTES", "12")

    answer = (
        await strict.data(
            RECORD, items=[item(NOW, "now"), item(NOW + timedelta(seconds=1), "ahead-1s")]
        )
    )["recordActivities"]

    assert (default, Settings().future_tolerance_minutes) == (5, 12)
    assert answer["errors"] == [refused(1, "2026-11-20T20:30:00+00:00")]
    assert await stored(db) == ["now"]
