"""What a connection may do, spoken by hand: subscriptions per connection and per process,
hostile documents refused as queries are, credentials from connection_init that end with the
token, and the server's pings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from websockets.exceptions import ConnectionClosed

from core.settings import Settings
from db import models
from db.engine import Database
from services.authentication import Viewer, issue_token
from services.revocation import user_stamp
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, bearer
from tests.helpers_live import BOARD, DAY, Floor, bare, live_app, receive, send, subscribe

ADMIN_AUTH = {"Authorization": bearer(ADMIN)["Authorization"]}
DAY_VARIABLES = {"from": DAY.isoformat(), "to": DAY.isoformat()}


COSTLY = """subscription { leaderboardUpdated(first: 100) { edges { node { employee {
  activities(first: 100) { edges { node { id itemsCount windowStart windowEnd workDate source
                                          externalRef voidedAt role { key name } } } }
} } } } }"""


def refused(operation_id: str, message: str, code: str) -> dict[str, Any]:
    """The protocol's error message for an operation, typed."""
    error = {"message": message, "extensions": {"code": code}}
    return {"id": operation_id, "type": "error", "payload": [error]}


def codes(message: dict[str, Any]) -> list[tuple[str, str]]:
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    return [(e["extensions"]["code"], e["message"]) for e in errors]


async def test_a_connection_and_a_process_hold_so_many_subscriptions(
    backend: Backend, floor: Floor
) -> None:
    limits = {"subscriptions_per_connection": 2, "subscriptions_per_process": 3}
    async with live_app(backend, **limits) as live, bare(live.url, ADMIN_AUTH) as ws:
        for n in ("1", "2", "3"):
            await subscribe(ws, n, **DAY_VARIABLES)
        answers = {(m["id"], m["type"]): m for m in [await receive(ws) for _ in range(3)]}
        async with bare(live.url, ADMIN_AUTH) as other:
            await subscribe(other, "a", **DAY_VARIABLES)
            assert (await receive(other))["type"] == "next"
            await subscribe(other, "b", **DAY_VARIABLES)
            over = await receive(other)
            held = live.app.boards.subscriptions

    assert sorted(answers) == [("1", "next"), ("2", "next"), ("3", "error")]
    assert answers["3", "error"] == refused(
        "3", "a connection holds 2 subscriptions at most; complete one first",
        "TOO_MANY_SUBSCRIPTIONS",
    )  # fmt: skip
    assert over == refused(
        "b", "this server holds 3 subscriptions at most; try again later", "TOO_MANY_SUBSCRIPTIONS"
    )
    assert held == 3


async def test_hostile_documents_get_the_errors_queries_get(live: Any, floor: Floor) -> None:
    aliases = " ".join(f"a{n}: leaderboardUpdated {{ totalCount }}" for n in range(31))
    nested = "subscription { leaderboardUpdated { edges { node { employee { team { name } } } } } }"
    async with bare(live.url, ADMIN_AUTH) as ws:
        await subscribe(ws, "big", "subscription {" + " " * 20_001 + "}")
        big = await receive(ws)
        await subscribe(ws, "first", BOARD, first=1_000_000, **DAY_VARIABLES)
        first = await receive(ws)
        done = await receive(ws)
        await subscribe(ws, "aliases", f"subscription {{ {aliases} }}")
        too_many = await receive(ws)
        await subscribe(ws, "query", "{ __typename }")
        query = await receive(ws)
        await subscribe(ws, "costly", COSTLY)
        costly = [await receive(ws), await receive(ws)]
        await subscribe(ws, "nested", nested)
        fine = await receive(ws)

    assert big == refused(
        "big", "query documents are limited to 20000 characters", "DOCUMENT_TOO_LARGE"
    )
    assert first["type"] == "next" and first["payload"]["data"] is None
    assert codes(first) == [("BAD_USER_INPUT", "`first` must be between 0 and 100, got 1000000")]
    assert done == {"id": "first", "type": "complete"}
    assert too_many["type"] == "error"
    assert [c for c, _ in codes(too_many)] == ["GRAPHQL_VALIDATION_FAILED"]
    assert "aliases" in codes(too_many)[0][1]
    assert query == refused(
        "query",
        "only subscriptions are served over websockets: send queries and mutations over HTTP",
        "BAD_REQUEST",
    )
    assert [m["type"] for m in costly] == ["next", "complete"]
    assert codes(costly[0]) == [(
        "COST_LIMIT_EXCEEDED",
        "the operation may return about 140,400 fields, more than the 50,000 allowed: ask "
        "for fewer items per page or fewer fields",
    )]  # fmt: skip
    assert fine["type"] == "next"  # within the limits: served


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "sign in to see this"),
        ({"Authorization": "Bearer nope"}, "the access token is not valid; sign in again"),
    ],
)
async def test_without_valid_credentials_a_subscription_is_refused(
    live: Any, payload: dict[str, str], message: str
) -> None:
    async with bare(live.url, payload) as ws:
        await subscribe(ws, "1", **DAY_VARIABLES)
        answer = await receive(ws)

    assert answer["type"] == "error"  # the protocol's refusal of an operation: no complete
    assert codes(answer) == [("UNAUTHENTICATED", message)]


