"""DISPLAY keys (floor screens): created for one team (by an admin or the command line,
audited), they may show that team's leaderboard as a non-admin sees it and nothing else:
every other field and mutation is refused as an INGEST key's are."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    get_named_type,
    is_leaf_type,
)
from sqlalchemy import select

from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import build_resources
from schema.build import build_schema
from services.api_keys import ApiKeyScope
from tests import helpers
from tests.helpers import (
    ADMIN,
    NOW,
    Backend,
    GraphQLClient,
    ServerStatements,
    StatementCounter,
    gid,
)

CREATE = """mutation($scope: ApiKeyScope!, $team: ID) {
  createApiKey(name: "Floor screen 1", scope: $scope, teamId: $team) {
    apiKey { name scope team { name } } secret errors { field code message } } }"""
BOARD = """query($team: ID) { leaderboard(teamId: $team, from: "2026-11-20", to: "2026-11-20") {
  team { name } totalCount edges { node { rank displayName pointsEarned employee { name } } } } }"""
DAY = date(2026, 11, 20)
# Anyone may ask who they are, or try to sign in; a DISPLAY key may also ask for its board.
OPEN_TO_ALL = {"viewer", "login"}


@pytest.fixture(autouse=True)
async def admin_user(db: Database) -> None:
    await helpers.add(
        db, models.User(id=ADMIN.user_id, email=ADMIN.email, password_hash="-", role="ADMIN")
    )


async def _floor(db: Database) -> tuple[models.Team, models.Team]:
    """Alpha: Ann 30 points, Cid (opted out) 10; Beta: Dan 99."""
    alpha, beta = await helpers.team(db, name="Alpha"), await helpers.team(db, name="Beta")
    ann = await helpers.employee(db, name="Ann", team_id=alpha.id)
    cid = await helpers.employee(db, name="Cid", team_id=alpha.id, leaderboard_opt_out=True)
    dan = await helpers.employee(db, name="Dan", team_id=beta.id)
    await helpers.add(db, *(helpers.score(person, DAY, points_earned=points)
                            for person, points in ((ann, 30.0), (cid, 10.0), (dan, 99.0))))  # fmt: skip
    return alpha, beta


async def _audit(db: Database) -> list[tuple[str, Any]]:
    async with db.session() as session:
        return [(r.action, r.after) for r in await session.scalars(select(models.AuditLog))]


async def test_an_admin_creates_a_display_key_for_a_team_audited(
    db: Database, gql: GraphQLClient
) -> None:
    alpha, _ = await _floor(db)

    created = (await gql.data(CREATE, scope="DISPLAY", team=gid("Team", alpha.id)))["createApiKey"]
    listed = await gql.data("{ apiKeys { scope team { name } } }")
    [(action, after)] = await _audit(db)

    assert created["apiKey"] == {
        "name": "Floor screen 1",
        "scope": "DISPLAY",
        "team": {"name": "Alpha"},
    }
    assert created["errors"] == [] and created["secret"].startswith("phk_")
    assert listed == {"apiKeys": [{"scope": "DISPLAY", "team": {"name": "Alpha"}}]}
    assert action == "create"
    assert (after["scope"], after["team_id"]) == ("DISPLAY", alpha.id)
    assert created["secret"] not in str(after)


@pytest.mark.parametrize(
    ("scope", "team", "error"),
    [
        ("DISPLAY", None, ("BAD_USER_INPUT", "a DISPLAY key shows one team's leaderboard: name the team")),
        ("INGEST", "alpha", ("BAD_USER_INPUT", "an INGEST key belongs to no team")),
        ("DISPLAY", "missing", ("NOT_FOUND", "no such team")),
        ("DISPLAY", "employee", ("BAD_USER_INPUT", "id 'RW1wbG95ZWU6MQ==' is of type Employee, expected Team")),
        ("DISPLAY", "garbage", ("BAD_USER_INPUT", "malformed id 'not-an-id'")),
    ],
)  # fmt: skip
async def test_a_key_with_the_wrong_team_or_none_is_refused_and_nothing_is_written(
    db: Database, gql: GraphQLClient, scope: str, team: str | None, error: tuple[str, str]
) -> None:
    alpha, _ = await _floor(db)
    ids = {"alpha": gid("Team", alpha.id), "missing": gid("Team", 999_999),
           "employee": gid("Employee", 1), "garbage": "not-an-id", None: None}  # fmt: skip

    answer = (await gql.data(CREATE, scope=scope, team=ids[team]))["createApiKey"]

    assert answer == {"apiKey": None, "secret": None,
                      "errors": [{"field": "teamId", "code": error[0], "message": error[1]}]}  # fmt: skip
    assert (await gql.data("{ apiKeys { id } }")) == {"apiKeys": []}
    assert await _audit(db) == []


async def test_a_display_key_shows_its_teams_board_as_a_non_admin_sees_it(
    db: Database, client: httpx.AsyncClient
) -> None:
    alpha, beta = await _floor(db)
    key = await helpers.api_key(db, ApiKeyScope.DISPLAY, alpha.id)
    screen = GraphQLClient(client, {"Authorization": key})

    own = await screen.data(BOARD)
    named = await screen.data(BOARD, team=gid("Team", alpha.id))
    other = await screen.execute(BOARD, team=gid("Team", beta.id))
    who = await screen.data("{ viewer { authenticated role permissions } }")

    assert own == named == {"leaderboard": {"team": {"name": "Alpha"}, "totalCount": 2, "edges": [
        {"node": {"rank": 1, "displayName": "Ann", "pointsEarned": 30.0, "employee": {"name": "Ann"}}},
        {"node": {"rank": 2, "displayName": "Anonymous", "pointsEarned": 10.0, "employee": None}},
    ]}}  # fmt: skip
    assert other["data"] is None
    assert [(e["message"], e["extensions"]["code"]) for e in other["errors"]] == [
        ("a DISPLAY key shows its own team's leaderboard only", "FORBIDDEN")
    ]
    assert who == {"viewer": {"authenticated": False, "role": None,
                              "permissions": ["SHOW_TEAM_LEADERBOARD"]}}  # fmt: skip


def _literal(kind: GraphQLInputType) -> str:
    """A value of the type, for a document that passes validation."""
    if isinstance(kind, GraphQLNonNull):
        return _literal(kind.of_type)
    if isinstance(kind, GraphQLList):
        return f"[{_literal(kind.of_type)}]"
    if isinstance(kind, GraphQLEnumType):
        return str(next(iter(kind.values)))
    if isinstance(kind, GraphQLInputObjectType):
        given = [f"{name}: {_literal(field.type)}" for name, field in kind.fields.items()
                 if isinstance(field.type, GraphQLNonNull)]  # fmt: skip
        return "{" + ", ".join(given) + "}"
    return {"ID": f'"{gid("Team", 1)}"', "Int": "1", "Float": "1.0", "Boolean": "true",
            "Date": '"2026-11-20"', "DateTime": '"2026-11-20T20:30:00+00:00"'}.get(
        kind.name, '"x"')  # fmt: skip


def _document(operation: str, name: str, field: GraphQLField) -> str:
    arguments = ", ".join(f"{arg}: {_literal(a.type)}" for arg, a in field.args.items()
                          if isinstance(a.type, GraphQLNonNull))  # fmt: skip
    called = f"{name}({arguments})" if arguments else name
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    return f"{operation} {{ {called}{selection} }}"


async def test_a_display_key_is_refused_everything_else_as_an_ingest_key_is(
    db: Database, client: httpx.AsyncClient
) -> None:
    alpha, _ = await _floor(db)
    display = GraphQLClient(
        client, {"Authorization": await helpers.api_key(db, ApiKeyScope.DISPLAY, alpha.id)}
    )
    ingest = GraphQLClient(client, {"Authorization": await helpers.api_key(db, ApiKeyScope.INGEST)})
    schema = build_schema()._schema
    asked = [
        (operation, name, _document(operation, name, field))
        for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type))
        if root is not None
        for name, field in root.fields.items()
        if name not in OPEN_TO_ALL | {"leaderboard"}
    ]  # fmt: skip

    refused: dict[str, list[str]] = {}
    as_ingest: dict[str, list[str]] = {}
    for _, name, document in asked:
        for device, answers in ((display, refused), (ingest, as_ingest)):
            body = await device.execute(document)
            answers[name] = [error["extensions"]["code"] for error in body.get("errors", [])]
    display_message = (await display.execute("{ teams { key } }"))["errors"][0]["message"]

    assert len(asked) == 40  # every root field but the three above
    assert {name: codes for name, codes in refused.items()
            if codes not in (["FORBIDDEN"], ["UNAUTHENTICATED"])} == {}  # fmt: skip
    assert refused == as_ingest | {"recordActivities": ["FORBIDDEN"]}
    assert display_message == "a DISPLAY key may only show its team's leaderboard"
    assert [action for action, _ in await _audit(db)] == ["create", "create"]  # the two keys


async def test_a_display_keys_board_costs_the_same_statements_for_any_size(
    backend: Backend, db: Database, server: ServerStatements | None
) -> None:
    alpha, _ = await _floor(db)
    for n in range(20):
        person = await helpers.employee(db, name=f"Picker {n:02d}", team_id=alpha.id)
        await helpers.add(db, helpers.score(person, DAY, points_earned=float(n)))
    key = {"Authorization": await helpers.api_key(db, ApiKeyScope.DISPLAY, alpha.id)}
    app = create_app(build_resources(backend.settings.model_copy(update={"cache_ttl_seconds": 0}), db=db),
                     clock=lambda: NOW)  # fmt: skip
    statements = StatementCounter()
    statements.attach(db)
    seen: list[tuple[int, int, dict[str, int] | None]] = []
    page = 'query($first: Int!) { leaderboard(from: "2026-11-20", to: "2026-11-20", first: $first) { team { name } edges { node { rank displayName pointsEarned } } } }'
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            await http.post(
                "/graphql", json={"query": page, "variables": {"first": 1}}, headers=key
            )
            for first in (1, 10, 22):  # within a minute of the first: the key's use is noted
                statements.statements.clear()
                statements.counting = True
                if server is not None:
                    server.start()
                body = (
                    await http.post(
                        "/graphql", json={"query": page, "variables": {"first": first}}, headers=key
                    )
                ).json()
                by_server = server.stop() if server is not None else None
                statements.counting = False
                seen.append(
                    (len(body["data"]["leaderboard"]["edges"]), statements.count, by_server)
                )
    finally:
        statements.detach(db)
        await app.state.resources.aclose()

    # the key, the page, its position (ranks, total), the team
    assert [(rows, count) for rows, count, _ in seen] == [(1, 4), (10, 4), (22, 4)]
    if server is not None:
        selects = {"Questions": 4, "Com_select": 4, "Com_commit": 0, "Com_rollback": 0,
                   "Com_set_option": 0, "Com_admin_commands": 0}  # fmt: skip
        assert [by_server for _, _, by_server in seen] == [selects] * 3


async def test_a_display_key_may_send_small_bodies_only(
    db: Database, client: httpx.AsyncClient
) -> None:
    """A scanner's key may send 4 MiB; a screen's no more than anyone: 1 MiB."""
    alpha, _ = await _floor(db)
    display = await helpers.api_key(db, ApiKeyScope.DISPLAY, alpha.id)
    ingest = await helpers.api_key(db, ApiKeyScope.INGEST)
    body = (
        b'{"query": "{ viewer { authenticated } }", "variables": {"pad": "'
        + b"x" * 2_000_000
        + b'"}}'
    )

    answers = [
        await client.post("/graphql", content=body,
                          headers={"Authorization": key, "Content-Type": "application/json"})
        for key in (display, ingest)
    ]  # fmt: skip

    assert [a.status_code for a in answers] == [413, 200]
    assert answers[0].json() == {
        "errors": [{"message": "request bodies are limited to 1048576 bytes"}]
    }


def test_the_command_line_creates_a_display_key_for_a_team(tmp_path: Path) -> None:
    database = tmp_path / "keys.db"
    env = {**os.environ, "PRODHUB_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "prodhub", "create-api-key", *arguments],
                              env=env, capture_output=True, text=True, check=False)  # fmt: skip

    run("--name", "first", "--scope", "ingest")  # migrates the database
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO teams (key, name, timezone, created_at, updated_at) "
            "VALUES ('alpha', 'Alpha', 'America/Chicago', '2026-11-20', '2026-11-20')"
        )
    made = run("--name", "Floor 1", "--scope", "display", "--team", "alpha")
    without_team = run("--name", "Floor 2", "--scope", "display")
    ingest_with_team = run("--name", "Dock 3", "--scope", "ingest", "--team", "alpha")
    unknown_team = run("--name", "Floor 3", "--scope", "display", "--team", "nope")

    assert made.returncode == 0, made.stderr
    heading, secret = made.stdout.splitlines()
    assert (
        heading == "created API key 'Floor 1', scope DISPLAY (team alpha); its secret, shown once:"
    )
    assert [(r.returncode, r.stderr.strip()) for r in (without_team, ingest_with_team, unknown_team)] == [
        (1, "not created: a DISPLAY key shows one team's leaderboard: name the team"),
        (1, "not created: an INGEST key belongs to no team"),
        (1, "not created: no team with key 'nope'"),
    ]  # fmt: skip
    with sqlite3.connect(database) as connection:
        stored = connection.execute(
            "SELECT k.name, k.scope, t.key, k.key_hash FROM api_keys k "
            "LEFT JOIN teams t ON t.id = k.team_id ORDER BY k.id"
        ).fetchall()
        audited = connection.execute("SELECT actor_label, action FROM audit_log").fetchall()
    assert stored[1:] == [
        ("Floor 1", "DISPLAY", "alpha", hashlib.sha256(secret.encode()).hexdigest())
    ]
    assert [(name, scope, team) for name, scope, team, _ in stored] == [
        ("first", "INGEST", None), ("Floor 1", "DISPLAY", "alpha")]  # fmt: skip
    assert audited == [("command line", "create"), ("command line", "create")]
