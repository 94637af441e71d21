"""CSV cells a spreadsheet never runs as formulas: a formula character at the start of a cell,
or after a character some locale splits cells at, is made text with a leading apostrophe, and
such a cell is always quoted; numbers stay numbers."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.csv_cells import csv_text
from services.daily_reports import build_reports
from services.users import UserRole
from tests import helpers
from tests.helpers import NOW, bearer, gid


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("Ines;=cmd|' /C calc'!A0;", "\"Ines;'=cmd|' /C calc'!A0;\""),
        ("=1+1", '"\'=1+1"'),
        ("@SUM(A1:A9)", '"\'@SUM(A1:A9)"'),
        ("+1", '"\'+1"'),
        ("-2", '"\'-2"'),
        ("\t=1", "\"'\t'=1\""),
        ("\r=1", "\"'\r'=1\""),
        ("a,=b", '"a,\'=b"'),
        ("a|@b", '"a|\'@b"'),
        ("a\t-b", '"a\t\'-b"'),
        ("a;+b", '"a;\'+b"'),
        ("first\n=HYPERLINK(x)", '"first\n\'=HYPERLINK(x)"'),
        ("\uff1d1+1", '"\'\uff1d1+1"'),  # a full-width equals sign
        ('say "=hi"', '"say ""=hi"""'),  # a quote is not a separator
        ("a;b", '"a;b"'),  # a separator alone: quoted, so no locale splits it
        ("e-mail a+b@c", "e-mail a+b@c"),  # formula characters inside a word
        ("Ann", "Ann"),
        ("", ""),
        (None, ""),
        (-3.5, "-3.5"),  # numbers are numbers
        (-4, "-4"),
        (150.0, "150.0"),
    ],
)
def test_a_cell(value: Any, written: str) -> None:
    assert csv_text([("x", value)]) == f"x,{written}\n"


def test_rows() -> None:
    assert csv_text([("section", "name", "value"), ("top", "=1+1", 2)]) == (
        'section,name,value\ntop,"\'=1+1",2\n'
    )


async def test_the_daily_reports_csv_writes_a_formula_name_as_text(
    db: Database, client: httpx.AsyncClient
) -> None:
    day = date(2026, 11, 20)
    team = await helpers.team(db, key="floor")
    ines = await helpers.employee(db, code="-1", name="Ines;=cmd|' /C calc'!A0;", team_id=team.id)
    await helpers.add(db, helpers.score(ines, day, points_earned=5.0, items_processed=3))
    async with db.session() as session, session.begin():
        await session.execute(update(models.DailyScore).values(is_final=True))
    await db.write(lambda s: build_reports(session=s, work_date=day, now=NOW))
    manager = Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset({team.id}))

    response = await client.get(
        "/reports/daily.csv",
        params={"teamId": gid("Team", team.id), "date": day.isoformat()},
        headers=bearer(manager),
    )

    assert [line for line in response.text.splitlines() if line.startswith("top_performer")] == [
        "top_performer,1,\"'-1\",\"Ines;'=cmd|' /C calc'!A0;\",,points,5.0",
        "top_performer,1,\"'-1\",\"Ines;'=cmd|' /C calc'!A0;\",,items,3",
        "top_performer,1,\"'-1\",\"Ines;'=cmd|' /C calc'!A0;\",,productivity,",
    ]
