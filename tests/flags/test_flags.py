"""Flags for review: the list (order, pages, status and team, who sees what), and an admin's
resolution (audited, kept by the next refresh, refused when repeated or malformed).

Floor and Dock (Chicago). A's day of 2026-11-20: clocked 14:00-16:00 UTC with no activity, so
the refresh raises LONG_IDLE (the 120 idle minutes) and then NO_ACTIVITY_WHILE_CLOCKED (120
clocked minutes). The other flags are rows written here, on two earlier days in both teams.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.flags import MAX_NOTE
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, GraphQLClient, ServerStatements, StatementCounter, gid, utc

DAY = date(2026, 11, 20)
FLAGS = """query($status: FlagStatus, $team: ID, $first: Int, $after: String) {
  flags(status: $status, teamId: $team, first: $first, after: $after) {
    edges { cursor node { rule status workDate details employee { code } team { key } } }
    pageInfo { hasNextPage endCursor } } }"""
RESOLVE = """mutation($id: ID!, $r: FlagResolution!, $note: String) {
  resolveFlag(id: $id, resolution: $r, note: $note) {
    flag { id status resolvedAt resolvedBy resolutionNote }
    errors { field code message } } }"""


@pytest.fixture
async def floor(db: Database) -> dict[str, Any]:
    floor = await helpers.team(db, key="floor", timezone="America/Chicago")
    dock = await helpers.team(db, key="dock", timezone="America/Chicago")
    a = await helpers.employee(db, code="A", team_id=floor.id)
    b = await helpers.employee(db, code="B", team_id=dock.id)
    flags = [  # (rule, subject, employee, team, day, status), in the order they are raised
        ("LONG_IDLE", "i1", a, floor, date(2026, 11, 18), "OPEN"),
        ("LONG_IDLE", "i2", b, dock, date(2026, 11, 19), "OPEN"),
        ("IMPOSSIBLE_RATE", "r1", a, floor, date(2026, 11, 19), "DISMISSED"),
        ("OUTSIDE_CLOCK", "o1", a, floor, date(2026, 11, 19), "OPEN"),
    ]
    await helpers.add(
        db,
        models.ClockRecord(employee_id=a.id, clock_in=utc(2026, 11, 20, 14),
                           clock_out=utc(2026, 11, 20, 16), work_date=DAY),
        *(models.Flag(rule=rule, subject_key=key, employee_id=e.id, team_id=t.id, work_date=d,
                      status=status, details={"n": n})
          for n, (rule, key, e, t, d, status) in enumerate(flags)),
    )  # fmt: skip
    await helpers.refresh_days(db, DAY, now=NOW)
    await helpers.users(db, ADMIN)
    return {"floor": floor, "dock": dock}


@pytest.fixture
def now() -> datetime:
    """The app's clock, with microseconds the database does not keep: answers show what is
    stored."""
    return NOW + timedelta(microseconds=123_456)


def manager_of(*teams: models.Team) -> Viewer:
    return Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset(t.id for t in teams))


def shown(data: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return [
        (e["node"]["rule"], e["node"]["status"], e["node"]["workDate"],
         e["node"]["employee"]["code"], e["node"]["team"]["key"])
        for e in data["flags"]["edges"]
    ]  # fmt: skip


async def test_newest_day_first_by_status_and_team_page_by_page(
    gql: GraphQLClient, floor: dict[str, Any]
) -> None:
    everything = await gql.data(FLAGS)
    assert shown(everything) == [
        ("NO_ACTIVITY_WHILE_CLOCKED", "OPEN", "2026-11-20", "A", "floor"),  # the later id first
        ("LONG_IDLE", "OPEN", "2026-11-20", "A", "floor"),
        ("OUTSIDE_CLOCK", "OPEN", "2026-11-19", "A", "floor"),
        ("IMPOSSIBLE_RATE", "DISMISSED", "2026-11-19", "A", "floor"),
        ("LONG_IDLE", "OPEN", "2026-11-19", "B", "dock"),
        ("LONG_IDLE", "OPEN", "2026-11-18", "A", "floor"),
    ]
    details = [e["node"]["details"] for e in everything["flags"]["edges"]]
    assert details[:3] == [
        {"clocked_minutes": 120.0},
        {"start": "2026-11-20T14:00:00+00:00", "end": "2026-11-20T16:00:00+00:00",
         "minutes": 120.0},
        {"n": 3},
    ]  # fmt: skip

    first = await gql.data(FLAGS, status="OPEN", first=2)
    assert [r[:3] for r in shown(first)] == [
        ("NO_ACTIVITY_WHILE_CLOCKED", "OPEN", "2026-11-20"),
        ("LONG_IDLE", "OPEN", "2026-11-20"),
    ]
    assert first["flags"]["pageInfo"]["hasNextPage"] is True
    after = first["flags"]["pageInfo"]["endCursor"]
    rest = await gql.data(FLAGS, status="OPEN", first=3, after=after)
    assert [r[:4] for r in shown(rest)] == [
        ("OUTSIDE_CLOCK", "OPEN", "2026-11-19", "A"),
        ("LONG_IDLE", "OPEN", "2026-11-19", "B"),
        ("LONG_IDLE", "OPEN", "2026-11-18", "A"),
    ]
    assert rest["flags"]["pageInfo"]["hasNextPage"] is False

    dock = await gql.data(FLAGS, team=gid("Team", floor["dock"].id))
    assert shown(dock) == [("LONG_IDLE", "OPEN", "2026-11-19", "B", "dock")]
    dismissed = await gql.data(FLAGS, status="DISMISSED", team=gid("Team", floor["floor"].id))
    assert shown(dismissed) == [("IMPOSSIBLE_RATE", "DISMISSED", "2026-11-19", "A", "floor")]

    board = await gql.data("{ leaderboard(first: 1) { pageInfo { endCursor } } }")
    another_lists = board["leaderboard"]["pageInfo"]["endCursor"]
    for cursor in (another_lists, after[:-2] + "AA"):  # another list's; altered
        refused = await gql.execute(FLAGS, after=cursor)
        assert refused["errors"][0]["extensions"]["code"] == "BAD_CURSOR"


async def test_managers_see_their_teams_flags(  # employees: test_flag_roles.py
    gql: GraphQLClient, floor: dict[str, Any]
) -> None:
    manager = gql.signed_in_as(manager_of(floor["dock"]))
    assert shown(await manager.data(FLAGS)) == [("LONG_IDLE", "OPEN", "2026-11-19", "B", "dock")]
    refused = await manager.execute(FLAGS, team=gid("Team", floor["floor"].id))
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["data"] is None
    nobody = gql.signed_in_as(Viewer(user_id=7, role=UserRole.MANAGER))
    assert shown(await nobody.data(FLAGS)) == []
    anonymous = await gql.signed_in_as(None).execute(FLAGS)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    flag = await _flag_id(gql, "LONG_IDLE", "2026-11-18")  # floor's
    node = "query($id: ID!) { node(id: $id) { ... on Flag { rule } } }"
    assert (await gql.data(node, id=flag)) == {"node": {"rule": "LONG_IDLE"}}
    assert (await manager.data(node, id=flag)) == {"node": None}
    assert (await gql.signed_in_as(manager_of(floor["floor"])).data(node, id=flag)) == {
        "node": {"rule": "LONG_IDLE"}
    }


async def _flag_id(gql: GraphQLClient, rule: str, day: str) -> str:
    data = await gql.data("{ flags(first: 100) { edges { node { id rule workDate } } } }")
    [found] = [e["node"]["id"] for e in data["flags"]["edges"]
               if (e["node"]["rule"], e["node"]["workDate"]) == (rule, day)]  # fmt: skip
    return str(found)


async def test_resolved_audited_and_kept_by_the_next_refresh(
    db: Database, gql: GraphQLClient, floor: dict[str, Any]
) -> None:
    flag = await _flag_id(gql, "NO_ACTIVITY_WHILE_CLOCKED", "2026-11-20")
    assert (await gql.data(FLAGS, status="OPEN"))["flags"]["edges"][0]["node"]["rule"] == (
        "NO_ACTIVITY_WHILE_CLOCKED"
    )  # now cached

    done = await gql.data(RESOLVE, id=flag, r="DISMISSED", note="  forklift training  ")
    assert done["resolveFlag"] == {
        "flag": {"id": flag, "status": "DISMISSED", "resolvedAt": "2026-11-20T20:30:00+00:00",
                 "resolvedBy": "admin@example.com", "resolutionNote": "forklift training"},
        "errors": [],
    }  # fmt: skip
    read = "query($id: ID!) { node(id: $id) { ... on Flag { resolvedAt } } }"
    assert (await gql.data(read, id=flag))["node"] == {"resolvedAt": "2026-11-20T20:30:00+00:00"}
    # The cached list is dropped by the write: the next read no longer shows it as open.
    assert [r[0] for r in shown(await gql.data(FLAGS, status="OPEN"))] == [
        "LONG_IDLE", "OUTSIDE_CLOCK", "LONG_IDLE", "LONG_IDLE"
    ]  # fmt: skip

    await helpers.refresh_days(db, DAY, now=NOW)  # the same condition still holds
    async with db.read_session() as session:
        rows = (await session.execute(
            select(models.Flag.status, models.Flag.resolution_note)
            .where(models.Flag.rule == "NO_ACTIVITY_WHILE_CLOCKED")
        )).all()  # fmt: skip
        audit = (await session.execute(
            select(models.AuditLog.action, models.AuditLog.entity, models.AuditLog.reason,
                   models.AuditLog.actor_label, models.AuditLog.before, models.AuditLog.after)
        )).all()  # fmt: skip
    assert [tuple(r) for r in rows] == [("DISMISSED", "forklift training")]
    [(action, entity, reason, actor, before, after)] = audit
    assert (action, entity, reason, actor) == (
        "resolve_flag", "flags", "forklift training", "admin@example.com"
    )  # fmt: skip
    assert (before["status"], before["resolution_note"]) == ("OPEN", None)
    assert (after["status"], after["resolved_by_user_id"]) == ("DISMISSED", 1)

    again = (await gql.data(RESOLVE, id=flag, r="RESOLVED"))["resolveFlag"]
    assert again == {
        "flag": None,
        "errors": [
            {"field": "id", "code": "CONFLICT", "message": "this flag is already dismissed"}
        ],
    }


async def test_refused_resolutions_write_nothing(
    db: Database, gql: GraphQLClient, floor: dict[str, Any]
) -> None:
    flag = await _flag_id(gql, "LONG_IDLE", "2026-11-18")
    too_long = await gql.data(RESOLVE, id=flag, r="RESOLVED", note="x" * (MAX_NOTE + 1))
    assert too_long["resolveFlag"]["errors"] == [
        {
            "field": "note",
            "code": "BAD_USER_INPUT",
            "message": "a note has at most 1,000 characters",
        }
    ]
    missing = await gql.data(RESOLVE, id=gid("Flag", 999_999), r="RESOLVED")
    assert missing["resolveFlag"]["errors"] == [
        {"field": "id", "code": "NOT_FOUND", "message": "no such flag"}
    ]
    wrong_kind = await gql.execute(RESOLVE, id=gid("Team", floor["floor"].id), r="RESOLVED")
    assert wrong_kind["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    manager = gql.signed_in_as(manager_of(floor["dock"]))  # the flag is the floor's
    refused = await manager.data(RESOLVE, id=flag, r="RESOLVED")
    assert refused["resolveFlag"]["errors"] == [
        {"field": "id", "code": "FORBIDDEN",
         "message": "a flag is reviewed by the managers of its team and by admins"}
    ]  # fmt: skip
    async with db.read_session() as session:
        open_flags = await session.scalar(
            select(func.count()).select_from(models.Flag).where(models.Flag.status == "OPEN")
        )
        audited = await session.scalar(select(func.count()).select_from(models.AuditLog))
    assert (open_flags, audited) == (5, 0)


@pytest.mark.parametrize("n", [1, 30])
async def test_a_page_costs_the_same_statements_for_any_size(
    db: Database,
    uncached: GraphQLClient,
    statements: StatementCounter,
    server: ServerStatements | None,
    n: int,
) -> None:
    teams = [await helpers.team(db) for _ in range(3)]
    role = await helpers.role(db)
    people = [await helpers.employee(db, team_id=teams[i % 3].id) for i in range(n)]
    done = [helpers.activity(p, role, utc(2026, 11, 20, 15), 3) for p in people]
    await helpers.add(db, *done)
    await helpers.users(db, ADMIN)
    await helpers.add(db, *(
        models.Flag(rule="IMPOSSIBLE_RATE", subject_key=f"a{a.id}", employee_id=p.id,
                    team_id=p.team_id, work_date=DAY, activity_id=a.id, status="RESOLVED",
                    resolved_by_user_id=ADMIN.user_id, resolved_at=NOW)
        for p, a in zip(people, done, strict=True)
    ))  # fmt: skip
    query = """{ flags(first: 100) { edges { node { rule employee { name } team { name }
      activity { itemsCount } resolvedBy } } } }"""
    await uncached.data(query)  # the pool has its connections

    statements.counting = True
    if server is not None:
        server.start()
    data = await uncached.data(query)
    seen_by_server = server.stop() if server is not None else None
    statements.counting = False

    assert len(data["flags"]["edges"]) == n
    assert data["flags"]["edges"][0]["node"]["activity"] == {"itemsCount": 3}
    assert data["flags"]["edges"][0]["node"]["resolvedBy"] == "admin@example.com"
    # The page, then its employees, teams, activities and resolvers, one statement each.
    assert statements.count == 5, [s[:90] for s in statements.statements]
    if seen_by_server is not None:
        assert seen_by_server == {
            "Questions": 5, "Com_select": 5, "Com_commit": 0, "Com_rollback": 0,
            "Com_set_option": 0, "Com_admin_commands": 0,
        }  # fmt: skip
