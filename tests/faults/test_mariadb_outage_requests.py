"""Requests while MariaDB is down (connections refused) or black-holed (nothing answers): every
step that reads the database before the operation runs (a device's API key, users' stamps
behind a token) and the CSV route are bounded by the request's time budget and fail as typed
errors, never a hang or a bare 500; a resolver's database failure is SERVICE_UNAVAILABLE,
not INTERNAL_SERVER_ERROR. The app runs in-process (asyncio's loop: none of this depends on
the loop) in front of the test MariaDB through a proxy that fails on demand."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bench.faults.proxy import FaultProxy
from core.settings import Settings
from prodhub import graphql_app
from prodhub.app import create_app
from prodhub.resources import build_resources
from services import api_keys
from services.api_keys import ApiKeyScope
from services.authentication import Viewer
from services.users import UserRole, create_user
from tests.helpers import MYSQL_URL, Backend, team

BUDGET_SECONDS = 1.0  # the request's budget here (EXECUTION_TIMEOUT_SECONDS)
MARGIN_SECONDS = 1.0  # what a request may take past it: the answer's own work
HANG_SECONDS = 10.0  # a request still unanswered then hangs (the test fails, not waits)
PASSWORD = "correct horse battery staple"
INGEST = "mutation { recordActivities(input: []) { accepted duplicates } }"
UNAVAILABLE = {"code": "SERVICE_UNAVAILABLE"}

pytestmark = pytest.mark.skipif(not MYSQL_URL, reason="needs MariaDB (scripts/test starts one)")


@dataclass
class Proxied:
    """An app whose database is behind ``proxy``, and what it serves."""

    proxy: FaultProxy
    http: httpx.AsyncClient
    key: str  # a device's API key
    token: str  # an admin's access token (with its stamp)
    team_key: str

    async def post(self, query: str, credentials: str | None = None, **variables: Any) -> Timed:
        headers = {"Authorization": f"Bearer {credentials}"} if credentials else {}
        body = {"query": query, "variables": variables}
        return await timed(self.http.post("/graphql", json=body, headers=headers))

    async def csv(self) -> Timed:
        headers = {"Authorization": f"Bearer {self.token}"}
        params = {"teamId": self.team_key, "date": "2026-11-20"}
        return await timed(self.http.get("/reports/daily.csv", params=params, headers=headers))


@dataclass
class Timed:
    response: httpx.Response
    seconds: float


async def timed(request: Awaitable[httpx.Response]) -> Timed:
    started = time.monotonic()
    async with asyncio.timeout(HANG_SECONDS):
        response = await request
    return Timed(response, time.monotonic() - started)


@pytest.fixture
async def rows(mariadb: Backend) -> tuple[str, str, str]:
    """A device's key, an admin's email and a team's key, written directly (the fixture
    empties their tables afterwards)."""

    async def write(session: Any) -> str:
        await create_user(
            session=session, email="outage@example.com", password=PASSWORD,
            role=UserRole.ADMIN, production=False,
        )  # fmt: skip
        actor = Viewer(email="test")
        created = await api_keys.create_api_key(
            session=session, actor=actor, name="scanner", scope=ApiKeyScope.INGEST
        )
        return created.secret

    key = await mariadb.db.write(write)
    return key, "outage@example.com", (await team(mariadb.db)).key


@pytest.fixture
async def proxied_app(
    rows: tuple[str, str, str], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[[], Awaitable[Proxied]]]:
    """Apps (each with its own pools and users' stamps, as a process has) whose database is
    behind one proxy: ``make()`` builds one and signs in (with the usual budget: a cold
    server may take a second), and the budget is ``BUDGET_SECONDS`` from then on."""
    assert MYSQL_URL is not None
    host, port = MYSQL_URL.split("@", 1)[1].split("/", 1)[0].split(":")
    proxy = FaultProxy(host, int(port))
    await proxy.start()
    url = MYSQL_URL.replace(f":{port}/", f":{proxy.port}/", 1)
    key, email, team_key = rows
    opened: list[tuple[httpx.AsyncClient, Any]] = []
    usual = graphql_app.EXECUTION_TIMEOUT_SECONDS

    async def make() -> Proxied:
        resources = build_resources(Settings(database_url=url, cache_ttl_seconds=0))
        transport = httpx.ASGITransport(app=create_app(resources), raise_app_exceptions=False)
        http = httpx.AsyncClient(transport=transport, base_url="http://test")
        opened.append((http, resources))
        monkeypatch.setattr(graphql_app, "EXECUTION_TIMEOUT_SECONDS", usual)
        login = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
        signed_in = await http.post(
            "/graphql", json={"query": login, "variables": {"e": email, "p": PASSWORD}}
        )
        token = signed_in.json()["data"]["login"]["token"]
        monkeypatch.setattr(graphql_app, "EXECUTION_TIMEOUT_SECONDS", BUDGET_SECONDS)
        return Proxied(proxy, http, key, token, team_key)

    yield make
    await proxy.restore()
    for http, resources in opened:
        await http.aclose()
        await resources.aclose()
    await proxy.stop()


def unavailable(timed: Timed) -> list[dict[str, Any]]:
    """The errors of a JSON answer of 200 (a 500 or a text body fails here)."""
    assert timed.response.status_code == 200, timed.response.text
    body: dict[str, Any] = timed.response.json()
    assert body.get("data") is None, body
    return [error["extensions"] for error in body["errors"]]


async def test_a_device_with_mariadb_black_holed_is_answered_within_the_budget(
    proxied_app: Callable[[], Awaitable[Proxied]],
) -> None:
    app = await proxied_app()
    warm = await app.post(INGEST, app.key)  # the key's row read, its use noted
    app.proxy.black_hole()

    held = await app.post(INGEST, app.key)
    await app.proxy.restore()
    after = await app.post(INGEST, app.key)

    assert warm.response.json() == {"data": {"recordActivities": {"accepted": 0, "duplicates": 0}}}
    assert unavailable(held) == [UNAVAILABLE]
    assert BUDGET_SECONDS <= held.seconds < BUDGET_SECONDS + MARGIN_SECONDS
    # The read cancelled mid-statement left no connection behind with its answer unread.
    assert after.response.json() == warm.response.json()


async def test_a_device_with_mariadb_down_gets_a_typed_error_at_once(
    proxied_app: Callable[[], Awaitable[Proxied]],
) -> None:
    app = await proxied_app()
    await app.proxy.refuse()

    refused = await app.post(INGEST, app.key)
    await app.proxy.restore()
    after = await app.post(INGEST, app.key)

    assert unavailable(refused) == [UNAVAILABLE]
    assert refused.seconds < MARGIN_SECONDS
    assert after.response.json() == {"data": {"recordActivities": {"accepted": 0, "duplicates": 0}}}


async def test_a_token_whose_stamps_cannot_be_read_gets_a_typed_error(
    proxied_app: Callable[[], Awaitable[Proxied]],
) -> None:
    """A process that has not read users' stamps yet cannot judge a token without the
    database: down, it says so at once; black-holed, within the budget."""
    signed_in = await proxied_app()
    fresh = await proxied_app()  # another process: its stamps never read
    await fresh.proxy.refuse()
    down = await fresh.post("{ viewer { email } }", signed_in.token)
    await fresh.proxy.restore()
    fresh.proxy.black_hole()
    held = await fresh.post("{ viewer { email } }", signed_in.token)
    await fresh.proxy.restore()
    after = await fresh.post("{ viewer { email } }", signed_in.token)

    assert unavailable(down) == [UNAVAILABLE]
    assert down.seconds < MARGIN_SECONDS
    assert unavailable(held) == [UNAVAILABLE]
    assert BUDGET_SECONDS <= held.seconds < BUDGET_SECONDS + MARGIN_SECONDS
    assert after.response.json() == {"data": {"viewer": {"email": "outage@example.com"}}}


async def test_an_operation_whose_database_is_down_is_service_unavailable(
    proxied_app: Callable[[], Awaitable[Proxied]],
) -> None:
    app = await proxied_app()
    await app.proxy.refuse()

    refused = await app.post("{ teams { key } }", app.token)

    assert unavailable(refused) == [UNAVAILABLE]
    assert refused.response.json()["errors"][0]["message"] == (
        "the database is unavailable; try again in a few seconds"
    )


async def test_the_csv_route_with_mariadb_down_or_black_holed_is_a_503_in_time(
    proxied_app: Callable[[], Awaitable[Proxied]],
) -> None:
    app = await proxied_app()
    await app.post("{ viewer { email } }", app.token)  # users' stamps read
    await app.proxy.refuse()
    down = await app.csv()
    await app.proxy.restore()
    app.proxy.black_hole()
    held = await app.csv()
    await app.proxy.restore()
    after = await app.csv()

    assert (down.response.status_code, down.response.text) == (
        503, "the database is unavailable; try again in a few seconds"
    )  # fmt: skip
    assert down.response.headers["retry-after"] == "5"
    assert down.seconds < MARGIN_SECONDS
    assert (held.response.status_code, held.response.text) == (
        503, f"the report took longer than {BUDGET_SECONDS:g} s and was stopped"
    )  # fmt: skip
    assert BUDGET_SECONDS <= held.seconds < BUDGET_SECONDS + MARGIN_SECONDS
    assert (after.response.status_code, after.response.text) == (  # the team has no report
        404, "no report of 2026-11-20 for this team (reports are built after 18:30)"
    )  # fmt: skip


async def test_a_sign_in_cancelled_mid_statement_leaves_no_answer_for_the_next(
    proxied_app: Callable[[], Awaitable[Proxied]],
) -> None:
    """A statement cancelled by the budget while its connection waits for the answer: that
    answer arrives when the network heals, and must not be read as the next statement's."""
    app = await proxied_app()
    login = 'mutation($e: String!) { login(email: $e, password: "wrong!") { token } }'
    app.proxy.black_hole()
    held = await app.post(login, None, e="outage@example.com")
    await app.proxy.restore()
    await asyncio.sleep(0.2)  # the held answer delivered
    after = [await app.post("{ teams { key } }", app.token) for _ in range(4)]

    assert [e["extensions"]["code"] for e in held.response.json()["errors"]] == ["TIMEOUT"]
    for answer in after:
        assert "errors" not in answer.response.json(), answer.response.text
        assert {"key": app.team_key} in answer.response.json()["data"]["teams"]
