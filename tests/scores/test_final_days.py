"""Which work dates are final (``services.final_days``): what the scheduler finalizes when it
catches up, and the check the reports and the KPI push make first."""

from __future__ import annotations

from datetime import date

import pytest

from db.engine import Database
from services.errors import NotFinal
from services.final_days import require_final, unfinalized_days
from tests import helpers

TODAY = date(2026, 11, 20)


async def test_the_days_to_catch_up_are_the_last_weeks_not_final(
    db: Database, statements: helpers.StatementCounter
) -> None:
    a, b = await helpers.employee(db, code="F1"), await helpers.employee(db, code="F2")
    await helpers.add(
        db,
        helpers.score(a, date(2026, 11, 12), is_final=False),  # 8 days ago: too old
        helpers.score(a, date(2026, 11, 13), is_final=False),
        helpers.score(a, date(2026, 11, 18), is_final=True),  # final
        helpers.score(a, date(2026, 11, 19), is_final=True),
        helpers.score(b, date(2026, 11, 19), is_final=False),  # one of two not final
        helpers.score(a, TODAY, is_final=False),  # today's own finalization is at 18:00
    )
    statements.counting = True
    days = await db.read(lambda session: unfinalized_days(session=session, today=TODAY, back=7))
    statements.counting = False

    assert sorted(days) == [date(2026, 11, 13), date(2026, 11, 19)]
    assert statements.count == 1


async def test_a_day_with_a_score_not_final_is_refused(db: Database) -> None:
    a, b = await helpers.employee(db, code="F1"), await helpers.employee(db, code="F2")
    await helpers.add(
        db,
        helpers.score(a, date(2026, 11, 19), is_final=True),
        helpers.score(b, date(2026, 11, 19), is_final=False),
        helpers.score(a, date(2026, 11, 18), is_final=True),
    )

    with pytest.raises(NotFinal, match=r"^1 scores of 2026-11-19 are not final yet$"):
        await db.read(lambda session: require_final(session=session, work_date=date(2026, 11, 19)))
    await db.read(lambda session: require_final(session=session, work_date=date(2026, 11, 18)))
