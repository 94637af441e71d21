"""A day's time-clock sync costs a fixed number of statements, whatever the number of shifts:
one SELECT when nothing changed; the same count for 1 shift as for 40 when they are new, and
when they changed. Counted by the client and, on MariaDB, by the server itself (transaction
statements included)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from db import models
from db.engine import Database
from services.connecteam.clock_sync import apply_day, wanted_by_day
from services.connecteam.people import mapped_people
from services.connecteam.time_clock import ClockIn
from tests import helpers
from tests.helpers import ServerStatements, StatementCounter, utc

DAY = date(2026, 11, 20)
NOW = utc(2026, 11, 21, 12)
ONE_DAY = timedelta(days=1)


def shifts(n: int, hours: int) -> list[ClockIn]:
    return [
        ClockIn(shift_id=f"s{k}", user_id=k, clock_in=utc(2026, 11, 20, 14),
                clock_out=utc(2026, 11, 20, 14 + hours), work_date=DAY,
                breaks=[(utc(2026, 11, 20, 16), utc(2026, 11, 20, 16, 30))])
        for k in range(1, n + 1)
    ]  # fmt: skip


async def sync(db: Database, records: list[ClockIn]) -> None:
    people = await db.read(lambda session: mapped_people(session, "America/Chicago"))
    by_day, _ = wanted_by_day(records, people)
    await db.write(
        lambda session: apply_day(
            session=session, day=DAY, wanted=by_day.get(DAY, []),
            fetched_ids=frozenset(r.shift_id for r in records), in_range=True, people=people,
            now=NOW, idle_threshold=timedelta(minutes=15), goal=100.0,
        )
    )  # fmt: skip


async def counted(
    db: Database,
    statements: StatementCounter,
    server: ServerStatements | None,
    records: list[ClockIn],
) -> tuple[int, dict[str, int] | None]:
    await helpers.warm_reads(db)
    statements.statements.clear()
    statements.counting = True
    if server is not None:
        server.start()
    await sync(db, records)
    seen = server.stop() if server is not None else None
    statements.counting = False
    return statements.count, seen


@pytest.mark.parametrize("n", [1, 40])
async def test_statements_do_not_grow_with_the_shifts(
    db: Database, statements: StatementCounter, server: ServerStatements | None, n: int
) -> None:
    role = await helpers.role(db, key="pick", expected_per_hour=60)
    for k in range(1, n + 1):
        person = await helpers.employee(db, connecteam_user_id=str(k))
        await helpers.add(
            db, helpers.activity(person, role, utc(2026, 11, 20, 15), 10, work_date=DAY)
        )

    created = await counted(db, statements, server, shifts(n, 8))
    unchanged = await counted(db, statements, server, shifts(n, 8))
    changed = await counted(db, statements, server, shifts(n, 7))

    # The mapped employees (1). New: the day's records (1); insert records, read their ids, insert breaks (3); candidate
    # activities (1); the refresh (its fixed 13). Changed: delete and insert the breaks,
    # update the records in one statement (3) instead of the inserts, and the activities the
    # old intervals held (1). Nothing changed: the mapping and the day's records. On SQLite
    # each write transaction's BEGIN too (db/engine.py begins it).
    begin = 1 if db.settings.is_sqlite else 0
    assert (created[0], unchanged[0], changed[0]) == (19 + begin, 2 + begin, 20 + begin)
    if server is not None:  # as MariaDB counts them, with the write pool's pre-ping
        kinds = ("Questions", "Com_select", "Com_commit", "Com_rollback", "Com_set_option",
                 "Com_admin_commands")  # fmt: skip
        assert [created[1], unchanged[1], changed[1]] == [
            dict(zip(kinds, (20, 11, 1, 0, 0, 1), strict=True)),  # the client's 19, and COMMIT
            dict(zip(kinds, (3, 2, 1, 0, 0, 1), strict=True)),
            dict(zip(kinds, (21, 12, 1, 0, 0, 1), strict=True)),
        ]


@pytest.mark.parametrize("n", [1, 40])
async def test_activities_moved_to_the_new_records_day_cost_the_same_for_1_or_40(
    db: Database, statements: StatementCounter, server: ServerStatements | None, n: int
) -> None:
    role = await helpers.role(db, key="pick", expected_per_hour=60)
    for k in range(1, n + 1):
        person = await helpers.employee(db, connecteam_user_id=str(k))
        await helpers.add(  # dated before the shift was known: the next day
            db, helpers.activity(person, role, utc(2026, 11, 20, 15), 10, work_date=DAY + ONE_DAY)
        )

    created = await counted(db, statements, server, shifts(n, 8))

    async with db.read_session() as session:
        dates = (await session.scalars(select(models.Activity.work_date))).all()
    assert dates == [DAY] * n
    # As when the shifts are new, and the clock records holding the activities (1) and one
    # UPDATE of those that move (1); the refresh of the day they left too (8).
    begin = 1 if db.settings.is_sqlite else 0
    assert created[0] == 29 + begin, [s[:90] for s in statements.statements]
    if server is not None:
        kinds = ("Questions", "Com_select", "Com_commit", "Com_rollback", "Com_set_option",
                 "Com_admin_commands")  # fmt: skip
        assert created[1] == dict(zip(kinds, (30, 18, 1, 0, 0, 1), strict=True))
