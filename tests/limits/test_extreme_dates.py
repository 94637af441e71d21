"""Dates at the ends of the calendar (year 1, year 9999) on the fields that compute with
dates: refused by the ``Date`` scalar (1900-2999) as bad input (a variable) or an invalid
document (a literal), never an internal error of date arithmetic further in. (Before the
bound, ``staffingPlan`` on 0001-01-01 and ``triggerSync`` from 9999-12-20 were 500s.)"""

from __future__ import annotations

import pytest

from db.engine import Database
from tests import helpers
from tests.helpers import GraphQLClient

QUERIES = {
    "staffingPlan": "staffingPlan(teamId: $t, date: $d) { date }",
    "dailyReport": "dailyReport(teamId: $t, date: $d) { date }",
    "schedule": "schedule(teamId: $t, from: $d, to: $d) { title }",
}


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01"])
@pytest.mark.parametrize("field", list(QUERIES))
async def test_the_ends_of_the_calendar_are_bad_input(
    db: Database, gql: GraphQLClient, field: str, day: str
) -> None:
    team = await helpers.team(db, key="floor")
    as_variable = await gql.execute(
        f"query($t: ID!, $d: Date!) {{ {QUERIES[field]} }}", t=helpers.gid("Team", team.id), d=day
    )
    inline = await gql.execute(
        f"query($t: ID!) {{ {QUERIES[field].replace('$d', repr(day).replace(chr(39), chr(34)))} }}",
        t=helpers.gid("Team", team.id),
    )

    refused = f"Value cannot represent a Date: '{day}'. a date is from 1900-01-01 to 2999-12-31"
    assert as_variable == {"data": None, "errors": [{
        "message": f"Variable '$d' has invalid value: {refused}",
        "locations": [{"line": 1, "column": 16}], "extensions": {"code": "BAD_USER_INPUT"},
    }]}  # fmt: skip
    invalid = {"message": refused, "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
    assert inline == {"data": None, "errors": [invalid] * QUERIES[field].count("$d")}


async def test_the_first_and_last_day_are_accepted(db: Database, gql: GraphQLClient) -> None:
    team = await helpers.team(db, key="floor")
    for day in ("1900-01-01", "2999-12-31"):
        body = await gql.execute(
            "query($t: ID!, $d: Date!) { staffingPlan(teamId: $t, date: $d) { date } }",
            t=helpers.gid("Team", team.id), d=day,
        )  # fmt: skip
        assert body == {"data": {"staffingPlan": {"date": day}}}
