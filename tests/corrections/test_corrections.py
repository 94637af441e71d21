"""Corrections: audited with their reason, and flowing into scores by refreshing the days they
touch — never by patching score rows."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services import finalization
from services.authentication import Viewer
from services.daily_reports import build_reports
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, GraphQLClient, gid, utc

VOID = """mutation($id: ID!, $reason: String!) {
  voidActivity(id: $id, reason: $reason) { activity { voidedAt } errors { field code message } } }"""
CORRECT = """mutation($input: CorrectActivityInput!) {
  correctActivity(input: $input) { activity { itemsCount workDate } errors { field code message } } }"""
CLOCK = """mutation($input: ClockRecordInput!) {
  correctClockRecord(input: $input) { clockRecord { clockIn clockOut workDate } errors { field code message } } }"""
THURSDAY, FRIDAY = date(2026, 11, 19), date(2026, 11, 20)


@pytest.fixture
def now() -> datetime:
    """The app's clock, with microseconds the database does not keep: answers show what is
    stored."""
    return NOW + timedelta(microseconds=123_456)


@pytest.fixture
async def shift(db: Database) -> dict[str, Any]:
    await helpers.add(
        db, models.User(id=ADMIN.user_id, email=ADMIN.email, password_hash="-", role="ADMIN")
    )
    team = await helpers.team(db, key="dock", timezone="America/Chicago")
    role = await helpers.role(db, key="pick", expected_per_hour=60)
    person = await helpers.employee(db, code="N1", team_id=team.id)
    early = helpers.activity(
        person, role, utc(2026, 11, 20, 8), 10, work_date=FRIDAY
    )  # 02:00 Friday
    late = helpers.activity(person, role, utc(2026, 11, 20, 15), 30, work_date=FRIDAY)
    await helpers.add(db, early, late)
    return {"person": person, "early": early, "late": late}


async def day_items(db: Database) -> dict[date, int]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.DailyScore.work_date, models.DailyScore.items_processed)
        )
        return dict(rows.all())


async def trail(db: Database) -> list[tuple[str, str, str | None]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.AuditLog.action, models.AuditLog.entity, models.AuditLog.reason).order_by(
                models.AuditLog.id
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_voiding_an_activity_rescores_its_day(
    db: Database, gql: GraphQLClient, shift: dict[str, Any]
) -> None:
    activity = gid("Activity", shift["late"].id)

    voided = (await gql.data(VOID, id=activity, reason="scanner double count"))["voidActivity"]
    again = (await gql.data(VOID, id=activity, reason="again"))["voidActivity"]
    no_reason = (await gql.data(VOID, id=gid("Activity", shift["early"].id), reason=" "))[
        "voidActivity"
    ]

    assert voided == {"activity": {"voidedAt": "2026-11-20T20:30:00+00:00"}, "errors": []}
    assert again["errors"] == [
        {"field": "id", "code": "CONFLICT", "message": "this activity is already void"}
    ]
    assert no_reason["errors"] == [
        {"field": "reason", "code": "BAD_USER_INPUT", "message": "give 1 to 500 characters"}
    ]
    assert await day_items(db) == {FRIDAY: 10}  # the day refreshed without the voided 30
    assert await trail(db) == [("void", "activities", "scanner double count")]


async def test_a_correction_reaches_a_finalized_day_which_stays_final(
    db: Database, gql: GraphQLClient, shift: dict[str, Any]
) -> None:
    """Last week's data is corrected too: the finalized day is scored again, stays final, and
    what was settled from it (the streak's item total, the team's kept report) follows."""

    async def finalize(session: Any) -> object:
        await finalization.finalize_day(session=session, work_date=FRIDAY, now=NOW,
                                        idle_threshold=timedelta(minutes=15), goal=100.0)  # fmt: skip
        return await build_reports(session=session, work_date=FRIDAY, now=NOW)

    await db.write(finalize)
    report = """query($t: ID!) { dailyReport(teamId: $t, date: "2026-11-20") {
      totals { itemsProcessed } } }"""
    team = gid("Team", shift["person"].team_id)
    before = (await gql.data(report, t=team))["dailyReport"]
    voided = await gql.data(VOID, id=gid("Activity", shift["late"].id), reason="double count")

    async with db.read_session() as session:
        scores = (await session.execute(
            select(models.DailyScore.items_processed, models.DailyScore.is_final)
        )).all()  # fmt: skip
        streak = await session.scalar(select(models.Streak.items_total))
    assert voided["voidActivity"]["errors"] == []
    assert [tuple(r) for r in scores] == [(10, True)]
    assert streak == 10
    assert before == {"totals": {"itemsProcessed": 40}}
    # The cached report was dropped by the correction: the next read shows the kept one rebuilt.
    assert (await gql.data(report, t=team))["dailyReport"] == {"totals": {"itemsProcessed": 10}}


async def test_correcting_an_activity_rescores_the_days_it_leaves_and_joins(
    db: Database, gql: GraphQLClient, shift: dict[str, Any]
) -> None:
    more = await gql.data(
        CORRECT,
        input={"id": gid("Activity", shift["late"].id), "itemsCount": 40, "reason": "recount"},
    )
    moved = await gql.data(CORRECT, input={
        "id": gid("Activity", shift["early"].id), "reason": "clock of the scanner was a day ahead",
        "windowStart": "2026-11-19T15:00:00+00:00", "windowEnd": "2026-11-19T15:10:00+00:00",
    })  # fmt: skip

    assert more["correctActivity"] == {
        "activity": {"itemsCount": 40, "workDate": "2026-11-20"},
        "errors": [],
    }
    assert moved["correctActivity"]["activity"] == {"itemsCount": 10, "workDate": "2026-11-19"}
    assert await day_items(db) == {THURSDAY: 10, FRIDAY: 40}
    assert [a for a, _, _ in await trail(db)] == ["correct", "correct"]


async def test_adding_a_night_shift_moves_its_activities_to_the_day_it_started(
    db: Database, gql: GraphQLClient, shift: dict[str, Any]
) -> None:
    night = {"employeeCode": "N1", "clockIn": "2026-11-20T04:00:00+00:00",  # 22:00 Thursday
             "clockOut": "2026-11-20T12:00:00+00:00", "reason": "forgot to clock in"}  # fmt: skip

    added = (await gql.data(CLOCK, input=night))["correctClockRecord"]
    async with db.read_session() as session:
        dates = dict(
            (
                await session.execute(
                    select(models.Activity.items_count, models.Activity.work_date)
                )
            ).all()
        )
        record_id = await session.scalar(select(models.ClockRecord.id))
    fixed = (await gql.data(CLOCK, input={**night, "id": gid("ClockRecord", record_id or 0),
                                          "clockOut": "2026-11-20T09:00:00+00:00", "reason": "left at 03:00"}))  # fmt: skip

    assert added == {"clockRecord": {"clockIn": "2026-11-20T04:00:00+00:00", "clockOut": "2026-11-20T12:00:00+00:00",
                                     "workDate": "2026-11-19"}, "errors": []}  # fmt: skip
    assert dates == {10: THURSDAY, 30: FRIDAY}  # 02:00 Friday is inside Thursday's night shift
    assert await day_items(db) == {THURSDAY: 10, FRIDAY: 30}
    assert fixed["correctClockRecord"]["clockRecord"]["clockOut"] == "2026-11-20T09:00:00+00:00"
    async with db.read_session() as session:
        clocked = await session.scalar(
            select(models.DailyScore.clocked_minutes).where(models.DailyScore.work_date == THURSDAY)
        )
    assert clocked == 300.0  # 04:00-09:00
    assert [(a, e) for a, e, _ in await trail(db)] == [
        ("add", "clock_records"),
        ("correct", "clock_records"),
    ]


async def test_a_corrected_connecteam_record_is_marked_so_the_sync_leaves_it(
    db: Database, gql: GraphQLClient, shift: dict[str, Any]
) -> None:
    synced = models.ClockRecord(employee_id=shift["person"].id, clock_in=utc(2026, 11, 20, 14),
                                clock_out=utc(2026, 11, 20, 22), work_date=FRIDAY,
                                source="connecteam", external_id="ct-shift-1")  # fmt: skip
    await helpers.add(db, synced)

    await gql.data(CLOCK, input={"id": gid("ClockRecord", synced.id), "employeeCode": "N1",
                                 "clockIn": "2026-11-20T14:00:00+00:00",
                                 "clockOut": "2026-11-20T21:00:00+00:00",
                                 "reason": "left an hour early"})  # fmt: skip

    async with db.read_session() as session:
        kept = (
            await session.execute(
                select(models.ClockRecord.source, models.ClockRecord.external_id,
                       models.ClockRecord.clock_out)
            )
        ).one()  # fmt: skip
    assert tuple(kept) == ("correction", "ct-shift-1", utc(2026, 11, 20, 21))


@pytest.mark.parametrize("mutation", ["void", "correct", "clock"])
async def test_only_admins_correct_and_a_refusal_changes_nothing(
    db: Database, gql: GraphQLClient, shift: dict[str, Any], mutation: str
) -> None:
    documents: dict[str, tuple[str, dict[str, Any]]] = {
        "void": (VOID, {"id": gid("Activity", shift["late"].id), "reason": "x"}),
        "correct": (
            CORRECT,
            {"input": {"id": gid("Activity", shift["late"].id), "itemsCount": 1, "reason": "x"}},
        ),
        "clock": (
            CLOCK,
            {
                "input": {
                    "employeeCode": "N1",
                    "clockIn": "2026-11-20T04:00:00+00:00",
                    "reason": "x",
                }
            },
        ),
    }
    document, variables = documents[mutation]
    manager = Viewer(
        user_id=2, role=UserRole.MANAGER, team_ids=frozenset({shift["person"].team_id})
    )

    body = await gql.signed_in_as(manager).execute(document, **variables)

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with db.read_session() as session:
        counted = [
            await session.scalar(select(func.count()).select_from(m))
            for m in (models.AuditLog, models.ClockRecord, models.DailyScore)
        ]
    assert counted == [0, 0, 0]
    assert await trail(db) == []


async def test_correcting_a_voided_activity_is_a_conflict_and_changes_nothing(
    db: Database, gql: GraphQLClient, shift: dict[str, Any]
) -> None:
    activity = gid("Activity", shift["late"].id)
    await gql.data(VOID, id=activity, reason="scanner double count")

    corrected = await gql.data(CORRECT, input={"id": activity, "itemsCount": 5, "reason": "x"})

    assert corrected["correctActivity"] == {
        "activity": None,
        "errors": [
            {
                "field": "id",
                "code": "CONFLICT",
                "message": "this activity is void: it cannot be corrected",
            }
        ],
    }
    async with db.read_session() as session:
        items = await session.scalar(
            select(models.Activity.items_count).where(models.Activity.id == shift["late"].id)
        )
    assert items == 30
    assert await day_items(db) == {FRIDAY: 10}
    assert await trail(db) == [("void", "activities", "scanner double count")]
