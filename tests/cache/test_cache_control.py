"""Cache hints: what is cached, for how long and for whom, as the HTTP headers say; hits are
the stored bytes, served without the GraphQL pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from db.engine import Database
from prodhub.app import create_app
from prodhub.graphql_requests import CACHE_HEADER
from prodhub.resources import Resources
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, bearer

TEAMS = "{ teams { name } }"


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
async def app_client(resources: Resources, clock: Clock) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(resources, clock=clock)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        http.app = app  # type: ignore[attr-defined]
        yield http


async def ask(
    http: httpx.AsyncClient,
    query: str,
    viewer: Viewer = ADMIN,
    now: datetime = NOW,
    **variables: Any,
) -> httpx.Response:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=bearer(viewer, now=now)
    )
    assert response.status_code == 200, response.text
    return response


def caching(response: httpx.Response) -> tuple[str | None, str | None, str | None]:
    h = response.headers
    return h.get(CACHE_HEADER), h.get("cache-control"), h.get("age")


async def test_a_hit_is_the_stored_bytes_without_the_graphql_pipeline(
    db: Database, app_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    await helpers.team(db, name="Inbound")
    miss = await ask(app_client, TEAMS)
    graphql = app_client.app.state.graphql  # type: ignore[attr-defined]

    def no_pipeline(*_: Any, **__: Any) -> Any:
        raise AssertionError("a hit ran the GraphQL pipeline")

    for name in ("run", "execute_single", "encode_json", "process_result"):
        monkeypatch.setattr(graphql, name, no_pipeline)
    hit = await ask(app_client, TEAMS)

    assert hit.content == miss.content == b'{"data":{"teams":[{"name":"Inbound"}]}}'
    assert caching(miss) == ("miss", "private, max-age=300", "0")
    assert caching(hit) == ("hit", "private, max-age=300", "0")
    assert hit.headers["vary"] == "Authorization, Origin"  # Origin: the CORS middleware
    assert hit.headers["content-type"] == "application/json"


async def test_age_counts_from_when_the_response_was_computed(
    db: Database, app_client: httpx.AsyncClient, clock: Clock
) -> None:
    await ask(app_client, TEAMS)
    clock.now += timedelta(seconds=42)

    hit = await ask(app_client, TEAMS)

    assert caching(hit) == ("hit", "private, max-age=300", "42")


async def test_the_smallest_hint_wins(db: Database, app_client: httpx.AsyncClient) -> None:
    person = await helpers.employee(db)
    query = "query($id: ID!) { employee(id: $id) { name isClockedIn } }"

    first = await ask(app_client, query, id=helpers.gid("Employee", person.id))

    assert caching(first) == ("miss", "private, max-age=60", "0")  # isClockedIn: 60 s


async def test_private_responses_are_kept_per_viewer(
    db: Database, app_client: httpx.AsyncClient
) -> None:
    other_admin = Viewer(user_id=2, email="second@example.com", role=UserRole.ADMIN)
    query = "{ viewer { email } }"

    mine = [await ask(app_client, query), await ask(app_client, query)]
    theirs = await ask(app_client, query, other_admin)

    assert [caching(r)[:2] for r in mine] == [("miss", "private, max-age=300"),
                                               ("hit", "private, max-age=300")]  # fmt: skip
    assert caching(theirs)[:2] == ("miss", "private, max-age=300")
    assert theirs.json()["data"]["viewer"]["email"] == "second@example.com"


async def test_a_root_field_without_a_hint_is_not_cached(app_client: httpx.AsyncClient) -> None:
    query = "{ jobRuns(first: 1) { edges { cursor } } }"

    first, second = await ask(app_client, query), await ask(app_client, query)

    assert caching(first) == caching(second) == (None, "no-store", None)


async def test_mutations_and_errors_are_never_cached(app_client: httpx.AsyncClient) -> None:
    bad = 'query { employee(id: "not-an-id") { name } }'

    errors = [await ask(app_client, bad), await ask(app_client, bad)]

    assert [caching(r) for r in errors] == [("miss", "no-store", None)] * 2


@pytest.mark.parametrize("now", [datetime(2026, 11, 21, 5, 58, tzinfo=NOW.tzinfo)])
async def test_a_default_today_is_kept_until_midnight_at_most(
    db: Database, app_client: httpx.AsyncClient, now: datetime, clock: Clock
) -> None:
    """23:58 in Chicago: the board of "today" may be kept 120 s, not the hint's 300."""
    clock.now = now
    dated = await ask(
        app_client, '{ leaderboard(from: "2026-11-20", to: "2026-11-20") { totalCount } }', now=now
    )
    today = await ask(app_client, "{ leaderboard { from totalCount } }", now=now)

    assert caching(dated) == ("miss", "private, max-age=300", "0")
    assert caching(today) == ("miss", "private, max-age=120", "0")
    assert today.json()["data"]["leaderboard"]["from"] == "2026-11-20"


@pytest.mark.parametrize(
    "viewer",
    [ADMIN, Viewer(user_id=3, email="m@example.com", role=UserRole.MANAGER,
                   team_ids=frozenset({1})),
     Viewer(user_id=4, email="e@example.com", role=UserRole.EMPLOYEE, employee_id=1)],
    ids=["admin", "manager", "employee"],
)  # fmt: skip
async def test_no_answer_may_be_kept_by_a_shared_cache(
    db: Database, app_client: httpx.AsyncClient, viewer: Viewer
) -> None:
    """Every answer depends on what the credentials may see, and many CDNs ignore ``Vary``:
    none is ``public``, a miss or a hit, whatever its cache hints say."""
    await helpers.team(db, name="Inbound")

    miss, hit = await ask(app_client, TEAMS, viewer), await ask(app_client, TEAMS, viewer)

    assert [caching(r) for r in (miss, hit)] == [("miss", "private, max-age=300", "0"),
                                                 ("hit", "private, max-age=300", "0")]  # fmt: skip
    assert miss.headers["vary"] == hit.headers["vary"] == "Authorization, Origin"
