"""``voidClockRecord``: a wrong clock record stops counting, kept with when and why; its
activities are dated again and its day scored again; a Connecteam sync leaves it void. And
``correctClockRecord`` refuses a record overlapping another of the same employee (its time
would count twice), naming the other one."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.connecteam.clock_sync import DaySynced, Wanted, apply_day
from services.connecteam.people import People
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, GraphQLClient, gid, utc

VOID = """mutation($id: ID!, $reason: String!) {
  voidClockRecord(id: $id, reason: $reason) {
    clockRecord { id clockIn voidedAt source breaks { start end } }
    errors { field code message } } }"""
CLOCK = """mutation($input: ClockRecordInput!) {
  correctClockRecord(input: $input) { clockRecord { id } errors { field code message } } }"""
THURSDAY, FRIDAY = date(2026, 11, 19), date(2026, 11, 20)
NIGHT_BREAK = (utc(2026, 11, 20, 6), utc(2026, 11, 20, 6, 30))


@pytest.fixture
async def night(db: Database) -> dict[str, Any]:
    """A Connecteam night shift from 22:00 Thursday to 06:00 Friday (Chicago) with a break; an
    activity at 02:00 Friday it dates Thursday, and one Friday afternoon."""
    await helpers.users(db, ADMIN)
    team = await helpers.team(db, timezone="America/Chicago")
    role = await helpers.role(db, expected_per_hour=60)
    person = await helpers.employee(db, code="V1", team_id=team.id)
    record = models.ClockRecord(employee_id=person.id, clock_in=utc(2026, 11, 20, 4),
                                clock_out=utc(2026, 11, 20, 12), work_date=THURSDAY,
                                source="connecteam", external_id="ct-1")  # fmt: skip
    early = helpers.activity(person, role, utc(2026, 11, 20, 8), 10, work_date=THURSDAY)
    late = helpers.activity(person, role, utc(2026, 11, 20, 15), 30, work_date=FRIDAY)
    await helpers.add(db, record, early, late)
    await helpers.add(db, models.ClockBreak(clock_record_id=record.id, start=NIGHT_BREAK[0],
                                            end=NIGHT_BREAK[1]))  # fmt: skip
    await helpers.refresh_days(db, THURSDAY, FRIDAY, now=NOW)
    return {"person": person, "record": record, "early": early, "late": late}


async def scores(db: Database) -> dict[date, tuple[int, float]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.DailyScore.work_date, models.DailyScore.items_processed,
                   models.DailyScore.clocked_minutes)
        )  # fmt: skip
        return {day: (items, clocked) for day, items, clocked in rows}


async def counts(db: Database) -> list[int]:
    async with db.read_session() as session:
        return [
            await session.scalar(select(func.count()).select_from(model)) or 0
            for model in (models.AuditLog, models.ClockRecord, models.ClockBreak)
        ]


async def test_a_voided_record_stops_counting_and_its_activities_are_dated_again(
    db: Database, gql: GraphQLClient, night: dict[str, Any]
) -> None:
    record = gid("ClockRecord", night["record"].id)
    before = await scores(db)

    voided = (await gql.data(VOID, id=record, reason="not her shift"))["voidClockRecord"]

    assert before == {THURSDAY: (10, 480.0), FRIDAY: (30, 0.0)}
    assert voided == {
        "clockRecord": {
            "id": record,
            "clockIn": "2026-11-20T04:00:00+00:00",
            "voidedAt": "2026-11-20T20:30:00+00:00",
            "source": "correction",
            "breaks": [{"start": "2026-11-20T06:00:00+00:00", "end": "2026-11-20T06:30:00+00:00"}],
        },
        "errors": [],
    }
    # 02:00 Friday belongs to no record now: Friday's; Thursday has nothing left to score
    assert await scores(db) == {FRIDAY: (40, 0.0)}
    async with db.read_session() as session:
        dated = await session.scalar(
            select(models.Activity.work_date).where(models.Activity.id == night["early"].id)
        )
        entry = (
            await session.execute(
                select(models.AuditLog.action, models.AuditLog.reason, models.AuditLog.before,
                       models.AuditLog.after)
            )
        ).one()  # fmt: skip
    assert dated == FRIDAY
    action, reason, was, now = entry
    kept_break = [{"start": "2026-11-20T06:00:00+00:00", "end": "2026-11-20T06:30:00+00:00"}]
    assert (action, reason) == ("void", "not her shift")
    assert (was["voided_at"], was["source"], was["breaks"]) == (None, "connecteam", kept_break)
    assert (now["voided_at"], now["void_reason"], now["source"], now["breaks"]) == (
        "2026-11-20T20:30:00+00:00", "not her shift", "correction", kept_break,
    )  # fmt: skip


async def test_voiding_twice_or_correcting_a_void_record_is_a_conflict(
    db: Database, gql: GraphQLClient, night: dict[str, Any]
) -> None:
    record = gid("ClockRecord", night["record"].id)
    await gql.data(VOID, id=record, reason="not her shift")
    before = (await scores(db), await counts(db))

    again = (await gql.data(VOID, id=record, reason="again"))["voidClockRecord"]
    fixed = await gql.data(CLOCK, input={"id": record, "clockIn": "2026-11-20T04:00:00+00:00",
                                         "clockOut": "2026-11-20T10:00:00+00:00",
                                         "reason": "back"})  # fmt: skip
    missing = (await gql.data(VOID, id=gid("ClockRecord", 999_999), reason="x"))["voidClockRecord"]

    assert again == {
        "clockRecord": None,
        "errors": [
            {"field": "id", "code": "CONFLICT", "message": "this clock record is already void"}
        ],
    }
    assert fixed["correctClockRecord"]["errors"] == [
        {
            "field": "id",
            "code": "CONFLICT",
            "message": "this clock record is void: it cannot be corrected",
        }
    ]
    assert missing["errors"] == [
        {"field": "id", "code": "NOT_FOUND", "message": "no such clock record"}
    ]
    assert (await scores(db), await counts(db)) == before == ({FRIDAY: (40, 0.0)}, [1, 1, 1])


async def sync_thursday(db: Database, person: models.Employee, *shifts: str) -> DaySynced:
    """Thursday's Connecteam shifts as the worker applies them (``shifts``: those it still has)."""
    wanted = [
        Wanted(shift_id, person.id, utc(2026, 11, 20, 4), utc(2026, 11, 20, 12), THURSDAY,
               (NIGHT_BREAK,))
        for shift_id in shifts
    ]  # fmt: skip
    people = People({7: person.id}, {person.id: person.team_id}, {}, "America/Chicago")
    return await db.write(
        lambda session: apply_day(
            session=session, day=THURSDAY, wanted=wanted, fetched_ids=frozenset(shifts),
            in_range=True, people=people, now=NOW, idle_threshold=timedelta(minutes=15),
            goal=100.0,
        )
    )  # fmt: skip


