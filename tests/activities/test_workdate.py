"""Dating activities from the clock records that hold their starts (``services.workdate``): a
record holds from its clock-in up to, not including, its clock-out (an open one up to now, every
one at most 16 hours); a void record holds nothing; a start no record holds takes its local
date in the employee's zone. Many starts cost a statement per ``CHUNK`` employees, and many
moves an UPDATE per ``CHUNK`` activities."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from db import models
from db.engine import Database
from services import bulk, workdate
from services.workdate import Placed, Redated, Start, redate, work_dates
from tests import helpers
from tests.helpers import StatementCounter, utc

NOW = utc(2026, 11, 22, 12)  # an open record counts its 16 hours
THURSDAY, FRIDAY, SATURDAY = date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)


def record(
    person: models.Employee, clock_in: datetime, hours: int | None, **fields: Any
) -> models.ClockRecord:
    clock_out = None if hours is None else clock_in + timedelta(hours=hours)
    return models.ClockRecord(employee_id=person.id, clock_in=clock_in, clock_out=clock_out,
                              source="correction", **{"work_date": THURSDAY} | fields)  # fmt: skip


async def dated(db: Database, starts: list[Start], zones: dict[int, str]) -> list[date]:
    return await db.write(
        lambda session: work_dates(session=session, starts=starts, zone=zones.__getitem__, now=NOW)
    )


async def test_a_start_takes_the_date_of_the_record_holding_it_or_its_local_date(
    db: Database,
) -> None:
    night, open_, voided = [await helpers.employee(db) for _ in range(3)]
    await helpers.add(
        db,
        record(night, utc(2026, 11, 20, 4), 8),  # 22:00 Thursday to 06:00 Friday in Chicago
        record(open_, utc(2026, 11, 20, 23), None, work_date=FRIDAY),  # open: counts 16 hours
        record(voided, utc(2026, 11, 20, 4), 8, voided_at=utc(2026, 11, 20, 13)),
    )
    zones = {night.id: "America/Chicago", open_.id: "Asia/Tokyo", voided.id: "America/Chicago"}

    days = await dated(db, [
        (night.id, utc(2026, 11, 20, 4)),  # at clock-in: held
        (night.id, utc(2026, 11, 20, 11, 59)),  # 05:59 Friday: held, a Thursday
        (night.id, utc(2026, 11, 20, 12)),  # at clock-out: not held, 06:00 Friday
        (night.id, utc(2026, 11, 20, 3, 59)),  # before clock-in: 21:59 Thursday
        (open_.id, utc(2026, 11, 21, 14, 59)),  # inside the open record's 16 hours
        (open_.id, utc(2026, 11, 21, 15)),  # past them: 00:00 Sunday in Tokyo
        (voided.id, utc(2026, 11, 20, 8)),  # only a void record: 02:00 Friday in Chicago
    ], zones)  # fmt: skip

    assert days == [THURSDAY, THURSDAY, FRIDAY, THURSDAY, FRIDAY, date(2026, 11, 22), FRIDAY]


async def test_no_starts_cost_no_statement(db: Database, statements: StatementCounter) -> None:
    statements.counting = True
    days = await dated(db, [], {})
    statements.counting = False

    assert days == []
    assert [s for s in statements.statements if s.startswith("SELECT")] == []


@pytest.mark.parametrize("employees", [2, 5])
async def test_starts_cost_a_select_per_chunk_of_employees_and_moves_an_update_per_chunk(
    db: Database, statements: StatementCounter, monkeypatch: pytest.MonkeyPatch, employees: int
) -> None:
    monkeypatch.setattr(workdate, "CHUNK", 2)
    monkeypatch.setattr(bulk, "CHUNK", 2)
    role = await helpers.role(db)
    people = [await helpers.employee(db) for _ in range(employees)]
    await helpers.add(db, *(record(p, utc(2026, 11, 20, 4), 8) for p in people))
    stored = [helpers.activity(p, role, utc(2026, 11, 20, 8), 1, work_date=FRIDAY) for p in people]
    stale = [helpers.activity(p, role, utc(2026, 11, 21, 8), 1, work_date=SATURDAY) for p in people]
    await helpers.add(db, *stored, *stale)
    placed = [Placed(a.id, a.employee_id, a.window_start, a.work_date) for a in stored + stale]

    statements.counting = True
    done = await db.write(
        lambda session: redate(
            session=session, activities=placed, zone=lambda _: "America/Chicago", now=NOW
        )
    )
    statements.counting = False

    chunks = (employees + 1) // 2
    kinds = [s.split()[0] for s in statements.statements if not s.startswith("BEGIN")]
    assert kinds == ["SELECT"] * chunks + ["UPDATE"] * chunks
    assert done == Redated(moved=employees, days={FRIDAY, THURSDAY})
    async with db.read_session() as session:
        days = await session.scalars(
            select(models.Activity.work_date).order_by(models.Activity.window_start)
        )
        assert list(days) == [THURSDAY] * employees + [SATURDAY] * employees
