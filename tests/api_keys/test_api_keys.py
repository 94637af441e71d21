"""API keys: created (command line or admin), shown once, stored hashed, revocable; a device
may record activities and nothing else; its use is noted at most once a minute."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import build_resources
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, GraphQLClient, StatementCounter, gid

CREATE = """mutation { createApiKey(name: "Dock scanner 3", scope: INGEST) {
  apiKey { id name scope createdAt revokedAt lastUsedAt } secret errors { code } } }"""
REVOKE = "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { revokedAt } errors { field code message } } }"
DEVICES_ONLY = "an API key may only record activities"


@pytest.fixture(autouse=True)
async def admin_user(db: Database) -> None:
    await helpers.add(
        db, models.User(id=ADMIN.user_id, email=ADMIN.email, password_hash="-", role="ADMIN")
    )


async def test_an_admin_creates_a_key_shown_once_and_stored_hashed(
    db: Database, gql: GraphQLClient
) -> None:
    created = (await gql.data(CREATE))["createApiKey"]
    listed = await gql.data("{ apiKeys { name scope lastUsedAt } }")

    secret = created["secret"]
    assert secret.startswith("phk_") and len(secret) == 47
    assert created["apiKey"] | {"id": None} == {
        "id": None, "name": "Dock scanner 3", "scope": "INGEST",
        "createdAt": created["apiKey"]["createdAt"], "revokedAt": None, "lastUsedAt": None,
    }  # fmt: skip
    assert listed == {
        "apiKeys": [{"name": "Dock scanner 3", "scope": "INGEST", "lastUsedAt": None}]
    }
    async with db.session() as session:
        stored = (await session.scalars(select(models.ApiKey))).one()
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(await helpers_audit(db))


async def helpers_audit(db: Database) -> list[tuple[str, object]]:
    async with db.session() as session:
        return [(r.action, r.after) for r in await session.scalars(select(models.AuditLog))]


async def test_a_device_may_do_nothing_else_and_its_use_is_noted_once_a_minute(
    backend: Backend, db: Database, gql: GraphQLClient, statements: StatementCounter
) -> None:
    secret = (await gql.data(CREATE))["createApiKey"]["secret"]
    clock = [NOW]
    resources = build_resources(backend.settings, db=db)
    app = create_app(resources, clock=lambda: clock[0])
    device = {"Authorization": f"Bearer {secret}"}

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        answers = []
        for step in (0, 30, 59, 61):  # seconds after NOW
            clock[0] = NOW + timedelta(seconds=step)
            statements.counting = True
            body = (
                await c.post("/graphql", json={"query": "{ teams { key } }"}, headers=device)
            ).json()
            statements.counting = False
            answers.append(body["errors"][0]["extensions"]["code"])
        mutation = (await c.post("/graphql", json={"query": CREATE}, headers=device)).json()
    await resources.aclose()

    assert answers == ["FORBIDDEN"] * 4
    assert mutation["errors"][0]["message"] == DEVICES_ONLY
    updates = [s for s in statements.statements if s.lstrip().upper().startswith("UPDATE")]
    assert len(updates) == 2  # at NOW and at NOW + 61 s; not at 30 or 59
    assert (await gql.data("{ apiKeys { lastUsedAt } }"))["apiKeys"] == [
        {"lastUsedAt": (NOW + timedelta(seconds=61)).isoformat()}
    ]


async def test_a_revoked_key_stops_working(db: Database, gql: GraphQLClient) -> None:
    created = (await gql.data(CREATE))["createApiKey"]
    device = GraphQLClient(gql.http, {"Authorization": f"Bearer {created['secret']}"})

    revoked = (await gql.data(REVOKE, id=created["apiKey"]["id"]))["revokeApiKey"]
    again = (await gql.data(REVOKE, id=created["apiKey"]["id"]))["revokeApiKey"]
    missing = (await gql.data(REVOKE, id=gid("ApiKey", 999)))["revokeApiKey"]
    body = await device.execute("{ teams { key } }")
    forged = await GraphQLClient(gql.http, {"Authorization": "Bearer phk_not-a-key"}).execute(
        "{ teams { key } }"
    )

    assert revoked == {"apiKey": {"revokedAt": NOW.isoformat()}, "errors": []}
    assert again["errors"] == [
        {"field": "id", "code": "CONFLICT", "message": "this API key is already revoked"}
    ]
    assert missing["errors"] == [{"field": "id", "code": "NOT_FOUND", "message": "no such API key"}]
    for refused in (body, forged):
        assert [(e["message"], e["extensions"]["code"]) for e in refused["errors"]] == [
            ("the API key is not valid", "UNAUTHENTICATED")
        ]
    assert [action for action, _ in await helpers_audit(db)] == ["create", "revoke"]


async def test_only_admins_see_or_manage_keys(db: Database, gql: GraphQLClient) -> None:
    created = (await gql.data(CREATE))["createApiKey"]
    manager = gql.signed_in_as(Viewer(user_id=2, role=UserRole.MANAGER))

    listing = await manager.execute("{ apiKeys { name } }")
    node = await manager.data(
        "query($id: ID!) { node(id: $id) { id } }", id=created["apiKey"]["id"]
    )
    revoke = await manager.execute(REVOKE, id=created["apiKey"]["id"])

    assert listing["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert node == {"node": None}
    assert revoke["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql.data("{ apiKeys { revokedAt } }"))["apiKeys"] == [{"revokedAt": None}]


def test_the_command_line_creates_a_key_and_prints_it_once(tmp_path: Path) -> None:
    database = tmp_path / "keys.db"
    env = {**os.environ, "PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}

    result = subprocess.run(
        [sys.executable, "-m", "prodhub", "create-api-key", "--name", "Dock 3", "--scope", "ingest"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    heading, secret = result.stdout.splitlines()
    assert heading == "created API key 'Dock 3', scope INGEST; its secret, shown once:"
    with sqlite3.connect(database) as connection:
        stored = connection.execute("SELECT name, scope, key_hash FROM api_keys").fetchall()
        audited = connection.execute("SELECT actor_label, action FROM audit_log").fetchall()
    assert stored == [("Dock 3", "INGEST", hashlib.sha256(secret.encode()).hexdigest())]
    assert audited == [("command line", "create")]
