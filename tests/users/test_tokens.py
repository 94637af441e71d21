"""Tokens end when what they vouch for changes (deactivated, demoted, moved, deleted, a new
password), without a statement per request; a request has one ``Authorization`` header."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select, update

from core.settings import Settings
from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.graphql_requests import CACHE_HEADER
from prodhub.resources import Resources, build_resources
from services import revocation, users
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, GraphQLClient, StatementCounter, bearer, warm_reads

PASSWORD = "correct horse battery"
LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token errors { code } } }"""
TEAMS = "{ teams { key } }"
UPSERT_TEAM = """mutation($key: String!) {
  upsertTeam(input: {key: $key, name: "North Dock"}) { created errors { code message } } }"""
REVOKED = {
    "data": None,
    "errors": [{"message": "the access token is no longer valid; sign in again",
                "locations": [{"line": 1, "column": 3}], "path": ["teams"],
                "extensions": {"code": "UNAUTHENTICATED"}}],
}  # fmt: skip


class Clock:
    """A monotonic clock for the user stamps that a test moves."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


async def sign_in(
    http: httpx.AsyncClient,
    db: Database,
    email: str,
    role: UserRole = UserRole.ADMIN,
    **fields: Any,
) -> tuple[models.User, dict[str, str]]:
    """A user made by the service, and the header of their token from ``login``."""
    async with db.session() as session, session.begin():
        user = await users.create_user(
            session=session, email=email, password=PASSWORD, role=role, **fields
        )
    body = await GraphQLClient(http).data(LOGIN, email=email, password=PASSWORD)
    assert body["login"]["errors"] == []
    return user, {"Authorization": f"Bearer {body['login']['token']}"}


async def change_user(db: Database, user_id: int, **values: Any) -> None:
    async with db.session() as session, session.begin():
        await session.execute(update(models.User).where(models.User.id == user_id).values(**values))


async def ask(
    http: httpx.AsyncClient, headers: dict[str, str], query: str = TEAMS, **variables: Any
) -> Any:
    body = {"query": query, "variables": variables}
    response = await http.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def stamps_clock(resources: Resources, monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(resources.stamps, "clock", clock)
    return clock


async def count(db: Database, model: type[Any]) -> int:
    async with db.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def names(db: Database) -> list[str]:
    async with db.read_session() as session:
        return list(await session.scalars(select(models.Team.name)))


@pytest.fixture
async def unheard(backend: Backend) -> AsyncIterator[Database]:
    """Another process's database engines, whose writes nobody is told of (no listener)."""
    other = Database(backend.settings)
    yield other
    await other.dispose()


@pytest.fixture
async def elsewhere(backend: Backend) -> AsyncIterator[Resources]:
    """Another process's resources: its own database engines (its writes are not this
    process's), the same database and Redis."""
    other = build_resources(backend.settings)
    yield other
    await other.aclose()


@pytest.mark.parametrize(
    "change",
    [
        {"active": False},
        {"role": "EMPLOYEE"},
        {"team_ids": [99]},
        {"employee_id": "new"},
        {"password_hash": "$argon2id$v=19$m=65536,t=3,p=4$another"},
    ],
    ids=["deactivated", "demoted", "teams", "employee-record", "password"],
)
async def test_a_change_of_the_user_ends_their_tokens_at_once(
    db: Database, client: httpx.AsyncClient, change: dict[str, Any]
) -> None:
    team = await helpers.team(db, key="north")
    record = await helpers.employee(db)
    user, token = await sign_in(client, db, "boss@example.com", team_ids=[team.id])
    _, colleague = await sign_in(client, db, "other@example.com")
    before = await ask(client, token)

    await change_user(db, user.id, **{k: record.id if v == "new" else v for k, v in change.items()})
    after = await ask(client, token)

    assert before == {"data": {"teams": [{"key": "north"}]}}
    assert after == REVOKED
    assert await ask(client, colleague) == before  # only the changed user's tokens end


async def test_a_deleted_users_token_is_unauthenticated_for_reads_and_mutations(
    db: Database, client: httpx.AsyncClient
) -> None:
    user, token = await sign_in(client, db, "gone@example.com")
    await ask(client, token)

    async with db.session() as session, session.begin():
        await session.execute(delete(models.User).where(models.User.id == user.id))
    read = await ask(client, token)
    write = await ask(client, token, UPSERT_TEAM, key="north")

    assert read == REVOKED
    assert write == {"data": None, "errors": [
        {"message": "the access token is no longer valid; sign in again",
         "locations": [{"line": 2, "column": 3}], "path": ["upsertTeam"],
         "extensions": {"code": "UNAUTHENTICATED"}}
    ]}  # fmt: skip
    assert await count(db, models.Team) == 0


async def test_a_mutation_by_a_user_deleted_in_another_process_is_unauthenticated(
    db: Database, client: httpx.AsyncClient, unheard: Database, stamps_clock: Clock
) -> None:
    """Before this process hears of it, the audit log's reference to the user must not turn
    into a 500: the change is refused as UNAUTHENTICATED and nothing is written."""
    await helpers.team(db, key="north", name="North")
    user, token = await sign_in(client, db, "gone@example.com")
    await ask(client, token)  # this process has read the stamps

    async with unheard.session() as session, session.begin():
        await session.execute(delete(models.User).where(models.User.id == user.id))
    body = await ask(client, token, UPSERT_TEAM, key="north")

    assert body == {"data": {"upsertTeam": {"created": False, "errors": [
        {"code": "UNAUTHENTICATED", "message": "the signed-in user no longer exists; sign in again"}
    ]}}}  # fmt: skip
    assert await names(db) == ["North"]


