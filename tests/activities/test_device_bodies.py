"""A device may send a body over 1 MiB (recordActivities' 10,000 items) only once its key has
been checked, and that check is the request's only look-up of the key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from db.engine import Database
from prodhub.http_guard import MAX_BODY_BYTES
from services import api_keys
from services.api_keys import ApiKeyScope
from services.authentication import Viewer
from tests import helpers
from tests.helpers import StatementCounter, utc

RECORD = "mutation($items: [ActivityInput!]!) { recordActivities(input: $items) { accepted } }"
LIMIT = f'{{"errors":[{{"message":"request bodies are limited to {MAX_BODY_BYTES} bytes"}}]}}'


async def key(db: Database, *, revoked: bool = False) -> str:
    async with db.session() as session, session.begin():
        created = await api_keys.create_api_key(
            session=session, actor=Viewer(email="test"), name="dock 3", scope=ApiKeyScope.INGEST
        )
        if revoked:
            await api_keys.revoke_api_key(
                session=session,
                actor=Viewer(email="test"),
                key_id=created.row.id,
                now=utc(2026, 11, 20),
            )
    return created.secret


def large_batch(code: str) -> dict[str, Any]:
    """About 1.6 MB of JSON: over the common limit, under a device's."""
    start = utc(2026, 11, 20, 14)
    items = [
        {"employeeCode": code, "roleKey": "pick", "itemsCount": 1, "externalRef": f"r{n:05}",
         "windowStart": (start + timedelta(seconds=n)).isoformat(),
         "windowEnd": (start + timedelta(seconds=n + 60)).isoformat()}
        for n in range(10_000)
    ]  # fmt: skip
    return {"query": RECORD, "variables": {"items": items}}


async def test_a_value_that_only_looks_like_a_key_gets_the_common_limit(
    db: Database, client: httpx.AsyncClient
) -> None:
    revoked = await key(db, revoked=True)

    made_up = await client.post(
        "/graphql", json=large_batch("E1"), headers={"Authorization": "Bearer phk_made-up"}
    )
    withdrawn = await client.post(
        "/graphql", json=large_batch("E1"), headers={"Authorization": f"Bearer {revoked}"}
    )

    assert (made_up.status_code, made_up.text) == (413, LIMIT)
    assert (withdrawn.status_code, withdrawn.text) == (413, LIMIT)


async def test_a_valid_key_sends_its_large_batch_and_is_looked_up_once(
    db: Database, client: httpx.AsyncClient, statements: StatementCounter
) -> None:
    await helpers.team(db, key="dock")
    await helpers.role(db, key="pick")
    await helpers.employee(db, code="E1")
    secret = await key(db)
    headers = {"Authorization": f"Bearer {secret}"}
    await client.post(
        "/graphql", json={"query": RECORD, "variables": {"items": []}}, headers=headers
    )  # fmt: skip  (its use is noted: not this request's)

    statements.counting = True
    answer = await client.post("/graphql", json=large_batch("E1"), headers=headers)
    statements.counting = False

    assert answer.status_code == 200, answer.text[:200]
    assert answer.json() == {"data": {"recordActivities": {"accepted": 10_000}}}
    key_reads = [s for s in statements.statements if "FROM api_keys" in s]
    assert len(key_reads) == 1, key_reads
