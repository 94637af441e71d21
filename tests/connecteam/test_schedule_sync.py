"""sync_schedules against the fake Connecteam, and the ``schedule`` query.

Tick 2026-11-20 10:30 in Chicago: the window is Nov 20 to Dec 3. Shift "a" (Nov 21 09:00-17:00
local) is K1's and K2's; "open" has nobody; "x" is a stranger's; "late" starts after the
window; 600 more of K1's shifts, one a minute on Nov 25, cross the 500-shift page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.connecteam.models import ScheduledShift
from services.connecteam.people import mapped_people
from services.connecteam.schedule_sync import apply_schedules
from services.jobs import Job
from services.users import UserRole
from tasks.registry import Actors
from tests import helpers
from tests.helpers import Backend, GraphQLClient, ServerStatements, StatementCounter, utc
from tests.helpers_connecteam import FakeConnecteam, run, syncing

TICK = "2026-11-20T10:30"


def planned(shift_id: str, start: datetime, hours: int, *users: int) -> dict[str, Any]:
    return {"id": shift_id, "color": "#fff", "title": f"shift {shift_id}", "isOpenShift": not users,
            "isPublished": True, "shiftDetails": {}, "timezone": "America/Chicago",
            "startTime": int(start.timestamp()),
            "endTime": int((start + timedelta(hours=hours)).timestamp()),
            "assignedUserIds": list(users)}  # fmt: skip


@pytest.fixture
def fake() -> FakeConnecteam:
    many = [
        planned(f"m{n}", utc(2026, 11, 25, 14) + timedelta(minutes=n), 1, 1) for n in range(600)
    ]
    return FakeConnecteam(
        schedulers=[{"schedulerId": 5, "name": "Floor", "isArchived": False,
                     "timezone": "America/Chicago"},
                    {"schedulerId": 6, "name": "Old", "isArchived": True,
                     "timezone": "America/Chicago"}],
        scheduled={5: [planned("a", utc(2026, 11, 21, 15), 8, 1, 2),
                       planned("open", utc(2026, 11, 21, 15), 8),
                       planned("x", utc(2026, 11, 22, 15), 8, 3),
                       planned("late", utc(2026, 12, 4, 15), 8, 1), *many],
                   6: [planned("old", utc(2026, 11, 21, 15), 8, 1)]},
    )  # fmt: skip


@pytest.fixture
async def actors(
    backend: Backend, fake: FakeConnecteam
) -> AsyncIterator[tuple[StubBroker, Actors]]:
    async with syncing(
        backend, fake, (models.ScheduledShift, models.SyncRun, models.JobRun)
    ) as running:
        yield running


@pytest.fixture
async def team(db: Database) -> models.Team:
    floor = await helpers.team(db, key="floor")
    await helpers.employee(db, code="K1", connecteam_user_id="1", team_id=floor.id)
    await helpers.employee(db, code="K2", connecteam_user_id="2", team_id=floor.id)
    return floor


async def rows(db: Database) -> tuple[list[tuple[Any, ...]], int]:
    async with db.read_session() as session:
        shown = await session.execute(
            select(models.ScheduledShift.external_id, models.Employee.code,
                   models.ScheduledShift.team_id, models.ScheduledShift.start,
                   models.ScheduledShift.end, models.ScheduledShift.work_date)
            .join(models.Employee).where(~models.ScheduledShift.external_id.like("m%"))
            .order_by(models.ScheduledShift.external_id)
        )  # fmt: skip
        many = await session.scalar(
            select(func.count()).where(models.ScheduledShift.external_id.like("m%"))
        )
        return [tuple(r) for r in shown], int(many or 0)


async def test_schedules_synced_paged_reconciled_and_read_by_team(
    db: Database, team: models.Team, fake: FakeConnecteam, actors: tuple[StubBroker, Actors]
) -> None:
    broker, declared = actors

    await run(broker, lambda: declared[Job.SYNC_SCHEDULES].send(TICK))
    first = await rows(db)
    await run(broker, lambda: declared[Job.SYNC_SCHEDULES].send("2026-11-20T11:00"))  # unchanged
    # In Connecteam: K2 is taken off "a", which now starts an hour later; 100 of the many go.
    fake.scheduled[5][0] = planned("a", utc(2026, 11, 21, 16), 8, 1)
    fake.scheduled[5] = fake.scheduled[5][:504]
    await run(broker, lambda: declared[Job.SYNC_SCHEDULES].send("2026-11-20T11:30"))
    second = await rows(db)

    a_start, a_end = utc(2026, 11, 21, 15), utc(2026, 11, 21, 23)
    assert first == ([("a:1", "K1", team.id, a_start, a_end, date(2026, 11, 21)),
                      ("a:2", "K2", team.id, a_start, a_end, date(2026, 11, 21))], 600)  # fmt: skip
    assert second == ([("a:1", "K1", team.id, utc(2026, 11, 21, 16), utc(2026, 11, 22, 0),
                        date(2026, 11, 21))], 500)  # fmt: skip
    async with db.read_session() as session:
        runs = (await session.execute(
            select(models.SyncRun.key, models.SyncRun.range_start, models.SyncRun.range_end,
                   models.SyncRun.counts).order_by(models.SyncRun.id)
        )).all()  # fmt: skip
    window = (date(2026, 11, 20), date(2026, 12, 3))
    assert [tuple(r) for r in runs] == [
        (TICK, *window, {"calls": 3, "pages": 3, "shifts": 603, "unassigned": 2, "created": 602,
                         "updated": 0, "deleted": 0}),
        ("2026-11-20T11:00", *window, {"calls": 3, "pages": 3, "shifts": 603, "unassigned": 2, "created": 0,
                                       "updated": 0, "deleted": 0}),
        ("2026-11-20T11:30", *window, {"calls": 3, "pages": 3, "shifts": 503, "unassigned": 2, "created": 0,
                                       "updated": 1, "deleted": 101}),
    ]  # fmt: skip
    # one request for the schedulers, two pages of shifts of the active one
    assert [(p, q.get("offset")) for p, q in fake.requests[:3]] == [
        ("/scheduler/v1/schedulers", None),
        ("/scheduler/v1/schedulers/5/shifts", "0"),
        ("/scheduler/v1/schedulers/5/shifts", "500"),
    ]


async def test_schedule_is_for_the_teams_managers_and_admins(
    db: Database, team: models.Team, gql: GraphQLClient
) -> None:
    k1 = await db.read(
        lambda s: s.scalar(select(models.Employee.id).where(models.Employee.code == "K1"))
    )
    await helpers.add(
        db,
        models.ScheduledShift(employee_id=k1, team_id=team.id, start=utc(2026, 11, 21, 15),
                              end=utc(2026, 11, 21, 23), work_date=date(2026, 11, 21),
                              title="floor", external_id="a:1"),
    )  # fmt: skip
    query = """query($t: ID!, $from: Date!, $to: Date!) {
      schedule(teamId: $t, from: $from, to: $to) { start end workDate title employee { code } } }"""
    team_id = helpers.gid("Team", team.id)
    manager = Viewer(user_id=77, email="m@example.com", role=UserRole.MANAGER,
                     team_ids=frozenset({team.id}))  # fmt: skip
    other = Viewer(user_id=78, email="o@example.com", role=UserRole.MANAGER,
                   team_ids=frozenset({team.id + 1}))  # fmt: skip

    def days(first: str, last: str) -> dict[str, str]:
        return {"t": team_id, "from": first, "to": last}

    shown = await gql.signed_in_as(manager).data(query, **days("2026-11-21", "2026-11-22"))
    admin = await gql.data(query, **days("2026-11-22", "2026-11-30"))
    refused = await gql.signed_in_as(other).execute(query, **days("2026-11-21", "2026-11-22"))
    too_long = await gql.execute(query, **days("2026-11-01", "2027-01-31"))

    assert shown == {"schedule": [{"start": "2026-11-21T15:00:00+00:00", "end": "2026-11-21T23:00:00+00:00",
                                   "workDate": "2026-11-21", "title": "floor",
                                   "employee": {"code": "K1"}}]}  # fmt: skip
    assert admin == {"schedule": []}
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert [e["message"] for e in too_long["errors"]] == ["a schedule spans at most 62 days"]


@pytest.mark.parametrize("n", [1, 40])
async def test_a_sync_is_two_statements_for_1_shift_or_40(
    db: Database,
    team: models.Team,
    statements: StatementCounter,
    server: ServerStatements | None,
    n: int,
) -> None:
    """The rows of the window, and one multi-row INSERT (then, changed: one UPDATE)."""
    people = await db.read(lambda s: mapped_people(s, "America/Chicago"))
    window = (utc(2026, 11, 20, 6), utc(2026, 12, 4, 6))

    async def apply(hours: int) -> tuple[int, dict[str, int] | None]:
        shifts = [ScheduledShift.model_validate(planned(f"p{k}", utc(2026, 11, 21, 15), hours, 1))
                  for k in range(n)]  # fmt: skip
        await helpers.warm_reads(db)
        statements.statements.clear()
        statements.counting = True
        if server is not None:
            server.start()
        await db.write(
            lambda s: apply_schedules(session=s, shifts=shifts, window=window, people=people,
                                      now=utc(2026, 11, 20, 16))
        )  # fmt: skip
        seen = server.stop() if server is not None else None
        statements.counting = False
        return statements.count, seen

    created, changed = await apply(8), await apply(9)

    begin = 1 if db.settings.is_sqlite else 0  # the BEGIN db/engine.py sends on SQLite
    assert (created[0], changed[0]) == (2 + begin, 2 + begin)
    if server is not None:  # and the COMMIT, as MariaDB counts them, and the pre-ping
        counted = [(seen or {}).get(k) for seen in (created[1], changed[1])
                   for k in ("Questions", "Com_admin_commands")]  # fmt: skip
        assert counted == [3, 1, 3, 1]
