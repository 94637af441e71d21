"""Daily reports, hand-computed: built once the day is final (refused before), built again
identically, read as ``dailyReport`` and as CSV by the team's managers and admins only.

Floor (Chicago): A 150 points / 100 items, B 150 / 120 (a tie on points: more items first),
C 10 / 10; picking at 60/h expected, A picked 30 items in one hour (30/h, 50 %: a
bottleneck). Flags: two LONG_IDLE (one resolved) and a dismissed one, not counted. Dock has
nobody: an empty report.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.daily_reports import build_reports
from services.errors import NotFinal
from services.users import UserRole
from tests import helpers
from tests.helpers import NOW, GraphQLClient, ServerStatements, StatementCounter, bearer, gid, utc

DAY = date(2026, 11, 20)
REPORT = """query($t: ID!, $d: Date!) { dailyReport(teamId: $t, date: $d) { date builtAt
  totals { team { key } headcount working itemsProcessed pointsEarned productivity openFlags }
  topPerformers { rank employee { code } itemsProcessed pointsEarned productivity }
  bottlenecks { role { key } itemsProcessed actualPerHour expectedPerHour ratePercent }
  flags { rule count } } }"""


@pytest.fixture
async def floor(db: Database) -> dict[str, Any]:
    floor = await helpers.team(db, key="floor", timezone="America/Chicago")
    dock = await helpers.team(db, key="dock", timezone="America/Chicago")
    pick = await helpers.role(db, key="pick", expected_per_hour=60)
    a, b, c = [await helpers.employee(db, code=k, name=f"Name {k}", team_id=floor.id)
               for k in ("A", "B", "C")]  # fmt: skip
    scores = {
        a: (100, 150.0, 240.0, 480.0),
        b: (120, 150.0, 300.0, 480.0),
        c: (10, 10.0, 60.0, 480.0),
    }
    await helpers.add(
        db,
        *(helpers.score(e, DAY, items_processed=i, points_earned=p, earned_minutes=m,
                        available_minutes=av, productivity=m * 100 / av, is_final=e is not c)
          for e, (i, p, m, av) in scores.items()),
        helpers.activity(a, pick, utc(2026, 11, 20, 15), 30, work_date=DAY,
                         window_end=utc(2026, 11, 20, 16)),
        *(models.Flag(rule=rule, subject_key=key, employee_id=a.id, team_id=floor.id,
                      work_date=DAY, status=status)
          for rule, key, status in [("LONG_IDLE", "i1", "OPEN"), ("LONG_IDLE", "i2", "RESOLVED"),
                                    ("IMPOSSIBLE_RATE", "r1", "DISMISSED")]),
    )  # fmt: skip
    return {"floor": floor, "dock": dock, "c": c}


@pytest.mark.parametrize("extra", [0, 5])
async def test_building_costs_the_same_statements_for_two_teams_or_seven(
    db: Database,
    floor: dict[str, Any],
    statements: StatementCounter,
    server: ServerStatements | None,
    extra: int,
) -> None:
    for n in range(extra):
        team = await helpers.team(db, key=f"more-{n}")
        person = await helpers.employee(db, code=f"M{n}", team_id=team.id)
        await helpers.add(db, helpers.score(person, DAY, items_processed=n, is_final=True))
    async with db.session() as session, session.begin():
        await session.execute(update(models.DailyScore).values(is_final=True))
    await helpers.warm_reads(db)

    statements.counting = True
    if server is not None:
        server.start()
    built = await build(db)
    seen = server.stop() if server is not None else None
    statements.counting = False

    assert built == 2 + extra
    begin = 1 if db.settings.is_sqlite else 0  # the BEGIN db/engine.py sends on SQLite
    assert statements.count == 12 + begin, statements.statements
    if server is not None:  # the 12, the COMMIT and the write pool's pre-ping
        kinds = ("Questions", "Com_select", "Com_commit", "Com_rollback", "Com_set_option",
                 "Com_admin_commands")  # fmt: skip
        assert seen == dict(zip(kinds, (13, 10, 1, 0, 0, 1), strict=True))


async def build(db: Database) -> int:
    return await db.write(lambda s: build_reports(session=s, work_date=DAY, now=NOW))


async def contents(db: Database) -> list[tuple[Any, ...]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(models.DailyReport.team_id, models.DailyReport.content).order_by(
                models.DailyReport.team_id
            )
        )
        return [tuple(r) for r in rows]


async def test_built_when_final_again_the_same_and_shown(
    db: Database,
    floor: dict[str, Any],
    gql: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
) -> None:
    with pytest.raises(NotFinal, match="1 scores of 2026-11-20 are not final yet"):
        await build(db)
    async with db.session() as session, session.begin():
        await session.execute(update(models.DailyScore).values(is_final=True))
    await helpers.warm_reads(db)
    statements.counting = True
    if server is not None:
        server.start()
    built = await build(db)
    seen = server.stop() if server is not None else None
    statements.counting = False
    first = await contents(db)
    assert await build(db) == built == 2
    assert await contents(db) == first
    # the open scores, the teams, the overviews (4), scores, activities, roles, flags, and
    # the delete and insert (the same for more teams: the test below); on SQLite the
    # transaction's BEGIN too (db/engine.py begins it)
    assert statements.count == 12 + (1 if db.settings.is_sqlite else 0)
    if server is not None:  # as MariaDB counts them: the 12, the COMMIT and the pre-ping
        kinds = ("Questions", "Com_select", "Com_commit", "Com_rollback", "Com_set_option",
                 "Com_admin_commands")  # fmt: skip
        assert seen == dict(zip(kinds, (13, 10, 1, 0, 0, 1), strict=True))

    answer = await gql.data(REPORT, t=gid("Team", floor["floor"].id), d="2026-11-20")
    assert answer == {"dailyReport": {
        "date": "2026-11-20", "builtAt": "2026-11-20T20:30:00+00:00",
        "totals": {"team": {"key": "floor"}, "headcount": 3, "working": 3, "itemsProcessed": 230,
                   "pointsEarned": 310.0, "productivity": 41.7, "openFlags": 1},
        "topPerformers": [
            {"rank": 1, "employee": {"code": "B"}, "itemsProcessed": 120, "pointsEarned": 150.0,
             "productivity": 62.5},
            {"rank": 2, "employee": {"code": "A"}, "itemsProcessed": 100, "pointsEarned": 150.0,
             "productivity": 50.0},
            {"rank": 3, "employee": {"code": "C"}, "itemsProcessed": 10, "pointsEarned": 10.0,
             "productivity": 12.5},
        ],
        "bottlenecks": [{"role": {"key": "pick"}, "itemsProcessed": 30, "actualPerHour": 30.0,
                         "expectedPerHour": 60.0, "ratePercent": 50.0}],
        "flags": [{"rule": "LONG_IDLE", "count": 2}],
    }}  # fmt: skip
    empty = await gql.data(REPORT, t=gid("Team", floor["dock"].id), d="2026-11-20")
    assert empty["dailyReport"]["totals"]["working"] == 0
    assert empty["dailyReport"]["topPerformers"] == []
    assert await gql.data(REPORT, t=gid("Team", floor["dock"].id), d="2026-11-19") == {
        "dailyReport": None
    }


async def test_as_csv_for_the_teams_managers_only(
    db: Database, floor: dict[str, Any], client: httpx.AsyncClient
) -> None:
    await helpers.add(db, models.Employee(code="=1+1", name="@evil", team_id=floor["floor"].id))
    async with db.session() as session, session.begin():
        await session.execute(update(models.DailyScore).values(is_final=True))
        evil = await session.scalar(select(models.Employee).where(models.Employee.code == "=1+1"))
        assert evil is not None
        session.add(helpers.score(evil, DAY, items_processed=1, points_earned=1.0, is_final=True))
    await build(db)
    team = gid("Team", floor["floor"].id)
    manager = Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset({floor["floor"].id}))
    other = Viewer(user_id=6, role=UserRole.MANAGER, team_ids=frozenset({floor["dock"].id}))

    def get(viewer: Viewer | None, **params: str) -> Any:
        headers = bearer(viewer) if viewer else {}
        return client.get("/reports/daily.csv", params=params, headers=headers)

    ok = await get(manager, teamId=team, date="2026-11-20")
    anonymous = await get(None, teamId=team, date="2026-11-20")
    refused = await get(other, teamId=team, date="2026-11-20")
    missing = await get(manager, teamId=team, date="2026-11-19")
    bad = await get(manager, teamId=team, date="yesterday")

    assert ok.status_code == 200
    assert ok.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        ok.headers["content-disposition"]
        == 'attachment; filename="daily-report-floor-2026-11-20.csv"'
    )
    # by hand: 4 employees (with "=1+1"), 231 items, 311 points, 600 / 1440 min = 41.67 %
    assert (
        ok.text
        == """section,rank,employee_code,employee_name,role_key,metric,value
