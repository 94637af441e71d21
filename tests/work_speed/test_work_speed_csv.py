"""``GET /exports/work-speed.csv``: the hand-computed day's rows written out literally (cells
neutralized as every CSV export's are), streamed one day at a time, audited as CSV, and
refused with the status and message each refusal has."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from sqlalchemy import select

from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import Resources
from services.authentication import Viewer
from tests import helpers
from tests.helpers import ADMIN, bearer, gid, utc
from tests.helpers_asgi import call
from tests.helpers_work_speed import Floor, hand_day

PATH = "/exports/work-speed.csv"
HEADER = "work_date,section,role,start,end,metric,value,status,resolved_by,resolved_at,note\n"
S = "2026-11-19"
# The hand day (tests/helpers_work_speed.py), row by row, as computed by hand.
HAND_LINES = [
    "2026-11-19,standard,,,,idle_threshold_minutes,15.0,,,,",
    "2026-11-19,standard,,,,productivity_goal,100.0,,,,",
    "2026-11-19,role,packing,,,points_per_item,0.5,,,,",
    "2026-11-19,role,packing,,,expected_per_hour,120.0,,,,",
    "2026-11-19,role,packing,,,items,50,,,,",
    "2026-11-19,role,packing,,,points,25.0,,,,",
    "2026-11-19,role,packing,,,earned_minutes,25.0,,,,",
    "2026-11-19,role,packing,,,active_minutes,20.0,,,,",
    "2026-11-19,role,packing,,,rate_per_hour,150.0,,,,",
    "2026-11-19,window,packing,2026-11-19T15:00:00+00:00,2026-11-19T15:20:00+00:00,items,50,,,,",
    "2026-11-19,window,packing,2026-11-19T15:00:00+00:00,2026-11-19T15:20:00+00:00,"
    "rate_per_hour,150.0,,,,",
    "2026-11-19,role,picking,,,points_per_item,2.0,,,,",
    "2026-11-19,role,picking,,,expected_per_hour,60.0,,,,",
    "2026-11-19,role,picking,,,items,130,,,,",
    "2026-11-19,role,picking,,,points,260.0,,,,",
    "2026-11-19,role,picking,,,earned_minutes,130.0,,,,",
    "2026-11-19,role,picking,,,active_minutes,70.0,,,,",
    "2026-11-19,role,picking,,,rate_per_hour,111.43,,,,",
    "2026-11-19,window,picking,2026-11-19T14:00:00+00:00,2026-11-19T15:00:00+00:00,items,70,,,,",
    "2026-11-19,window,picking,2026-11-19T14:00:00+00:00,2026-11-19T15:00:00+00:00,"
    "rate_per_hour,70.0,,,,",
    "2026-11-19,window,picking,2026-11-19T16:30:00+00:00,2026-11-19T16:40:00+00:00,items,60,,,,",
    "2026-11-19,window,picking,2026-11-19T16:30:00+00:00,2026-11-19T16:40:00+00:00,"
    "rate_per_hour,360.0,,,,",
    "2026-11-19,score,,,,items_processed,180,,,,",
    "2026-11-19,score,,,,points_earned,285.0,,,,",
    "2026-11-19,score,,,,earned_minutes,155.0,,,,",
    "2026-11-19,score,,,,active_minutes,90.0,,,,",
    "2026-11-19,score,,,,clocked_minutes,240.0,,,,",
    "2026-11-19,score,,,,break_minutes,30.0,,,,",
    "2026-11-19,score,,,,available_minutes,210.0,,,,",
    "2026-11-19,score,,,,idle_minutes,120.0,,,,",
    "2026-11-19,score,,,,productivity,73.8,,,,",
    "2026-11-19,score,,,,utilization,42.9,,,,",
    "2026-11-19,score,,,,is_final,false,,,,",
    "2026-11-19,idle,,2026-11-19T15:20:00+00:00,2026-11-19T16:00:00+00:00,minutes,40.0,,,,",
    "2026-11-19,idle,,2026-11-19T16:40:00+00:00,2026-11-19T18:00:00+00:00,minutes,80.0,,,,",
    '2026-11-19,flag,,,,IMPOSSIBLE_RATE,"{""expected_per_hour"": 60.0, ""items_per_hour"": '
    '360.0}",OPEN,,,',
    '2026-11-19,flag,,,,LONG_IDLE,"{""end"": ""2026-11-19T18:00:00+00:00"", ""minutes"": '
    '80.0, ""start"": ""2026-11-19T16:40:00+00:00""}",RESOLVED,lead@example.com,'
    '2026-11-20T20:30:00+00:00,"\'=1+2, ok"',
]
HAND_DAY = "".join(line + "\n" for line in HAND_LINES)


@pytest.fixture
async def floor(db: Database) -> Floor:
    return await hand_day(db)


async def get(client: httpx.AsyncClient, viewer: Viewer | None, **params: str) -> httpx.Response:
    headers = bearer(viewer) if viewer is not None else {}
    return await client.get(PATH, params=params, headers=headers | {"Accept-Encoding": "identity"})


def of(employee: models.Employee, first: str = S, last: str = S) -> dict[str, str]:
    return {"employeeId": gid("Employee", employee.id), "from": first, "to": last}


async def test_the_hand_computed_day_as_csv(
    floor: Floor, client: httpx.AsyncClient, db: Database
) -> None:
    response = await get(client, floor.own, **of(floor.ann))

    assert response.status_code == 200
    assert response.text == HEADER + HAND_DAY
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="work-speed-ANN-2026-11-19-2026-11-19.csv"'
    )
    assert response.headers["cache-control"] == "private, no-store"
    async with db.read_session() as session:
        entries = (await session.execute(
            select(models.AuditLog.actor_user_id, models.AuditLog.entity_id,
                   models.AuditLog.after).where(models.AuditLog.action == "export_work_speed")
        )).all()  # fmt: skip
    assert [tuple(e) for e in entries] == [
        (4, str(floor.ann.id), {"employee_id": floor.ann.id, "from": S, "to": S, "format": "CSV"})
    ]


async def test_days_are_sent_one_at_a_time(
    floor: Floor, resources: Resources, now: datetime, db: Database
) -> None:
    """The header goes with the first day (whose statements have answered before the status
    is sent); each further day is a part of the body of its own, then the closing part."""
    await helpers.add(
        db,
        helpers.activity(floor.ann, floor.picking, utc(2026, 11, 17, 15), 6),
        helpers.activity(floor.ann, floor.picking, utc(2026, 11, 20, 15), 7),
    )
    app = create_app(resources, clock=lambda: now)
    headers = bearer(ADMIN) | {"Accept-Encoding": "identity"}

    one = await call(app, "GET", PATH, headers, query=urlencode(of(floor.ann)))
    three = await call(app, "GET", PATH, headers,
                       query=urlencode(of(floor.ann, "2026-11-01", "2026-11-20")))  # fmt: skip

    assert (one.status, one.parts, one.raw.decode()) == (200, 2, HEADER + HAND_DAY)
    lines = three.raw.decode().splitlines()[1:]
    assert (three.status, three.parts) == (200, 4)
    assert sorted({line.split(",")[0] for line in lines}) == ["2026-11-17", S, "2026-11-20"]
    assert three.raw.decode().count(HAND_DAY) == 1


async def test_a_period_without_data_is_the_header_alone(
    floor: Floor, client: httpx.AsyncClient
) -> None:
    response = await get(client, ADMIN, **of(floor.bob))

    assert (response.status_code, response.text) == (200, HEADER)


async def test_refusals_have_their_status_and_say_why(
    floor: Floor, client: httpx.AsyncClient, db: Database
) -> None:
    ann = of(floor.ann)
    asked: list[tuple[Viewer | None, dict[str, Any]]] = [
        (None, ann),
        (floor.other_manager, ann),
        (floor.own, of(floor.bob)),
        (ADMIN, ann | {"employeeId": gid("Employee", floor.bob.id + 1000)}),
        (ADMIN, ann | {"employeeId": ""}),
        (ADMIN, ann | {"employeeId": gid("Team", 1)}),
        (ADMIN, ann | {"from": "2026-11-20"}),
        (ADMIN, ann | {"from": "2026-08-01"}),
        (ADMIN, ann | {"to": "2026-11-21", "from": "2026-11-21"}),
        (ADMIN, ann | {"to": "yesterday"}),
        (ADMIN, {k: v for k, v in ann.items() if k != "from"}),
    ]

    answers = [await get(client, viewer, **params) for viewer, params in asked]

    forbidden = "an employee's work-speed data is for them, their team's managers and admins"
    assert [(r.status_code, r.text) for r in answers] == [
        (401, "sign in: send `Authorization: Bearer <token>`"),
        (403, forbidden),
        (403, forbidden),
        (404, "no such employee"),
        (400, "missing `employeeId`: an Employee id"),
        (400, "`employeeId`: id 'VGVhbTox' is of type Team, expected Employee"),
        (400, "`to` is before `from`"),
        (400, "an export covers at most 90 days: `from` is 2026-08-22 at the earliest for "
              "this `to`"),
        (400, "`to` is after today, 2026-11-20"),
        (400, "`to` is a date: YYYY-MM-DD, from 1900 to 2999"),
        (400, "`from` is a date: YYYY-MM-DD, from 1900 to 2999"),
    ]  # fmt: skip
    async with db.read_session() as session:
        exports = select(models.AuditLog.id).where(models.AuditLog.action == "export_work_speed")
        assert (await session.scalars(exports)).all() == []
