"""A clock record correction dates its employee's activities again in a fixed number of
statements, whatever the number of activities that move: counted by the client and, on
MariaDB, by the server itself (transaction statements included)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from db import models
from db.engine import Database
from tests import helpers
from tests.helpers import ADMIN, GraphQLClient, ServerStatements, StatementCounter, utc

CLOCK = """mutation($input: ClockRecordInput!) {
  correctClockRecord(input: $input) { clockRecord { workDate } errors { code } } }"""
THURSDAY, FRIDAY = date(2026, 11, 19), date(2026, 11, 20)


def night(code: str, day: int = 20) -> dict[str, str]:
    """22:00 to 06:00 in Chicago: a record of the day before ``day`` (UTC)."""
    return {"employeeCode": code, "clockIn": f"2026-11-{day}T04:00:00+00:00",
            "clockOut": f"2026-11-{day}T12:00:00+00:00", "reason": "forgot to clock in"}  # fmt: skip


@pytest.mark.parametrize("n", [1, 20])
async def test_a_correction_costs_the_same_statements_for_1_or_20_activities_it_moves(
    db: Database,
    gql: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    n: int,
) -> None:
    await helpers.add(
        db, models.User(id=ADMIN.user_id, email=ADMIN.email, password_hash="-", role="ADMIN")
    )
    team = await helpers.team(db, key="dock", timezone="America/Chicago")
    role = await helpers.role(db, key="pick", expected_per_hour=60)
    await helpers.employee(db, code="W1", team_id=team.id)  # for the warm-up
    person = await helpers.employee(db, code="N1", team_id=team.id)
    starts = [utc(2026, 11, 20, 8) + timedelta(minutes=10 * k) for k in range(n)]  # 02:00 Friday
    await helpers.add(db, *(helpers.activity(person, role, s, 1, work_date=FRIDAY) for s in starts))
    warmed = (await gql.data(CLOCK, input=night("W1", 13)))["correctClockRecord"]  # pools warm
    await helpers.warm_reads(db)

    statements.counting = True
    if server is not None:
        server.start()
    added = (await gql.data(CLOCK, input=night("N1")))["correctClockRecord"]
    seen = server.stop() if server is not None else None
    statements.counting = False

    assert warmed == {"clockRecord": {"workDate": "2026-11-12"}, "errors": []}
    assert added == {"clockRecord": {"workDate": "2026-11-19"}, "errors": []}
    async with db.read_session() as session:
        dates = (
            await session.scalars(
                select(models.Activity.work_date).where(models.Activity.employee_id == person.id)
            )
        ).all()
    assert dates == [THURSDAY] * n
    # The employee, records it would overlap, its zone (3 SELECTs); insert the record and its
    # audit (2); the activities near it, the clock records holding them (2 SELECTs), one UPDATE
    # of those that move (1); the refresh of Thursday (13) and of Friday, now empty (8). On
    # SQLite the write transaction's BEGIN too (db/engine.py begins it).
    begin = 1 if db.settings.is_sqlite else 0
    assert statements.count == 29 + begin, [s[:90] for s in statements.statements]
    if seen is not None:  # as MariaDB counts them: the client's 29, and COMMIT
        assert seen == {
            "Questions": 30,
            "Com_select": 18,
            "Com_commit": 1,
            "Com_rollback": 0,
            "Com_set_option": 0,
            "Com_admin_commands": 1,  # the write pool's pre-ping, which Questions leaves out
        }
