"""``recordActivities``: bulk, idempotent by externalRef, every invalid item reported by index,
work dates from clock records (a night shift stays one day), a fixed number of statements."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services import api_keys
from services.api_keys import ApiKeyScope
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import GraphQLClient, ServerStatements, StatementCounter, utc

RECORD = """mutation($items: [ActivityInput!]!) {
  recordActivities(input: $items) { accepted duplicates errors { index field code message } }
}"""


def item(code: str, start: datetime, minutes: int = 10, **fields: Any) -> dict[str, Any]:
    return {
        "employeeCode": code, "roleKey": "pick", "itemsCount": 12,
        "windowStart": start.isoformat(), "windowEnd": (start + timedelta(minutes=minutes)).isoformat(),
    } | fields  # fmt: skip


@pytest.fixture
async def floor(db: Database) -> None:
    chicago = await helpers.team(db, key="dock", timezone="America/Chicago")
    tokyo = await helpers.team(db, key="tokyo", timezone="Asia/Tokyo")
    await helpers.role(db, key="pick")
    night = await helpers.employee(db, code="NIGHT", team_id=chicago.id)
    await helpers.employee(db, code="TOKYO", team_id=tokyo.id)
    await helpers.employee(db, code="NOTEAM")
    await helpers.employee(db, code="GONE", active=False)
    # 22:00 Thursday in Chicago to 06:00 Friday: a night shift, work date Thursday.
    await helpers.add(
        db,
        models.ClockRecord(employee_id=night.id, clock_in=utc(2026, 11, 20, 4),
                           clock_out=utc(2026, 11, 20, 12), work_date=date(2026, 11, 19)),
    )  # fmt: skip


async def stored(db: Database) -> list[tuple[str, date, str | None, int]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.Employee.code, models.Activity.work_date, models.Activity.external_ref,
                   models.Activity.items_count)
            .join(models.Employee, models.Employee.id == models.Activity.employee_id)
            .order_by(models.Activity.window_start, models.Employee.code)
        )  # fmt: skip
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_work_dates_follow_clock_records_then_the_team_timezone(
    db: Database, floor: None, gql: GraphQLClient
) -> None:
    answer = await gql.data(RECORD, items=[
        item("NIGHT", utc(2026, 11, 20, 8), externalRef="n1"),    # 02:00 Friday, inside the night shift
        item("NIGHT", utc(2026, 11, 20, 13), externalRef="n2"),   # 07:00 Friday, after it: Friday
        item("TOKYO", utc(2026, 11, 20, 16), externalRef="t1"),   # 01:00 Saturday in Tokyo
        item("NOTEAM", utc(2026, 11, 20, 3), externalRef="x1"),   # 21:00 Thursday, company zone
    ])  # fmt: skip

    assert answer == {"recordActivities": {"accepted": 4, "duplicates": 0, "errors": []}}
    assert await stored(db) == [
        ("NOTEAM", date(2026, 11, 19), "x1", 12),
        ("NIGHT", date(2026, 11, 19), "n1", 12),
        ("NIGHT", date(2026, 11, 20), "n2", 12),
        ("TOKYO", date(2026, 11, 21), "t1", 12),
    ]


async def test_invalid_items_are_reported_by_index_and_the_valid_ones_stored(
    db: Database, floor: None, gql: GraphQLClient
) -> None:
    start = utc(2026, 11, 20, 15)
    answer = (await gql.data(RECORD, items=[
        item("NIGHT", start, externalRef="ok-1"),
        item("NOBODY", start),
        item("GONE", start),
        item("NIGHT", start, roleKey="juggle"),
        item("NIGHT", start, itemsCount=-1),
        item("NIGHT", start, minutes=0),
        item("NIGHT", start, minutes=12 * 60 + 1),
        item("NIGHT", start, externalRef=""),
        item("NIGHT", start + timedelta(minutes=10), externalRef="ok-2"),
    ]))["recordActivities"]  # fmt: skip

    assert (answer["accepted"], answer["duplicates"]) == (2, 0)
    assert [(e["index"], e["field"], e["code"]) for e in answer["errors"]] == [
        (1, "employeeCode", "UNKNOWN_EMPLOYEE"),
        (2, "employeeCode", "UNKNOWN_EMPLOYEE"),
        (3, "roleKey", "UNKNOWN_ROLE"),
        (4, "itemsCount", "NEGATIVE_COUNT"),
        (5, "windowEnd", "BAD_WINDOW"),
        (6, "windowEnd", "BAD_WINDOW"),
        (7, "externalRef", "BAD_EXTERNAL_REF"),
    ]
    assert [ref for _, _, ref, _ in await stored(db)] == ["ok-1", "ok-2"]


async def test_a_resubmission_is_counted_as_duplicates_never_stored_twice(
    db: Database, floor: None, gql: GraphQLClient
) -> None:
    batch = [
        item("NIGHT", utc(2026, 11, 20, 15) + timedelta(minutes=10 * n), externalRef=f"r{n}")
        for n in range(5)
    ]
    repeated_inside = [*batch[:2], item("NIGHT", utc(2026, 11, 20, 20), externalRef="r0")]

    first = (await gql.data(RECORD, items=batch))["recordActivities"]
    again = (await gql.data(RECORD, items=batch))["recordActivities"]
    mixed = (
        await gql.data(RECORD, items=[*repeated_inside, item("NIGHT", utc(2026, 11, 20, 19))])
    )["recordActivities"]

    assert [(a["accepted"], a["duplicates"]) for a in (first, again, mixed)] == [
        (5, 0),
        (0, 5),
        (1, 3),
    ]
    assert len(await stored(db)) == 6  # five with refs, one without


async def _device(db: Database) -> dict[str, str]:
    async with db.session() as session, session.begin():
        created = await api_keys.create_api_key(
            session=session, actor=Viewer(email="test"), name="dock 3", scope=ApiKeyScope.INGEST
        )
    return {"Authorization": f"Bearer {created.secret}"}


async def test_a_device_sends_ten_thousand_items_and_no_more(
    db: Database, floor: None, gql: GraphQLClient
) -> None:
    start = utc(2026, 11, 20, 14)
    items = [
        item("NOTEAM", start + timedelta(seconds=n), minutes=1, externalRef=f"d{n}")
        for n in range(10_001)
    ]
    device = GraphQLClient(gql.http, await _device(db))

    answer = (await device.data(RECORD, items=items))["recordActivities"]
    as_admin = await gql.http.post(
        "/graphql", json={"query": RECORD, "variables": {"items": items}}, headers=gql.headers
    )

    assert (answer["accepted"], answer["duplicates"]) == (10_000, 0)
    assert answer["errors"] == [{
        "index": 10_000, "field": None, "code": "TOO_MANY_ITEMS",
        "message": "at most 10,000 items a call; those from index 10000 were not read",
    }]  # fmt: skip
    assert as_admin.status_code == 413  # 1.6 MB: only a device may send more than 1 MiB
    async with db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(models.Activity)) == 10_000


@pytest.mark.parametrize(
    ("who", "code"),
    [("manager", "FORBIDDEN"), ("employee", "FORBIDDEN"), ("anonymous", "UNAUTHENTICATED")],
)
async def test_only_devices_and_admins_record(
    db: Database, floor: None, gql: GraphQLClient, who: str, code: str
) -> None:
    viewer = {
        "manager": Viewer(user_id=2, role=UserRole.MANAGER, team_ids=frozenset({1})),
        "employee": Viewer(user_id=3, role=UserRole.EMPLOYEE, employee_id=1),
        "anonymous": None,
    }[who]

    body = await gql.signed_in_as(viewer).execute(
        RECORD, items=[item("NIGHT", utc(2026, 11, 20, 15))]
    )

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    assert await stored(db) == []


@pytest.mark.parametrize("n", [10, 1000])
async def test_a_batch_costs_the_same_statements_for_ten_or_a_thousand_items(
    db: Database,
    floor: None,
    gql: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    n: int,
) -> None:
    items = [
        item("NIGHT", utc(2026, 11, 20, 8) + timedelta(seconds=n), minutes=1) for n in range(n)
    ]
    await gql.data(RECORD, items=items[:1])  # the pools have their connections

    statements.counting = True
    if server is not None:
        server.start()
    answer = (await gql.data(RECORD, items=items))["recordActivities"]
    seen = server.stop() if server is not None else None
    statements.counting = False

    assert answer["accepted"] == n
    # employees, roles, clock records, the INSERT; on SQLite the transaction's BEGIN too
    # (db/engine.py begins it)
    assert statements.count == 4 + (1 if db.settings.is_sqlite else 0), statements.statements
    if seen is not None:
        assert seen == {
            "Questions": 5,
            "Com_select": 3,
            "Com_commit": 1,
            "Com_rollback": 0,
            "Com_set_option": 0,
            "Com_admin_commands": 1,  # the write pool's pre-ping, which Questions leaves out
        }
