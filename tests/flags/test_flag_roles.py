"""Who reads and who resolves flags, each role against each: admins everyone's; managers their
teams' (and resolve them); employees read their own, with how they were resolved, and resolve
none; a refused resolution writes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, GraphQLClient, gid

LIST = "{ flags { edges { node { employee { code } } } } }"
NODE = "query($id: ID!) { node(id: $id) { ... on Flag { rule } } }"
RESOLVE = """mutation($id: ID!) { resolveFlag(id: $id, resolution: RESOLVED, note: "talked") {
  flag { status } errors { field code message } } }"""
OWN = """{ flags { edges { node { rule status resolvedAt resolvedBy resolutionNote
  employee { code } } } } }"""
REVIEWERS = "a flag is reviewed by the managers of its team and by admins"
VIEWERS = ["admin", "floor manager", "dock manager", "A", "B", "no record", "anonymous"]


@pytest.fixture
async def floor(db: Database) -> dict[str, Any]:
    """A (floor) has two open flags, B (dock) one."""
    floor = await helpers.team(db, key="floor")
    dock = await helpers.team(db, key="dock")
    a = await helpers.employee(db, code="A", team_id=floor.id)
    b = await helpers.employee(db, code="B", team_id=dock.id)
    flags = [
        models.Flag(rule="LONG_IDLE", subject_key="a1", employee_id=a.id, team_id=floor.id,
                    work_date=date(2026, 11, 19), status="OPEN", details={}),
        models.Flag(rule="LONG_IDLE", subject_key="a2", employee_id=a.id, team_id=floor.id,
                    work_date=date(2026, 11, 18), status="OPEN", details={}),
        models.Flag(rule="LONG_IDLE", subject_key="b1", employee_id=b.id, team_id=dock.id,
                    work_date=date(2026, 11, 19), status="OPEN", details={}),
    ]  # fmt: skip
    await helpers.add(db, *flags)
    viewers: dict[str, Viewer | None] = {
        "admin": ADMIN,
        "floor manager": Viewer(user_id=2, role=UserRole.MANAGER, team_ids=frozenset({floor.id})),
        "dock manager": Viewer(user_id=3, role=UserRole.MANAGER, team_ids=frozenset({dock.id})),
        "A": Viewer(user_id=4, role=UserRole.EMPLOYEE, employee_id=a.id),
        "B": Viewer(user_id=5, role=UserRole.EMPLOYEE, employee_id=b.id),
        "no record": Viewer(user_id=6, role=UserRole.EMPLOYEE),
        "anonymous": None,
    }
    await helpers.users(db, *(v for v in viewers.values() if v is not None))
    return {"viewers": viewers, "a1": gid("Flag", flags[0].id)}


LISTED = {
    "admin": ["B", "A", "A"],  # newest work date first, then the later id
    "floor manager": ["A", "A"],
    "dock manager": ["B"],
    "A": ["A", "A"],
    "B": ["B"],
    "no record": [],
}
NODE_SEEN = {"admin": True, "floor manager": True, "dock manager": False, "A": True,
             "B": False, "no record": False}  # fmt: skip
RESOLVES = {"admin": True, "floor manager": True, "dock manager": False, "A": False,
            "B": False, "no record": False}  # fmt: skip


@pytest.mark.parametrize("who", VIEWERS)
async def test_who_reads_which_flags(floor: dict[str, Any], gql: GraphQLClient, who: str) -> None:
    asking = gql.signed_in_as(floor["viewers"][who])

    listed = await asking.execute(LIST)
    node = await asking.execute(NODE, id=floor["a1"])

    if who == "anonymous":
        assert (listed["data"], node["data"]) == (None, {"node": None})
        assert [e["extensions"]["code"] for e in listed["errors"] + node["errors"]] == [
            "UNAUTHENTICATED", "UNAUTHENTICATED",
        ]  # fmt: skip
        return
    assert [e["node"]["employee"]["code"] for e in listed["data"]["flags"]["edges"]] == (
        LISTED[who]
    )
    assert node == {"data": {"node": {"rule": "LONG_IDLE"} if NODE_SEEN[who] else None}}


@pytest.mark.parametrize("who", VIEWERS)
async def test_who_resolves_a_floor_flag(
    db: Database, floor: dict[str, Any], gql: GraphQLClient, who: str
) -> None:
    body = await gql.signed_in_as(floor["viewers"][who]).execute(RESOLVE, id=floor["a1"])

    async with db.read_session() as session:
        closed = await session.scalar(
            select(func.count()).select_from(models.Flag).where(models.Flag.status != "OPEN")
        )
        audited = await session.scalar(select(func.count()).select_from(models.AuditLog))
    if who == "anonymous":
        assert body["data"] is None
        assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    elif RESOLVES[who]:
        assert body == {"data": {"resolveFlag": {"flag": {"status": "RESOLVED"}, "errors": []}}}
    else:
        assert body == {"data": {"resolveFlag": {"flag": None, "errors": [
            {"field": "id", "code": "FORBIDDEN", "message": REVIEWERS}]}}}  # fmt: skip
    assert (closed, audited) == ((1, 1) if RESOLVES.get(who) else (0, 0))


async def test_an_employee_reads_how_their_flag_was_resolved(
    floor: dict[str, Any], gql: GraphQLClient
) -> None:
    manager = gql.signed_in_as(floor["viewers"]["floor manager"])
    await manager.data(RESOLVE, id=floor["a1"])

    own = await gql.signed_in_as(floor["viewers"]["A"]).data(OWN)

    assert [e["node"] for e in own["flags"]["edges"]] == [
        {"rule": "LONG_IDLE", "status": "RESOLVED", "resolvedAt": "2026-11-20T20:30:00+00:00",
         "resolvedBy": "user-2@example.com", "resolutionNote": "talked", "employee": {"code": "A"}},
        {"rule": "LONG_IDLE", "status": "OPEN", "resolvedAt": None, "resolvedBy": None,
         "resolutionNote": None, "employee": {"code": "A"}},
    ]  # fmt: skip
