"""``workSpeedExport``: a hand-computed day (``tests/helpers_work_speed.py``) exactly as the
API shows it, who may ask for whose data, the periods refused, and the audit entry that every
export gets, committed before any data is read; refusals audit nothing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.standard_sets import stamp, standard_set
from services.users import UserRole
from services.work_speed import reads
from tests import helpers
from tests.helpers import ADMIN, NOW, GraphQLClient, StatementCounter, gid, utc
from tests.helpers_work_speed import EXPORT, NOTE, Floor, hand_day


@pytest.fixture
async def floor(db: Database) -> Floor:
    return await hand_day(db)


async def audit_entries(db: Database) -> list[tuple[Any, ...]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.AuditLog.actor_user_id, models.AuditLog.action, models.AuditLog.entity,
                   models.AuditLog.entity_id, models.AuditLog.after)
            .where(models.AuditLog.action == "export_work_speed")
            .order_by(models.AuditLog.id)
        )  # fmt: skip
        return [tuple(row) for row in rows]


def at(hour: int, minute: int = 0) -> str:
    return utc(2026, 11, 19, hour, minute).isoformat()


HAND_DAY = {
    "date": "2026-11-19", "idleThresholdMinutes": 15.0, "productivityGoal": 100.0,
    "score": {"itemsProcessed": 180, "pointsEarned": 285.0, "earnedMinutes": 155.0,
              "activeMinutes": 90.0, "clockedMinutes": 240.0, "breakMinutes": 30.0,
              "availableMinutes": 210.0, "idleMinutes": 120.0, "productivity": 73.8,
              "utilization": 42.9, "isFinal": False},
    "roles": [
        {"key": "packing", "name": "Packing", "pointsPerItem": 0.5, "expectedPerHour": 120.0,
         "items": 50, "points": 25.0, "earnedMinutes": 25.0, "activeMinutes": 20.0,
         "ratePerHour": 150.0,
         "windows": [{"start": at(15), "end": at(15, 20), "minutes": 20.0, "items": 50,
                      "ratePerHour": 150.0}]},
        {"key": "picking", "name": "Picking", "pointsPerItem": 2.0, "expectedPerHour": 60.0,
         "items": 130, "points": 260.0, "earnedMinutes": 130.0, "activeMinutes": 70.0,
         "ratePerHour": 111.43,
         "windows": [{"start": at(14), "end": at(15), "minutes": 60.0, "items": 70,
                      "ratePerHour": 70.0},
                     {"start": at(16, 30), "end": at(16, 40), "minutes": 10.0, "items": 60,
                      "ratePerHour": 360.0}]},
    ],
    "idlePeriods": [{"start": at(15, 20), "end": at(16), "minutes": 40.0},
                    {"start": at(16, 40), "end": at(18), "minutes": 80.0}],
    "flags": [
        {"rule": "IMPOSSIBLE_RATE", "status": "OPEN",
         "details": {"items_per_hour": 360.0, "expected_per_hour": 60.0},
         "resolvedBy": None, "resolvedAt": None, "resolutionNote": None},
        {"rule": "LONG_IDLE", "status": "RESOLVED",
         "details": {"start": at(16, 40), "end": at(18), "minutes": 80.0},
         "resolvedBy": "lead@example.com", "resolvedAt": NOW.isoformat(), "resolutionNote": NOTE},
    ],
}  # fmt: skip


async def export(
    gql: GraphQLClient, viewer: Viewer | None, employee: str, first: str, last: str
) -> dict[str, Any]:
    body = await gql.signed_in_as(viewer).execute(EXPORT, employee=employee, **{"from": first},
                                                  to=last)  # fmt: skip
    assert "errors" not in body, body["errors"]
    found: dict[str, Any] = body["data"]["workSpeedExport"]
    return found


async def test_the_hand_computed_day_is_exported_exactly(
    floor: Floor, gql: GraphQLClient, db: Database
) -> None:
    answer = await export(gql, floor.manager, gid("Employee", floor.ann.id), "2026-11-19",
                          "2026-11-19")  # fmt: skip

    assert answer == {
        "export": {"employee": {"code": "ANN"}, "from": "2026-11-19", "to": "2026-11-19",
                   "days": [HAND_DAY]},
        "errors": [],
    }  # fmt: skip
    assert await audit_entries(db) == [
        (2, "export_work_speed", "employees", str(floor.ann.id),
         {"employee_id": floor.ann.id, "from": "2026-11-19", "to": "2026-11-19",
          "format": "GRAPHQL"}),
    ]  # fmt: skip


async def test_days_come_in_order_whatever_they_hold(
    floor: Floor, gql: GraphQLClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A day with a score only (clocked, no work), one with work not scored yet, one with a
    flag only, around the hand day; streamed a row at a time, they come out the same."""
    picking = floor.picking
    await helpers.add(
        db,
        helpers.score(floor.ann, date(2026, 11, 10), clocked_minutes=60.0),
        helpers.activity(floor.ann, picking, utc(2026, 11, 20, 15), 6),
        models.Flag(rule="FORGOTTEN_CLOCK_OUT", subject_key="clock:x", employee_id=floor.ann.id,
                    team_id=floor.team.id, work_date=date(2026, 11, 15), details={}),
        helpers.activity(floor.bob, picking, utc(2026, 11, 19, 15), 9),  # another's: not here
    )  # fmt: skip
    employee = gid("Employee", floor.ann.id)

    whole = await export(gql, ADMIN, employee, "2026-11-01", "2026-11-20")
    monkeypatch.setattr(reads, "ACTIVITY_BATCH", 1)
    streamed = await export(gql, ADMIN, employee, "2026-11-01", "2026-11-20")

    days = whole["export"]["days"]
    assert [d["date"] for d in days] == ["2026-11-10", "2026-11-15", "2026-11-19", "2026-11-20"]
    assert days[0]["score"]["clockedMinutes"] == 60.0
    assert (days[0]["roles"], days[0]["flags"]) == ([], [])
    assert [(f["rule"], f["status"]) for f in days[1]["flags"]] == [("FORGOTTEN_CLOCK_OUT", "OPEN")]
    assert (days[1]["score"], days[1]["roles"]) == (None, [])
    assert days[2] == HAND_DAY
    assert days[3]["score"] is None
    assert [(r["key"], r["items"], r["windows"]) for r in days[3]["roles"]] == [
        ("picking", 6, [{"start": "2026-11-20T15:00:00+00:00", "end": "2026-11-20T15:10:00+00:00",
                         "minutes": 10.0, "items": 6, "ratePerHour": 36.0}]),
    ]  # fmt: skip
    assert streamed == whole


