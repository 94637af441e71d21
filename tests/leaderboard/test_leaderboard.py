"""The leaderboard against hand-computed boards: ties and competition ranks, every metric,
pages forwards and backwards, team scope, periods of several days, opted-out employees."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, GraphQLClient, gid

DAY = date(2026, 11, 20)
EVE = date(2026, 11, 19)

BOARD = """
query Board($from: Date, $to: Date, $metric: LeaderboardMetric, $teamId: ID,
            $first: Int, $after: String, $last: Int, $before: String) {
  leaderboard(from: $from, to: $to, metric: $metric, teamId: $teamId,
              first: $first, after: $after, last: $last, before: $before) {
    from to metric totalCount
    edges { cursor node { rank itemsProcessed pointsEarned productivity displayName
                          employee { code name } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


@pytest.fixture
async def staff(db: Database) -> dict[str, models.Employee]:
    """Five employees, two teams; e5 opted out of appearing by name.

    day      e1 (A)         e2 (A)          e3 (B)        e4 (B)          e5 (A, opted out)
    points   50.2           80              80            20.1            80
    items    40             30              60            60              10
    earned   240 / 480 av.  480 / 480       30 / 30       600 / 480       120 / 240
    eve      points 40.1    -               -             70.2            -
    """
    a = await helpers.team(db, name="Alpha")
    b = await helpers.team(db, name="Beta")
    people = {
        "e1": await helpers.employee(db, code="e1", name="Ann", team_id=a.id),
        "e2": await helpers.employee(db, code="e2", name="Bob", team_id=a.id),
        "e3": await helpers.employee(db, code="e3", name="Cid", team_id=b.id),
        "e4": await helpers.employee(db, code="e4", name="Dee", team_id=b.id),
        "e5": await helpers.employee(
            db, code="e5", name="Eve", team_id=a.id, email="eve@example.com",
            leaderboard_opt_out=True,
        ),
    }  # fmt: skip
    day = {
        "e1": (50.2, 40, 240, 480),
        "e2": (80.0, 30, 480, 480),
        "e3": (80.0, 60, 30, 30),
        "e4": (20.1, 60, 600, 480),
        "e5": (80.0, 10, 120, 240),
    }
    rows = [
        helpers.score(people[code], DAY, points_earned=p, items_processed=i,
                      earned_minutes=e, available_minutes=av)
        for code, (p, i, e, av) in day.items()
    ]  # fmt: skip
    rows += [
        helpers.score(people["e1"], EVE, points_earned=40.1, items_processed=5),
        helpers.score(people["e4"], EVE, points_earned=70.2, items_processed=1),
    ]
    await helpers.add(db, *rows)
    return people


def entries(data: dict[str, Any]) -> list[tuple[int, str]]:
    return [(e["node"]["rank"], e["node"]["employee"]["code"]) for e in data["edges"]]


async def board(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    data = await gql.data(BOARD, **({"from": DAY.isoformat()} | variables))
    result: dict[str, Any] = data["leaderboard"]
    return result


async def test_points_ties_share_a_rank_and_the_next_rank_skips(
    staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    found = await board(gql)

    assert entries(found) == [(1, "e2"), (1, "e3"), (1, "e5"), (4, "e1"), (5, "e4")]
    assert found["totalCount"] == 5
    assert (found["from"], found["to"], found["metric"]) == ("2026-11-20", "2026-11-20", "POINTS")
    first = found["edges"][0]["node"]
    assert first == {
        "rank": 1, "itemsProcessed": 30, "pointsEarned": 80.0, "productivity": 100.0,
        "displayName": "Bob", "employee": {"code": "e2", "name": "Bob"},
    }  # fmt: skip


async def test_items_and_productivity(
    staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    items = await board(gql, metric="ITEMS")
    productivity = await board(gql, metric="PRODUCTIVITY")

    assert entries(items) == [(1, "e3"), (1, "e4"), (3, "e1"), (4, "e2"), (5, "e5")]
    # e3 has 30 available minutes: under the hour PRODUCTIVITY asks for
    assert entries(productivity) == [(1, "e4"), (2, "e2"), (3, "e1"), (3, "e5")]
    assert productivity["totalCount"] == 4
    assert [e["node"]["productivity"] for e in productivity["edges"]] == [125.0, 100.0, 50.0, 50.0]


async def test_pages_forwards_keep_ranks_across_page_boundaries(
    staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    pages, after = [], None
    while True:
        found = await board(gql, first=2, after=after)
        pages.append((entries(found), found["pageInfo"]["hasNextPage"],
                      found["pageInfo"]["hasPreviousPage"]))  # fmt: skip
        if not found["pageInfo"]["hasNextPage"]:
            break
        after = found["pageInfo"]["endCursor"]

    assert pages == [
        ([(1, "e2"), (1, "e3")], True, False),
        ([(1, "e5"), (4, "e1")], True, True),
        ([(5, "e4")], False, True),
    ]


async def test_pages_backwards(staff: dict[str, models.Employee], gql: GraphQLClient) -> None:
    last = await board(gql, last=2)
    before_e1 = await board(gql, last=2, before=last["pageInfo"]["startCursor"])
    before_e3 = await board(gql, last=2, before=before_e1["pageInfo"]["startCursor"])

    assert entries(last) == [(4, "e1"), (5, "e4")]
    assert (last["pageInfo"]["hasPreviousPage"], last["pageInfo"]["hasNextPage"]) == (True, False)
    assert entries(before_e1) == [(1, "e3"), (1, "e5")]
    assert entries(before_e3) == [(1, "e2")]
    assert before_e3["pageInfo"]["hasPreviousPage"] is False
    assert before_e3["pageInfo"]["hasNextPage"] is True
    # A cursor read backwards continues forwards too.
    forward = await board(gql, first=1, after=before_e3["pageInfo"]["endCursor"])
    assert entries(forward) == [(1, "e3")]


async def test_ranks_after_a_cursor_whose_entry_moved_are_todays(
    db: Database, staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    """A page read forwards is ranked from where its cursor points, not from the entry it
    was taken from: that entry may have moved since."""
    first = await board(gql, first=2)  # e2, e3 at 80
    e3 = staff["e3"].id

    async def drop(session: Any) -> None:
        score = await session.scalar(
            select(models.DailyScore).where(
                models.DailyScore.employee_id == e3, models.DailyScore.work_date == DAY
            )
        )
        score.points_earned = 10.0

    await db.write(drop)  # now: e2 80, e5 80, e1 50.2, e4 20.1, e3 10
    after_e3 = await board(gql, first=2, after=first["pageInfo"]["endCursor"])
    after_e5 = await board(gql, first=2, after=after_e3["edges"][0]["cursor"])

    assert entries(first) == [(1, "e2"), (1, "e3")]
    assert entries(after_e3) == [(1, "e5"), (3, "e1")]
    assert entries(after_e5) == [(3, "e1"), (4, "e4")]
    assert (after_e3["totalCount"], after_e5["totalCount"]) == (5, 5)


async def test_empty_pages(staff: dict[str, models.Employee], gql: GraphQLClient) -> None:
    none = await board(gql, first=0)
    end = await board(gql, first=5)
    after_last = await board(gql, first=5, after=end["pageInfo"]["endCursor"])
    nobody = await board(gql, **{"from": "2026-11-01", "to": "2026-11-01"})

    assert (entries(none), none["totalCount"], none["pageInfo"]["hasNextPage"]) == ([], 5, True)
    assert (entries(after_last), after_last["totalCount"]) == ([], 5)
    assert after_last["pageInfo"] == {
        "hasNextPage": False, "hasPreviousPage": True, "startCursor": None, "endCursor": None,
    }  # fmt: skip
    assert (entries(nobody), nobody["totalCount"]) == ([], 0)


async def test_team_scope(staff: dict[str, models.Employee], gql: GraphQLClient) -> None:
    team = gid("Team", staff["e1"].team_id or 0)

    found = await board(gql, teamId=team)
    paged = await board(gql, teamId=team, first=1, after=found["edges"][0]["cursor"])

    assert entries(found) == [(1, "e2"), (1, "e5"), (3, "e1")]
    assert entries(paged) == [(1, "e5")]
    assert paged["totalCount"] == 3


async def test_a_period_adds_days_up_and_rounds_sums_alike(
    staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    """40.1 + 50.2 and 70.2 + 20.1 are both 90.3 to four decimals, though not as floats: the
    two tie, and a page boundary between them neither skips nor repeats an entry."""
    period = {"from": EVE.isoformat(), "to": DAY.isoformat()}

    found = await board(gql, **period)
    first = await board(gql, **period, first=1)
    second = await board(gql, **period, first=1, after=first["pageInfo"]["endCursor"])

    assert entries(found) == [(1, "e1"), (1, "e4"), (3, "e2"), (3, "e3"), (3, "e5")]
    assert [e["node"]["pointsEarned"] for e in found["edges"][:2]] == [90.3, 90.3]
    assert [e["node"]["itemsProcessed"] for e in found["edges"][:2]] == [45, 61]
    assert entries(first) + entries(second) == [(1, "e1"), (1, "e4")]


async def test_opted_out_employees_appear_without_their_name_to_non_admins(
    db: Database, staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    query = """query($team: ID) { leaderboard(from: "2026-11-20", teamId: $team) {
        edges { node { rank displayName employee { code name email } } } } }"""
    team = gid("Team", staff["e1"].team_id or 0)
    ann = Viewer(user_id=7, role=UserRole.EMPLOYEE, employee_id=staff["e1"].id)
    eve = Viewer(user_id=8, role=UserRole.EMPLOYEE, employee_id=staff["e5"].id)

    def shown(data: dict[str, Any]) -> list[tuple[str, dict[str, Any] | None]]:
        edges = data["leaderboard"]["edges"]
        return [(e["node"]["displayName"], e["node"]["employee"]) for e in edges]

    assert shown(await gql.signed_in_as(ann).data(query, team=team)) == [
        ("Bob", {"code": "", "name": "Bob", "email": None}),
        ("Anonymous", None),  # no employee: nothing to identify or fetch them by
        ("Ann", {"code": "e1", "name": "Ann", "email": None}),
    ]
    assert shown(await gql.signed_in_as(eve).data(query, team=team))[1] == (
        "Eve", {"code": "e5", "name": "Eve", "email": "eve@example.com"},
    )  # fmt: skip
    assert shown(await gql.data(query, team=team))[1][0] == "Eve"  # admin


async def test_another_employees_own_data_is_refused_on_a_leaderboard(
    staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    ann = Viewer(user_id=7, role=UserRole.EMPLOYEE, employee_id=staff["e1"].id)
    query = """{ leaderboard(from: "2026-11-20", first: 1) {
        edges { node { employee { name score(date: "2026-11-20") { pointsEarned } } } } } }"""

    body = await gql.signed_in_as(ann).execute(query)

    assert body["data"]["leaderboard"]["edges"][0]["node"]["employee"] == {
        "name": "Bob",
        "score": None,
    }
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["leaderboard", "edges", 0, "node", "employee", "score"], "FORBIDDEN")
    ]


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"first": 2, "last": 2}, "BAD_USER_INPUT"),
        ({"last": 101}, "BAD_USER_INPUT"),
        ({"from": "2026-11-21", "to": "2026-11-20"}, "BAD_USER_INPUT"),
        ({"from": "2025-01-01", "to": "2026-11-20"}, "BAD_USER_INPUT"),
        ({"teamId": gid("Employee", 1)}, "BAD_USER_INPUT"),
        ({"after": "not-a-cursor"}, "BAD_CURSOR"),
    ],
)
async def test_bad_arguments_are_typed_errors(
    staff: dict[str, models.Employee], gql: GraphQLClient, variables: dict[str, Any], code: str
) -> None:
    body = await gql.execute(BOARD, **({"from": DAY.isoformat()} | variables))

    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]


async def test_a_cursor_of_another_board_is_refused(
    staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    points = await board(gql, first=1)
    cursor = points["pageInfo"]["endCursor"]

    for other in ({"metric": "ITEMS"}, {"to": "2026-11-21"}, {"from": EVE.isoformat()}):
        body = await gql.execute(BOARD, **({"from": DAY.isoformat(), "after": cursor} | other))
        assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_CURSOR"], other


async def test_the_default_board_is_today_in_the_company_timezone(
    staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    """NOW is 2026-11-20 20:30 UTC, 14:30 in Chicago."""
    data = await gql.data("{ leaderboard { from to totalCount } }")

    assert data["leaderboard"] == {"from": "2026-11-20", "to": "2026-11-20", "totalCount": 5}


OPT_OUT = """
mutation($optOut: Boolean!, $employeeId: ID) {
  setLeaderboardOptOut(optOut: $optOut, employeeId: $employeeId) {
    employee { code leaderboardOptOut } errors { code field }
  }
}
"""


async def test_an_employee_opts_out_and_back_in(
    db: Database, staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    ann = Viewer(user_id=7, role=UserRole.EMPLOYEE, employee_id=staff["e1"].id)
    bob = Viewer(user_id=9, role=UserRole.EMPLOYEE, employee_id=staff["e2"].id)
    as_ann, as_bob = gql.signed_in_as(ann), gql.signed_in_as(bob)
    await helpers.users(db, ann, bob)

    out = await as_ann.data(OPT_OUT, optOut=True)
    seen_by_bob = await board(as_bob, first=5)
    back = await as_ann.data(OPT_OUT, optOut=False)
    seen_again = await board(as_bob, first=5)

    assert out["setLeaderboardOptOut"] == {
        "employee": {"code": "e1", "leaderboardOptOut": True}, "errors": [],
    }  # fmt: skip
    assert [e["node"]["displayName"] for e in seen_by_bob["edges"]] == [
        "Bob", "Cid", "Anonymous", "Anonymous", "Dee",
    ]  # fmt: skip
    assert [e["node"]["employee"] is None for e in seen_by_bob["edges"]] == [
        False, False, True, True, False,
    ]  # fmt: skip
    assert back["setLeaderboardOptOut"]["employee"]["leaderboardOptOut"] is False
    assert seen_again["edges"][3]["node"]["employee"]["name"] == "Ann"
    async with db.read_session() as session:
        actions = (
            await session.scalars(
                select(models.AuditLog.action).where(models.AuditLog.entity == "employees")
            )
        ).all()
    assert actions == ["leaderboard_opt_out", "leaderboard_opt_out"]


async def test_only_the_employee_or_an_admin_chooses(
    db: Database, staff: dict[str, models.Employee], gql: GraphQLClient
) -> None:
    bob = Viewer(user_id=9, role=UserRole.EMPLOYEE, employee_id=staff["e2"].id)
    manager = Viewer(
        user_id=10, role=UserRole.MANAGER, team_ids=frozenset({staff["e1"].team_id or 0})
    )
    e1 = gid("Employee", staff["e1"].id)
    await helpers.users(db, ADMIN, bob, manager)

    by_bob = await gql.signed_in_as(bob).data(OPT_OUT, optOut=True, employeeId=e1)
    by_manager = await gql.signed_in_as(manager).data(OPT_OUT, optOut=True)
    by_admin = await gql.data(OPT_OUT, optOut=True, employeeId=e1)
    missing = await gql.data(OPT_OUT, optOut=True, employeeId=gid("Employee", 999_999))

    assert by_bob["setLeaderboardOptOut"]["errors"] == [{"code": "FORBIDDEN", "field": None}]
    assert by_manager["setLeaderboardOptOut"]["errors"] == [
        {"code": "BAD_USER_INPUT", "field": None}
    ]
    assert by_admin["setLeaderboardOptOut"]["employee"] == {"code": "e1", "leaderboardOptOut": True}
    assert missing["setLeaderboardOptOut"]["errors"] == [
        {"code": "NOT_FOUND", "field": "employeeId"}
    ]


async def test_a_period_spanning_the_end_of_daylight_saving_time(
    db: Database, gql: GraphQLClient
) -> None:
    """Chicago leaves daylight time on 2026-11-01 at 02:00: a shift from 00:00 CDT to 08:00 CST
    is 9 hours. Scores computed by the refresh, then ranked over both days."""
    chicago = await helpers.team(db, timezone="America/Chicago")
    standard = await helpers.role(db, points_per_item=1.0, expected_per_hour=60)
    ann = await helpers.employee(db, code="ann", team_id=chicago.id)
    bob = await helpers.employee(db, code="bob", team_id=chicago.id)
    halloween, dst_end = date(2026, 10, 31), date(2026, 11, 1)
    night = (helpers.utc(2026, 11, 1, 5), helpers.utc(2026, 11, 1, 14))  # 00:00 CDT-08:00 CST
    rows: list[object] = [
        models.ClockRecord(employee_id=ann.id, work_date=halloween,
                           clock_in=helpers.utc(2026, 10, 31, 13), clock_out=helpers.utc(2026, 10, 31, 21)),
        helpers.activity(ann, standard, helpers.utc(2026, 10, 31, 13), 240,
                         window_end=helpers.utc(2026, 10, 31, 21), work_date=halloween),
    ]  # fmt: skip
    for person, items in ((ann, 540), (bob, 480)):
        rows += [
            models.ClockRecord(employee_id=person.id, work_date=dst_end,
                               clock_in=night[0], clock_out=night[1]),
            helpers.activity(person, standard, night[0], items, window_end=night[1],
                             work_date=dst_end),
        ]  # fmt: skip
    await helpers.add(db, *rows)
    await helpers.refresh_days(db, halloween, dst_end, now=helpers.utc(2026, 11, 2))

    found = await board(gql, metric="PRODUCTIVITY", **{"from": "2026-10-31", "to": "2026-11-01"})
    points = await board(gql, **{"from": "2026-10-31", "to": "2026-11-01"})

    # bob: 480 earned / 540 available; ann: (240 + 540) / (480 + 540)
    assert [(e["node"]["employee"]["code"], e["node"]["rank"], e["node"]["productivity"])
            for e in found["edges"]] == [("bob", 1, 88.9), ("ann", 2, 76.5)]  # fmt: skip
    assert [
        (e["node"]["employee"]["code"], e["node"]["pointsEarned"]) for e in points["edges"]
    ] == [
        ("ann", 780.0),
        ("bob", 480.0),
    ]
