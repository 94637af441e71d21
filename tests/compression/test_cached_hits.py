"""A cached response is compressed once, when it is stored, in every coding; a hit sends the
stored bytes of the coding its client prefers, and compresses nothing. The decoded body is the
uncompressed answer byte for byte. On memory and on Redis, through the cache's front door and
through the GraphQL view."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette

from db.engine import Database
from prodhub.app import create_app
from prodhub.graphql_requests import CACHE_HEADER
from prodhub.resources import Resources
from tests import helpers
from tests.helpers import ADMIN, NOW, bearer
from tests.helpers_asgi import Answer, call

LIST = "{ employees(first: 40) { edges { node { name code } } } }"
ONE = "{ employees(first: 1) { edges { node { name } } } }"
VARY = ["Authorization", "Accept-Encoding"]


@pytest.fixture
async def app(db: Database, resources: Resources) -> Starlette:
    for n in range(30):  # a list of about 2 KB
        await helpers.employee(db, code=f"C{n:03d}", name=f"Employee number {n:03d} of the test")
    return create_app(resources, clock=lambda: NOW)


async def ask(
    app: Starlette, accept: str | None, query: str = LIST, spaced: bool = False
) -> Answer:
    """``spaced``: the same operation in a body of other bytes, which the front door does not
    know, so the GraphQL view finds the entry."""
    body = json.dumps({"query": query}, separators=(", ", ": ") if spaced else (",", ":"))
    headers = {"content-type": "application/json", **bearer(ADMIN)}
    if accept is not None:
        headers["accept-encoding"] = accept
    return await call(app, "POST", "/graphql", headers, body.encode())


def sent(answer: Answer) -> tuple[str | None, str | None, list[str], bool]:
    """How the cache answered, the coding, what the answer varies by (``Origin`` is CORS's,
    on what passes it), and whether ``Content-Length`` is that of the bytes sent."""
    vary = [v.strip() for v in (answer.header("vary") or "").split(",")]
    length = answer.header("content-length")
    return (
        answer.header(CACHE_HEADER),
        answer.header("content-encoding"),
        [v for v in vary if v != "Origin"],
        length == str(len(answer.raw)),
    )


async def test_a_hit_sends_stored_bytes_in_the_coding_the_client_prefers(
    app: Starlette, compressed: list[str]
) -> None:
    miss = await ask(app, "gzip, br")
    at_miss = list(compressed)
    front = {accept: await ask(app, accept) for accept in ("br", "gzip;q=1, br;q=0.5", None)}
    view = {accept: await ask(app, accept, spaced=True) for accept in ("gzip, br", "gzip")}

    assert at_miss == ["br", "gzip"]  # both when stored; the miss sends the stored br
    assert compressed == at_miss  # hits compress nothing
    identity = front[None].raw
    assert len(identity) > 1024 and json.loads(identity)["data"]["employees"]["edges"][0]
    assert sent(miss) == ("miss", "br", VARY, True)
    assert [sent(a) for a in front.values()] == [
        ("hit", "br", VARY, True),
        ("hit", "gzip", VARY, True),
        ("hit", None, VARY, True),
    ]
    assert [sent(a) for a in view.values()] == [
        ("hit", "br", VARY, True),
        ("hit", "gzip", VARY, True),
    ]
    answers = [miss, *front.values(), *view.values()]
    assert [a.decoded == identity for a in answers] == [True] * 6
    assert front["br"].raw == view["gzip, br"].raw == miss.raw  # the same stored bytes


async def test_a_small_hit_is_sent_as_it_is(app: Starlette, compressed: list[str]) -> None:
    answers = [await ask(app, "br", query=ONE) for _ in range(2)]

    assert [sent(a) for a in answers] == [
        ("miss", None, ["Authorization"], True),
        ("hit", None, ["Authorization"], True),
    ]
    assert answers[0].raw == answers[1].raw and len(answers[1].raw) < 1024
    assert compressed == []


async def test_refused_codings_are_not_sent(app: Starlette) -> None:
    await ask(app, None)

    refused = [
        await ask(app, accept) for accept in ("br;q=0, gzip;q=0", "*;q=0", "identity", "deflate")
    ]

    assert [sent(a) for a in refused] == [("hit", None, VARY, True)] * 4