def viewers(floor: Floor) -> dict[str, Viewer]:
    return {
        "admin": ADMIN,
        "manager": floor.manager,
        "self": floor.own,
        "another team's manager": floor.other_manager,
        "another employee": Viewer(user_id=5, email="bob@example.com", role=UserRole.EMPLOYEE,
                                   employee_id=floor.bob.id),
        "an employee without a record": Viewer(user_id=6, email="x@example.com",
                                               role=UserRole.EMPLOYEE),
    }  # fmt: skip


async def test_the_employee_their_managers_and_admins_may_export_and_no_one_else(
    floor: Floor, gql: GraphQLClient, db: Database
) -> None:
    people = viewers(floor)
    await helpers.users(db, people["another employee"], people["an employee without a record"])
    employee = gid("Employee", floor.ann.id)

    answers = {
        name: await export(gql, viewer, employee, "2026-11-19", "2026-11-19")
        for name, viewer in people.items()
    }

    forbidden = [{"field": "employeeId", "code": "FORBIDDEN", "message": "an employee's "
                  "work-speed data is for them, their team's managers and admins"}]  # fmt: skip
    assert {name: a["errors"] for name, a in answers.items()} == {
        "admin": [], "manager": [], "self": [], "another team's manager": forbidden,
        "another employee": forbidden, "an employee without a record": forbidden,
    }  # fmt: skip
    assert [a["export"]["days"] == [HAND_DAY] for a in answers.values() if a["export"]] == [
        True
    ] * 3
    assert [a["export"] for a in answers.values()][3:] == [None, None, None]
    assert [entry[0] for entry in await audit_entries(db)] == [1, 2, 4]  # who, in turn


