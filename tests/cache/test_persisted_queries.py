"""Apollo's automatic persisted queries: an unknown hash, the document registered with its
hash (checked), then the hash alone, over POST and over GET; a hash never runs a mutation
over GET; on Redis every process shares the registry."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import build_resources
from services.authentication import Viewer
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, bearer

TEAMS = "{ teams { name } }"
DIGEST = hashlib.sha256(TEAMS.encode()).hexdigest()
NOT_FOUND = {
    "errors": [{"message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
}  # fmt: skip


def persisted(digest: str = DIGEST) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


async def post(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/graphql", json=body, headers=bearer(ADMIN))


async def get(client: httpx.AsyncClient, **params: Any) -> httpx.Response:
    encoded = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    headers = bearer(ADMIN) | {"apollo-require-preflight": "true"}
    return await client.get("/graphql", params=encoded, headers=headers)


async def test_the_apollo_flow_over_post_and_get(db: Database, client: httpx.AsyncClient) -> None:
    await helpers.team(db, name="Inbound")

    unknown = await post(client, extensions=persisted())
    registered = await post(client, query=TEAMS, extensions=persisted())
    by_hash = await post(client, extensions=persisted())
    by_get = await get(client, extensions=persisted())

    assert (unknown.status_code, unknown.json()) == (200, NOT_FOUND)
    expected = {"data": {"teams": [{"name": "Inbound"}]}}
    assert [r.json() for r in (registered, by_hash, by_get)] == [expected] * 3
    assert by_get.headers["cache-control"] == "private, max-age=300"
    assert by_get.headers["x-prodhub-cache"] == "hit"


async def test_a_hash_alone_runs_its_document_when_not_cached(
    db: Database, backend: Backend
) -> None:
    """Without the response cache every request runs: the registry fills in the document."""
    await helpers.team(db, name="Inbound")
    settings = backend.settings.model_copy(update={"cache_ttl_seconds": 0})
    resources = build_resources(settings, db=db)
    app = create_app(resources, clock=lambda: NOW)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        await post(c, query=TEAMS, extensions=persisted())
        over_post = await post(c, extensions=persisted())
        over_get = await get(c, extensions=persisted())
    await resources.aclose()

    expected = {"data": {"teams": [{"name": "Inbound"}]}}
    assert (over_post.json(), over_get.json()) == (expected, expected)
    assert over_get.headers["cache-control"] == "no-store"


async def test_a_hash_that_does_not_match_its_document_is_refused(
    client: httpx.AsyncClient,
) -> None:
    wrong = await post(client, query=TEAMS, extensions=persisted("0" * 64))
    malformed = await post(client, query=TEAMS, extensions={"persistedQuery": {"version": 2}})
    after = await post(client, extensions=persisted("0" * 64))

    assert wrong.status_code == malformed.status_code == 400
    assert wrong.json()["errors"][0] == {
        "message": "provided sha does not match query", "extensions": {"code": "BAD_USER_INPUT"},
    }  # fmt: skip
    assert malformed.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert after.json() == NOT_FOUND  # nothing was registered


async def test_a_persisted_mutation_never_runs_over_get(
    db: Database, client: httpx.AsyncClient
) -> None:
    await helpers.users(db, ADMIN)
    mutation = 'mutation { upsertTeam(input: {key: "t1", name: "One"}) { created } }'
    digest = hashlib.sha256(mutation.encode()).hexdigest()
    # Registered by a signed-in user who may not run it.
    manager = Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset({1}))
    refused = await client.post(
        "/graphql",
        json={"query": mutation, "extensions": persisted(digest)},
        headers=bearer(manager),
    )

    over_get = await get(client, extensions=persisted(digest))

    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (over_get.status_code, over_get.text) == (
        400, "mutations are not allowed when using GET",
    )  # fmt: skip
    teams = await post(client, query=TEAMS)
    assert teams.json() == {"data": {"teams": []}}


async def test_an_anonymous_client_registers_nothing(client: httpx.AsyncClient) -> None:
    anonymous = await client.post("/graphql", json={"query": TEAMS, "extensions": persisted()})
    later = await post(client, extensions=persisted())

    assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert later.json() == NOT_FOUND


async def test_every_process_shares_the_registry_on_redis(backend: Backend) -> None:
    if backend.settings.redis_url is None:
        pytest.skip("without Redis the registry is in the one process")
    apps = [build_resources(backend.settings, db=backend.db) for _ in range(2)]
    try:
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(r, clock=lambda: NOW)),
                base_url="http://t",
            )
            for r in apps
        ]
        registered = await post(clients[0], query=TEAMS, extensions=persisted())
        elsewhere = await post(clients[1], extensions=persisted())
        assert registered.json() == elsewhere.json() == {"data": {"teams": []}}
    finally:
        for client in clients:
            await client.aclose()
        for resources in apps:
            await resources.aclose()
