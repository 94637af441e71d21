"""Keyset pagination: the predicate MySQL can serve from an index, and cursors nobody can forge."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import mysql

from db import models
from db.engine import Database
from loaders.activities import ACTIVITY_ORDER
from services import keyset
from services.employees import EMPLOYEE_ORDER
from services.errors import BadCursor
from services.keyset import Key, Keyset
from tests import helpers
from tests.helpers import utc

SECRET = b"one secret"
BY_POINTS = Keyset(
    "scores", (Key(models.DailyScore.points_earned, descending=True), Key(models.DailyScore.id))
)


def sql(keys: Keyset, values: tuple[object, ...]) -> str:
    compiled = keys.after(values).compile(dialect=mysql.dialect())
    return str(compiled).replace("\n", " ")


def test_the_predicate_is_written_without_row_constructors() -> None:
    """With the first column's bound said again, which starts MariaDB's range at the cursor."""
    assert sql(EMPLOYEE_ORDER, ("Ann", 3)) == (
        "employees.name >= %s AND (employees.name > %s OR employees.name = %s AND employees.id > %s)"
    )
    assert sql(BY_POINTS, (12.5, 7)) == (
        "daily_scores.points_earned <= %s AND (daily_scores.points_earned < %s"
        " OR daily_scores.points_earned = %s AND daily_scores.id > %s)"
    )
    assert sql(BY_POINTS.reversed(), (12.5, 7)) == (
        "daily_scores.points_earned >= %s AND (daily_scores.points_earned > %s"
        " OR daily_scores.points_earned = %s AND daily_scores.id < %s)"
    )


def test_a_cursor_gives_back_the_values_of_its_row() -> None:
    activity = models.Activity(id=41, window_start=utc(2026, 11, 20, 14, 5))
    employee = models.Employee(id=3, name="Zoë Ødegård")
    score = models.DailyScore(id=9, points_earned=1520.1999999999998)

    assert ACTIVITY_ORDER.decode(ACTIVITY_ORDER.cursor(activity, secret=SECRET), secret=SECRET) == (
        utc(2026, 11, 20, 14, 5),
        41,
    )
    assert EMPLOYEE_ORDER.decode(EMPLOYEE_ORDER.cursor(employee, secret=SECRET), secret=SECRET) == (
        "Zoë Ødegård",
        3,
    )
    assert BY_POINTS.decode(BY_POINTS.cursor(score, secret=SECRET), secret=SECRET) == (
        1520.1999999999998,
        9,
    )


def _signed(payload: list[object]) -> str:
    raw = json.dumps(payload).encode()
    return f"{keyset._b64(raw)}.{keyset._b64(keyset._sign(raw, SECRET))}"


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        (_signed([keyset.VERSION, "employees", "Ann", 3]), "this cursor is not one of this list (activities)"),
        (_signed([keyset.VERSION + 1, "activities", "2026-11-20T14:05:00+00:00", 41]),
         "this cursor is not one of this list (activities)"),
        (_signed([keyset.VERSION, "activities", "2026-11-20T14:05:00+00:00"]),
         "this cursor is not one of this list (activities)"),
        (_signed([keyset.VERSION, "activities", 5, 41]), "invalid cursor"),
        (_signed([keyset.VERSION, "activities", "2026-11-20T14:05:00+00:00", "41"]), "invalid cursor"),
        (_signed([keyset.VERSION, "activities", "2026-11-20T14:05:00+00:00", True]), "invalid cursor"),
        (_signed({"not": "a list"}), "invalid cursor"),  # type: ignore[arg-type]
    ],
    ids=["other-list", "other-version", "too-few-values", "not-a-datetime", "id-as-text",
         "id-as-bool", "not-a-list"],
)  # fmt: skip
def test_a_cursor_this_list_did_not_make_is_refused(cursor: str, message: str) -> None:
    with pytest.raises(BadCursor) as raised:
        ACTIVITY_ORDER.decode(cursor, secret=SECRET)

    assert (raised.value.code, raised.value.message) == ("BAD_CURSOR", message)


def test_a_cursor_signed_with_another_secret_is_refused() -> None:
    cursor = EMPLOYEE_ORDER.cursor(models.Employee(id=3, name="Ann"), secret=b"an old secret")

    with pytest.raises(BadCursor) as raised:
        EMPLOYEE_ORDER.decode(cursor, secret=SECRET)

    assert raised.value.message == "invalid cursor: its signature does not match"


async def test_pages_of_a_descending_order_with_ties_cover_every_row_once(db: Database) -> None:
    people = [await helpers.employee(db) for _ in range(7)]
    points = [5.0, 9.0, 5.0, 1.0, 9.0, 5.0, 0.0]
    await helpers.add(
        db,
        *(
            helpers.score(p, date(2026, 11, 20), points_earned=v)
            for p, v in zip(people, points, strict=True)
        ),
    )

    seen: list[float] = []
    after: tuple[object, ...] | None = None
    pages = 0
    while True:
        statement = select(models.DailyScore).order_by(*BY_POINTS.order_by()).limit(3)
        if after is not None:
            statement = statement.where(BY_POINTS.after(after))
        async with db.read_session() as session:
            rows = (await session.scalars(statement)).all()
        if not rows:
            break
        pages += 1
        seen += [row.points_earned for row in rows]
        after = BY_POINTS.decode(BY_POINTS.cursor(rows[-1], secret=SECRET), secret=SECRET)

    assert pages == 3
    assert seen == sorted(points, reverse=True)