async def test_an_unknown_employee_is_not_found_by_admins_and_forbidden_to_others(
    floor: Floor, gql: GraphQLClient, db: Database
) -> None:
    missing = gid("Employee", floor.bob.id + 1000)

    by_admin = await export(gql, ADMIN, missing, "2026-11-19", "2026-11-19")
    by_manager = await export(gql, floor.manager, missing, "2026-11-19", "2026-11-19")
    anonymous = await gql.signed_in_as(None).execute(
        EXPORT, employee=missing, **{"from": "2026-11-19"}, to="2026-11-19"
    )

    assert by_admin == {
        "export": None,
        "errors": [{"field": "employeeId", "code": "NOT_FOUND", "message": "no such employee"}],
    }
    assert [e["code"] for e in by_manager["errors"]] == ["FORBIDDEN"]
    assert anonymous["data"] is None
    assert [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    assert await audit_entries(db) == []


@pytest.mark.parametrize(
    ("first", "last", "error"),
    [
        ("2026-11-19", "2026-11-18", ("to", "`to` is before `from`")),
        ("2026-08-20", "2026-11-18", ("from", "an export covers at most 90 days: `from` is "
                                              "2026-08-21 at the earliest for this `to`")),
        ("2026-11-20", "2026-11-21", ("to", "`to` is after today, 2026-11-20")),
        ("2026-11-21", "2026-11-21", ("to", "`to` is after today, 2026-11-20")),
    ],
)  # fmt: skip
async def test_a_period_out_of_bounds_is_refused_on_its_field(
    floor: Floor, gql: GraphQLClient, db: Database, first: str, last: str, error: tuple[str, str]
) -> None:
    answer = await export(gql, floor.own, gid("Employee", floor.ann.id), first, last)

    field, message = error
    assert answer == {
        "export": None,
        "errors": [{"field": field, "code": "BAD_USER_INPUT", "message": message}],
    }
    assert await audit_entries(db) == []


async def test_ninety_days_are_exported_and_an_id_of_another_kind_is_refused(
    floor: Floor, gql: GraphQLClient, db: Database
) -> None:
    ninety = await export(gql, floor.own, gid("Employee", floor.ann.id), "2026-08-23",
                          "2026-11-20")  # fmt: skip
    team = await export(gql, floor.own, gid("Team", floor.team.id), "2026-11-19", "2026-11-19")

    assert ninety["errors"] == []
    assert [d["date"] for d in ninety["export"]["days"]] == ["2026-11-19"]
    assert team == {
        "export": None,
        "errors": [
            {
                "field": "employeeId",
                "code": "BAD_USER_INPUT",
                "message": f"id '{gid('Team', floor.team.id)}' is of type Team, expected Employee",
            }
        ],
    }
    assert [entry[4]["from"] for entry in await audit_entries(db)] == ["2026-08-23"]


async def test_an_export_that_cannot_be_audited_reads_and_sends_nothing(
    floor: Floor, gql: GraphQLClient, db: Database, statements: StatementCounter
) -> None:
    """The audit entry is committed before the data is read: a viewer whose user row is gone
    (deleted in another process) gets no data, and no day was read."""
    gone = Viewer(user_id=99, email="gone@example.com", role=UserRole.ADMIN)

    statements.counting = True
    answer = await export(gql, gone, gid("Employee", floor.ann.id), "2026-11-19", "2026-11-19")
    statements.counting = False

    assert answer["export"] is None
    assert [e["code"] for e in answer["errors"]] == ["UNAUTHENTICATED"]
    assert not any("activities" in s or "daily_scores" in s for s in statements.statements)
    assert await audit_entries(db) == []


async def test_a_day_shows_the_standards_its_score_was_computed_with(
    floor: Floor, gql: GraphQLClient, db: Database
) -> None:
    async with db.session() as session, session.begin():
        roles = (await session.scalars(select(models.Role))).all()
        recorded = standard_set(roles=roles, idle_threshold=timedelta(minutes=15), goal=100.0)
        await stamp(session=session, standards=recorded, days=[date(2026, 11, 19)], now=NOW)
        await session.execute(
            update(models.DailyScore)
            .where(models.DailyScore.employee_id == floor.ann.id)
            .values(standard_set_id=recorded.id)
        )
        # the standard changes after the day was scored
        await session.execute(
            update(models.Role)
            .where(models.Role.id == floor.picking.id)
            .values(points_per_item=3.0, expected_per_hour=90.0)
        )
    ann = gid("Employee", floor.ann.id)

    scored = await export(gql, floor.manager, ann, "2026-11-19", "2026-11-19")
    async with db.session() as session, session.begin():
        await session.execute(update(models.DailyScore).values(standard_set_id=None))
    unrecorded = await export(gql, floor.manager, ann, "2026-11-19", "2026-11-19")

    assert scored["export"]["days"] == [HAND_DAY]  # picking at 2 points and 60 an hour, as scored
    picking = next(r for r in unrecorded["export"]["days"][0]["roles"] if r["key"] == "picking")
    assert (picking["pointsPerItem"], picking["expectedPerHour"], picking["points"]) == (
        3.0, 90.0, 390.0,
    )  # fmt: skip
