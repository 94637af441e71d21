"""staffingPlan, hand-computed. Team in Chicago, Monday 2026-11-23; the last 4 Mondays are
Nov 16, Nov 9, Nov 2 and Oct 26 (still daylight time: 09:05 local is 14:05 UTC).

- 09:00: pick 120 (Nov 16) + 60 (Nov 9), pack 30 (Oct 26) → items 210 / 4 = 52.5; needed
  180 / 4 / 60 + 30 / 4 / 30 = 0.75 + 0.25 = 1.0 person.
- 10:00: pack 40 (Nov 16) → items 10, needed 40 / 4 / 30 = 0.33.
- Not counted: another team's 1,000 and a void 500.
- Scheduled on the 23rd: A 08:30-17:00, B 09:00-10:00, and C's night shift from the 22nd
  until 02:00 → 00:00 and 01:00 have 1 each, 08:00 has 0.5, 09:00 has 2, 10:00-16:00 1.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.staffing.plan import local_hours, staffing_plan
from services.users import UserRole
from tests import helpers
from tests.helpers import GraphQLClient, ServerStatements, StatementCounter, utc

CHICAGO = ZoneInfo("America/Chicago")
DAY = date(2026, 11, 23)


def local(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO)


async def test_a_plan_per_local_hour(
    db: Database,
    gql: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
) -> None:
    floor = await helpers.team(db, key="floor", timezone="America/Chicago")
    dock = await helpers.team(db, key="dock", timezone="America/Chicago")
    pick = await helpers.role(db, key="pick", expected_per_hour=60)
    pack = await helpers.role(db, key="pack", expected_per_hour=30)
    a, b, c = [await helpers.employee(db, team_id=floor.id) for _ in range(3)]
    stranger = await helpers.employee(db, team_id=dock.id)

    def did(
        who: models.Employee, role: models.Role, at: datetime, items: int, **more: object
    ) -> models.Activity:
        return helpers.activity(who, role, at, items, work_date=at.date(), **more)

    await helpers.add(
        db,
        did(a, pick, local(11, 16, 9, 10), 120),
        did(b, pick, local(11, 9, 9, 30), 60),
        did(a, pack, local(10, 26, 9, 5), 30),
        did(b, pack, local(11, 16, 10), 40),
        did(stranger, pick, local(11, 16, 9), 1000),
        did(a, pick, local(11, 9, 9), 500, voided_at=utc(2026, 11, 9, 20), void_reason="x"),
        models.ScheduledShift(employee_id=a.id, team_id=floor.id, start=local(11, 23, 8, 30),
                              end=local(11, 23, 17), work_date=DAY),
        models.ScheduledShift(employee_id=b.id, team_id=floor.id, start=local(11, 23, 9),
                              end=local(11, 23, 10), work_date=DAY),
        models.ScheduledShift(employee_id=c.id, team_id=floor.id, start=local(11, 22, 22),
                              end=local(11, 23, 2), work_date=date(2026, 11, 22)),
    )  # fmt: skip

    query = """query($t: ID!) { staffingPlan(teamId: $t, date: "2026-11-23") { date
      hours { start hour forecastItems staffNeeded staffScheduled gap } } }"""
    answer = (await gql.data(query, t=helpers.gid("Team", floor.id)))["staffingPlan"]
    manager = Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset({dock.id}))
    refused = await gql.signed_in_as(manager).execute(query, t=helpers.gid("Team", floor.id))
    await helpers.warm_reads(db)
    statements.counting = True
    if server is not None:
        server.start()
    await db.read(
        lambda s: staffing_plan(session=s, team_id=floor.id, day=DAY, timezone="America/Chicago")
    )
    seen = server.stop() if server is not None else None
    statements.counting = False

    scheduled = {0: 1.0, 1: 1.0, 8: 0.5, 9: 2.0} | {h: 1.0 for h in range(10, 17)}
    forecast = {9: (52.5, 1.0), 10: (10.0, 0.33)}
    assert answer["date"] == "2026-11-23"
    assert answer["hours"] == [
        {"start": local(11, 23, h).astimezone(ZoneInfo("UTC")).isoformat(), "hour": h,
         "forecastItems": forecast.get(h, (0.0, 0.0))[0],
         "staffNeeded": forecast.get(h, (0.0, 0.0))[1],
         "staffScheduled": scheduled.get(h, 0.0),
         "gap": round(scheduled.get(h, 0.0) - forecast.get(h, (0.0, 0.0))[1], 2)}
        for h in range(24)
    ]  # fmt: skip
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert statements.count == 3  # the activities by role and hour, the roles, the shifts
    if server is not None:  # as MariaDB counts them: the three SELECTs (a read: no COMMIT,
        # no ping)
        kinds = ("Questions", "Com_select", "Com_commit", "Com_rollback", "Com_set_option",
                 "Com_admin_commands")  # fmt: skip
        assert seen == dict(zip(kinds, (3, 3, 0, 0, 0, 0), strict=True))


def test_the_fall_back_day_has_25_hours() -> None:
    hours = local_hours(date(2026, 11, 1), CHICAGO)
    assert len(hours) == 25
    assert [h.astimezone(CHICAGO).hour for h in hours[:4]] == [0, 1, 1, 2]
