"""Admins see the Connecteam users no employee could be chosen for, and map one by hand:
audited, refused when the user is another employee's, for admins only."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from db import models
from db.engine import Database
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, GraphQLClient, gid

LISTED = "{ unmatchedConnecteamUsers { userId fullName email unmatched } }"
MAP = """mutation($employee: ID!, $user: String!) {
  mapEmployee(employeeId: $employee, connecteamUserId: $user) {
    employee { code } errors { code field } } }"""


async def roster(db: Database, *rows: dict[str, Any]) -> None:
    await helpers.add(
        db, *(models.ConnecteamUser(**{"seen_at": NOW, "archived": False} | r) for r in rows)
    )


async def test_listed_then_mapped_by_hand(db: Database, gql: GraphQLClient) -> None:
    await helpers.users(db, ADMIN)
    dee = await helpers.employee(db, code="D1", name="Dee Kim")
    await helpers.employee(db, code="D2", name="Dee Kim")
    await roster(
        db,
        {"user_id": "903", "full_name": "Dee Kim", "unmatched": "SEVERAL_MATCHES"},
        {"user_id": "905", "full_name": "Old Timer", "unmatched": "NO_MATCH", "archived": True},
        {"user_id": "900", "full_name": "Bob Ray", "unmatched": None},
    )

    before = await gql.data(LISTED)
    mapped = await gql.data(MAP, employee=gid("Employee", dee.id), user="903")
    after = await gql.data(LISTED)

    assert before["unmatchedConnecteamUsers"] == [
        {"userId": "903", "fullName": "Dee Kim", "email": None, "unmatched": "SEVERAL_MATCHES"}
    ]
    assert mapped["mapEmployee"] == {"employee": {"code": "D1"}, "errors": []}
    assert after["unmatchedConnecteamUsers"] == []
    async with db.read_session() as session:
        mapping = await session.scalar(
            select(models.Employee.connecteam_user_id).where(models.Employee.id == dee.id)
        )
        trail = (
            await session.execute(select(models.AuditLog.action, models.AuditLog.entity_id))
        ).all()
    assert mapping == "903"
    assert [tuple(t) for t in trail] == [("map", str(dee.id))]


async def test_refused_mappings(db: Database, gql: GraphQLClient) -> None:
    await helpers.users(db, ADMIN)
    ann = await helpers.employee(db, code="A1", name="Ann", connecteam_user_id="901")
    bob = await helpers.employee(db, code="B1", name="Bob")
    manager = Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset({1}))

    taken = await gql.data(MAP, employee=gid("Employee", bob.id), user="901")
    malformed = await gql.data(MAP, employee=gid("Employee", bob.id), user="abc")
    missing = await gql.data(MAP, employee=gid("Employee", 999_999), user="902")
    not_admin = await gql.signed_in_as(manager).execute(
        MAP, employee=gid("Employee", ann.id), user="902"
    )

    assert taken["mapEmployee"]["errors"] == [{"code": "CONFLICT", "field": "connecteamUserId"}]
    assert malformed["mapEmployee"]["errors"] == [
        {"code": "BAD_USER_INPUT", "field": "connecteamUserId"}
    ]
    assert missing["mapEmployee"]["errors"] == [{"code": "NOT_FOUND", "field": "employeeId"}]
    assert [e["extensions"]["code"] for e in not_admin["errors"]] == ["FORBIDDEN"]