async def test_a_voided_connecteam_record_does_not_come_back_at_the_next_sync(
    db: Database, gql: GraphQLClient, night: dict[str, Any]
) -> None:
    await gql.data(VOID, id=gid("ClockRecord", night["record"].id), reason="not her shift")

    still_there = await sync_thursday(db, night["person"], "ct-1")
    gone = await sync_thursday(db, night["person"])

    assert (still_there.created, still_there.updated, still_there.kept_corrected) == (0, 0, 1)
    assert (gone.deleted, gone.refreshed) == (0, set())
    async with db.read_session() as session:
        kept = (
            await session.execute(
                select(models.ClockRecord.external_id, models.ClockRecord.voided_at)
            )
        ).all()
    assert [tuple(r) for r in kept] == [("ct-1", utc(2026, 11, 20, 20, 30))]
    assert await scores(db) == {FRIDAY: (40, 0.0)}


async def test_a_voided_open_record_is_not_clocked_in(
    db: Database, gql: GraphQLClient, night: dict[str, Any]
) -> None:
    person = gid("Employee", night["person"].id)
    query = """query($id: ID!) { employee(id: $id) { isClockedIn } }"""
    added = await gql.data(CLOCK, input={"employeeCode": "V1", "clockIn": "2026-11-20T14:00:00+00:00",
                                         "reason": "clocked in on paper"})  # fmt: skip
    clocked_in = (await gql.data(query, id=person))["employee"]

    await gql.data(VOID, id=added["correctClockRecord"]["clockRecord"]["id"], reason="wrong person")

    assert clocked_in == {"isClockedIn": True}
    assert (await gql.data(query, id=person))["employee"] == {"isClockedIn": False}
    assert await scores(db) == {THURSDAY: (10, 480.0), FRIDAY: (30, 0.0)}