async def test_another_process_sees_a_change_through_redis_or_within_the_stale_time(
    backend: Backend,
    db: Database,
    client: httpx.AsyncClient,
    elsewhere: Resources,
    stamps_clock: Clock,
) -> None:
    user, token = await sign_in(client, db, "boss@example.com")
    await ask(client, token)

    async with elsewhere.db.session() as session, session.begin():
        await session.execute(
            update(models.User).where(models.User.id == user.id).values(role="EMPLOYEE")
        )
    stamps_clock.seconds += revocation.STALE_SECONDS - 1
    soon = await _eventually(client, token, backend.settings)
    stamps_clock.seconds += 2
    later = await ask(client, token)

    # With Redis the other process told this one; without, it is seen once the stamps are stale.
    still: dict[str, Any] = {"data": {"teams": []}}
    assert soon == (REVOKED if backend.settings.redis_url else still)
    assert later == REVOKED


async def _eventually(client: httpx.AsyncClient, token: dict[str, str], settings: Settings) -> Any:
    """The answer once a message through Redis had time to arrive (a second at most)."""
    answer = await ask(client, token)
    for _ in range(20 if settings.redis_url else 0):
        if answer == REVOKED:
            break
        await asyncio.sleep(0.05)
        answer = await ask(client, token)
    return answer


async def test_fresh_stamps_cost_no_statement_and_stale_ones_one(
    db: Database,
    client: httpx.AsyncClient,
    statements: StatementCounter,
    stamps_clock: Clock,
) -> None:
    _, token = await sign_in(client, db, "boss@example.com")
    await ask(client, token, "{ viewer { email } }")
    await warm_reads(db)
    legacy = bearer(ADMIN)  # a token without a stamp: nothing to check

    counted = []
    for headers, move in [(legacy, 0.0), (token, 0.0), (token, revocation.STALE_SECONDS + 1)]:
        stamps_clock.seconds += move
        statements.statements.clear()
        statements.counting = True
        answer = await ask(client, headers, "{ viewer { email } }")
        statements.counting = False
        assert "errors" not in answer
        counted.append([re.findall(r"FROM (\w+)", s)[0] for s in statements.statements])

    assert counted == [[], [], ["users"]]


async def test_the_front_door_checks_the_stamp_and_leaves_stale_ones_to_the_view(
    db: Database, resources: Resources, stamps_clock: Clock
) -> None:
    app = create_app(resources, clock=lambda: NOW)
    graphql = app.state.graphql
    viewed: list[object] = []
    prepare = graphql._prepare

    async def counted(request: Any) -> Any:
        viewed.append(request)
        return await prepare(request)

    graphql._prepare = counted
    await helpers.team(db, key="north")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        user, token = await sign_in(http, db, "boss@example.com")
        seen = [await http.post("/graphql", json={"query": TEAMS}, headers=token) for _ in range(2)]
        stamps_clock.seconds += revocation.STALE_SECONDS + 1
        stale = await http.post("/graphql", json={"query": TEAMS}, headers=token)
        again = await http.post("/graphql", json={"query": TEAMS}, headers=token)
        viewed_before_change = len(viewed)
        await change_user(db, user.id, active=False)
        ended = await http.post("/graphql", json={"query": TEAMS}, headers=token)

    login_and_first = 2
    assert [r.headers.get(CACHE_HEADER) for r in (*seen, stale, again)] == [
        "miss",
        "hit",
        "hit",
        "hit",
    ]
    assert viewed_before_change == login_and_first + 1  # the stale one went the whole way
    assert CACHE_HEADER not in ended.headers and ended.json() == REVOKED


async def test_a_token_issued_before_stamps_lasts_until_its_expiry(
    client: httpx.AsyncClient,
) -> None:
    """Tokens signed before they carried a stamp (the last release's) are not refused for
    that; they end at their expiry, within the token lifetime."""
    headers = bearer(ADMIN, now=NOW - timedelta(minutes=59))

    assert (await ask(client, headers))["data"] == {"teams": []}
    assert (await ask(client, bearer(ADMIN, now=NOW - timedelta(minutes=61))))["errors"][0][
        "extensions"
    ] == {"code": "UNAUTHENTICATED"}


async def test_the_view_and_the_csv_route_refuse_two_authorization_headers(
    uncached: GraphQLClient,
) -> None:
    employee = Viewer(user_id=6, role=UserRole.EMPLOYEE, employee_id=1)
    both = [
        ("authorization", bearer(ADMIN)["Authorization"]),
        ("authorization", bearer(employee)["Authorization"]),
    ]
    view = await uncached.http.post("/graphql", json={"query": TEAMS}, headers=both)
    report = await uncached.http.get(
        "/reports/daily.csv", params={"teamId": helpers.gid("Team", 1), "date": "2026-11-19"},
        headers=both,
    )  # fmt: skip

    assert (view.status_code, view.text) == (400, "send one Authorization header")
    assert (report.status_code, report.text) == (400, "send one Authorization header")