async def test_a_token_that_expires_ends_its_subscriptions_and_connection(
    backend: Backend, db: Database, floor: Floor
) -> None:
    token = bearer(ADMIN, now=NOW - timedelta(minutes=59))  # an hour's token: a minute left
    async with live_app(backend, subscription_recheck_seconds=0.1) as live:
        async with bare(live.url, {"Authorization": token["Authorization"]}) as ws:
            await subscribe(ws, "1", **DAY_VARIABLES)
            first = await receive(ws)
            live.clock.advance(timedelta(minutes=2))
            ended = await receive(ws)
            done = await receive(ws)
            with pytest.raises(ConnectionClosed) as closed:
                await receive(ws)
        held = live.app.boards.subscriptions

    assert first["type"] == "next"
    assert ended == {
        "id": "1", "type": "next",
        "payload": {"data": None, "errors": [{
            "message": "the access token has expired; sign in again",
            "extensions": {"code": "UNAUTHENTICATED"},
        }]},
    }  # fmt: skip
    assert done == {"id": "1", "type": "complete"}
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4403, "the access token has expired; sign in again"
    )  # fmt: skip
    assert held == 0


async def test_the_server_pings_and_closes_a_connection_that_does_not_answer(
    backend: Backend,
) -> None:
    async with (
        live_app(backend, subscription_ping_seconds=0.2) as live,
        bare(live.url, ADMIN_AUTH) as ws,
    ):
        ping = await receive(ws)
        await send(ws, {"type": "pong"})
        again = await receive(ws)
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)  # no pong this time

    assert ping == again == {"type": "ping"}
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4408, "no pong to the last ping")


async def test_a_token_revoked_by_a_change_of_its_user_ends_its_subscriptions(
    backend: Backend, db: Database, floor: Floor
) -> None:
    user = models.User(id=41, email="boss@example.com", password_hash="-", role="ADMIN")
    await helpers.add(db, user)
    viewer = Viewer(user_id=41, email=user.email, role=UserRole.ADMIN, stamp=user_stamp(user))
    token = issue_token(viewer, secret=Settings().signing_key, now=NOW, ttl=timedelta(hours=1))
    async with (
        live_app(backend, subscription_recheck_seconds=0.1) as live,
        bare(live.url, {"Authorization": f"Bearer {token}"}) as ws,
    ):
        await subscribe(ws, "1", **DAY_VARIABLES)
        first = await receive(ws)
        async with db.session() as session, session.begin():
            await session.execute(update(models.User).values(active=False))
        ended = await receive(ws)
        done = await receive(ws)
        with pytest.raises(ConnectionClosed) as closed:
            await receive(ws)

    assert first["type"] == "next"
    assert codes(ended) == [
        ("UNAUTHENTICATED", "the access token is no longer valid; sign in again")
    ]
    assert done == {"id": "1", "type": "complete"}
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
