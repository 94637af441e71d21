"""An export costs the same statements for one day or sixty, as GraphQL and as CSV: the
employee and their team (loaders), the audit entry (its INSERT and COMMIT, before anything
else is read), then the standards applied, the scores, idle periods, flags and activities
of the period, one SELECT each (the activities streamed)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from db import models
from db.engine import Database
from tests import helpers
from tests.helpers import ADMIN, GraphQLClient, ServerStatements, StatementCounter, bearer, gid, utc
from tests.helpers_work_speed import EXPORT

LAST = date(2026, 11, 19)
# employee, team, the audit INSERT, roles, the scores' standard sets, scores, idle periods, flags,
# activities
CLIENT_STATEMENTS = 9
SELECTS = 8


async def period_of(db: Database, days: int) -> models.Employee:
    """An employee with ``days`` days ending on LAST, each with two roles' work, a score, an
    idle period and a flag."""
    team = await helpers.team(db)
    person = await helpers.employee(db, team_id=team.id)
    roles = [await helpers.role(db), await helpers.role(db)]
    rows: list[object] = []
    for n in range(days):
        day = LAST - timedelta(days=n)
        start = utc(day.year, day.month, day.day, 15)
        rows += [
            helpers.activity(person, roles[0], start, 10),
            helpers.activity(person, roles[1], start + timedelta(minutes=10), 20),
            helpers.score(person, day, items_processed=30),
            models.IdlePeriod(employee_id=person.id, work_date=day, minutes=20.0,
                              start=start + timedelta(hours=1),
                              end=start + timedelta(hours=1, minutes=20)),
            models.Flag(rule="LONG_IDLE", subject_key=f"idle:{n}", employee_id=person.id,
                        team_id=team.id, work_date=day, details={}),
        ]  # fmt: skip
    await helpers.add(db, *rows)
    await helpers.users(db, ADMIN)
    return person


@pytest.mark.parametrize("form", ["graphql", "csv"])
@pytest.mark.parametrize("days", [1, 60])
async def test_an_export_costs_the_same_statements_for_one_day_or_sixty(
    db: Database,
    client: httpx.AsyncClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    form: str,
    days: int,
) -> None:
    person = await period_of(db, days)
    first = (LAST - timedelta(days=days - 1)).isoformat()
    employee = gid("Employee", person.id)

    async def export() -> list[str]:
        if form == "graphql":
            gql = GraphQLClient(client, bearer(ADMIN))
            body = await gql.data(EXPORT, employee=employee, **{"from": first}, to="2026-11-19")
            return [d["date"] for d in body["workSpeedExport"]["export"]["days"]]
        response = await client.get(
            "/exports/work-speed.csv",
            params={"employeeId": employee, "from": first, "to": "2026-11-19"},
            headers=bearer(ADMIN),
        )
        assert response.status_code == 200, response.text
        return sorted({line.split(",")[0] for line in response.text.splitlines()[1:]})

    await export()  # the write pool has its connection
    statements.counting = True
    if server is not None:
        server.start()
    exported = await export()
    seen = server.stop() if server is not None else None
    statements.counting = False

    assert len(exported) == days
    begin = 1 if db.settings.is_sqlite else 0  # the BEGIN db/engine.py sends on SQLite
    assert statements.count == CLIENT_STATEMENTS + begin, [s[:80] for s in statements.statements]
    audit = next(n for n, s in enumerate(statements.statements) if s.startswith("INSERT"))
    assert "audit_log" in statements.statements[audit]
    assert audit == 2 + begin, [
        s[:60] for s in statements.statements
    ]  # after the employee and team, before any day is read
    if seen is not None:  # the SELECTs, the INSERT, its COMMIT and the write pool's pre-ping
        assert seen == {
            "Questions": SELECTS + 2, "Com_select": SELECTS, "Com_commit": 1,
            "Com_rollback": 0, "Com_set_option": 0, "Com_admin_commands": 1,
        }  # fmt: skip