total,,,,,headcount,4
total,,,,,working,4
total,,,,,items,231
total,,,,,points,311.0
total,,,,,earned_minutes,600.0
total,,,,,available_minutes,1440.0
total,,,,,active_available_minutes,0.0
total,,,,,clocked_minutes,0.0
total,,,,,idle_minutes,0.0
total,,,,,open_flags,1
total,,,,,productivity,41.67
total,,,,,utilization,0.0
top_performer,1,B,Name B,,points,150.0
top_performer,1,B,Name B,,items,120
top_performer,1,B,Name B,,productivity,62.5
top_performer,2,A,Name A,,points,150.0
top_performer,2,A,Name A,,items,100
top_performer,2,A,Name A,,productivity,50.0
top_performer,3,C,Name C,,points,10.0
top_performer,3,C,Name C,,items,10
top_performer,3,C,Name C,,productivity,12.5
top_performer,4,"'=1+1","'@evil",,points,1.0
top_performer,4,"'=1+1","'@evil",,items,1
top_performer,4,"'=1+1","'@evil",,productivity,
bottleneck,1,,,pick,items,30
bottleneck,1,,,pick,active_minutes,60.0
bottleneck,1,,,pick,actual_per_hour,30.0
bottleneck,1,,,pick,expected_per_hour,60.0
flag,,,,,LONG_IDLE,2
"""
    )  # a formula-looking code or name is made text and quoted for spreadsheets
    assert (anonymous.status_code, refused.status_code, missing.status_code, bad.status_code) == (
        401, 403, 404, 400,
    )  # fmt: skip
    assert bad.text == "`date` is a date: YYYY-MM-DD, from 1900 to 2999"