async def test_an_overlapping_record_is_refused_naming_the_other(
    db: Database, gql: GraphQLClient, night: dict[str, Any]
) -> None:
    other = gid("ClockRecord", night["record"].id)
    overlapping = {"employeeCode": "V1", "clockIn": "2026-11-20T10:00:00+00:00",
                   "clockOut": "2026-11-20T14:00:00+00:00", "reason": "double entry"}  # fmt: skip
    before = (await scores(db), await counts(db))

    refused = (await gql.data(CLOCK, input=overlapping))["correctClockRecord"]
    unchanged = (await scores(db), await counts(db))
    adjacent = await gql.data(CLOCK, input={**overlapping, "clockIn": "2026-11-20T12:00:00+00:00"})
    moved = await gql.data(CLOCK, input={**overlapping,
                                         "id": adjacent["correctClockRecord"]["clockRecord"]["id"]})  # fmt: skip
    await gql.data(VOID, id=other, reason="the paper sheet is right")
    replaced = await gql.data(CLOCK, input=overlapping)

    conflict = {
        "field": "clockIn",
        "code": "CONFLICT",
        "message": f"it overlaps clock record {other} of the same employee: fix or void that one",
    }
    assert refused == {"clockRecord": None, "errors": [conflict]}
    assert unchanged == before
    assert adjacent["correctClockRecord"]["errors"] == []  # touching is not overlapping
    assert moved["correctClockRecord"] == {"clockRecord": None, "errors": [conflict]}
    assert replaced["correctClockRecord"]["errors"] == [
        {
            "field": "clockIn",
            "code": "CONFLICT",
            "message": "it overlaps clock record "
            f"{adjacent['correctClockRecord']['clockRecord']['id']} of the same employee: "
            "fix or void that one",
        }
    ]


async def test_a_record_replacing_a_voided_one_counts_once(
    db: Database, gql: GraphQLClient, night: dict[str, Any]
) -> None:
    await gql.data(VOID, id=gid("ClockRecord", night["record"].id), reason="wrong times")

    added = await gql.data(CLOCK, input={"employeeCode": "V1", "reason": "right times",
                                         "clockIn": "2026-11-20T05:00:00+00:00",
                                         "clockOut": "2026-11-20T11:00:00+00:00"})  # fmt: skip

    assert added["correctClockRecord"]["errors"] == []
    # 23:00 Thursday to 05:00 Friday: 360 minutes, the voided 480 not among them
    assert await scores(db) == {THURSDAY: (10, 360.0), FRIDAY: (30, 0.0)}


async def test_only_admins_void_clock_records(
    db: Database, gql: GraphQLClient, night: dict[str, Any]
) -> None:
    manager = Viewer(
        user_id=2, role=UserRole.MANAGER, team_ids=frozenset({night["person"].team_id})
    )
    before = (await scores(db), await counts(db))

    body = await gql.signed_in_as(manager).execute(
        VOID, id=gid("ClockRecord", night["record"].id), reason="x"
    )

    assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"]
    assert (await scores(db), await counts(db)) == before
