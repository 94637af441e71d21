"""What is not a cache hit is compressed as it is sent, when it is text of 1 KB or more:
uncached GraphQL answers, the CSV reports, the GraphiQL page and its assets. Smaller answers
and errors go as they are, without ``Vary: Accept-Encoding``."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import update
from starlette.applications import Starlette

from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.graphiql import ASSETS_DIR
from prodhub.resources import build_resources
from services.authentication import Viewer
from services.daily_reports import build_reports
from services.users import UserRole
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, bearer, gid
from tests.helpers_asgi import Answer, call

LIST = "{ employees(first: 40) { edges { node { name code } } } }"
DAY = date(2026, 11, 20)


@pytest.fixture
async def app(db: Database, backend: Backend) -> Starlette:
    """An app without the response cache, and a list of 30 employees (about 2 KB)."""
    for n in range(30):
        await helpers.employee(db, code=f"C{n:03d}", name=f"Employee number {n:03d} of the test")
    settings = backend.settings.model_copy(update={"cache_ttl_seconds": 0})
    return create_app(build_resources(settings, db=backend.db), clock=lambda: NOW)


async def graphql(app: Starlette, accept: str | None, query: str = LIST) -> Answer:
    headers = {"content-type": "application/json", **bearer(ADMIN)}
    if accept is not None:
        headers["accept-encoding"] = accept
    return await call(app, "POST", "/graphql", headers, json.dumps({"query": query}).encode())


def sent(answer: Answer) -> tuple[int, str | None, bool, bool]:
    """The status, the coding, whether it varies by Accept-Encoding, and whether
    ``Content-Length`` is that of the bytes sent (None: sent in parts)."""
    vary = [v.strip().lower() for v in (answer.header("vary") or "").split(",")]
    length = answer.header("content-length")
    return (
        answer.status,
        answer.header("content-encoding"),
        "accept-encoding" in vary,
        length == str(len(answer.raw)) if length is not None else answer.parts > 1,
    )


async def test_an_uncached_answer_is_compressed_as_it_is_sent(
    app: Starlette, compressed: list[str]
) -> None:
    answers = {a: await graphql(app, a) for a in ("br", "gzip", "br;q=0, gzip;q=0", None)}

    identity = answers[None].raw
    assert len(identity) > 1024 and "errors" not in json.loads(identity)
    assert [sent(a) for a in answers.values()] == [
        (200, "br", True, True),
        (200, "gzip", True, True),
        (200, None, True, True),
        (200, None, True, True),
    ]
    assert [a.decoded == identity for a in answers.values()] == [True] * 4
    assert compressed == ["br", "gzip"]


async def test_small_answers_and_errors_go_as_they_are(
    app: Starlette, compressed: list[str]
) -> None:
    small = await graphql(app, "br", "{ employees(first: 1) { edges { node { name } } } }")
    error = await graphql(app, "br", "{ employees(first: 1) { nope } }")
    refused = await call(app, "POST", "/graphql", {"content-type": "application/json",
                                                   "accept-encoding": "br"}, b"{")  # fmt: skip

    assert [sent(a) for a in (small, error, refused)] == [
        (200, None, False, True),
        (200, None, False, True),
        (400, None, False, True),
    ]
    assert json.loads(error.raw)["errors"][0]["message"].startswith("Cannot query field 'nope'")
    assert compressed == []


async def test_the_csv_report_is_compressed(db: Database, app: Starlette) -> None:
    team = await helpers.team(db, key="floor")
    for n in range(6):
        person = await helpers.employee(db, code=f"R{n}", name=f"{n} " + "x" * 120, team_id=team.id)
        await helpers.add(
            db, helpers.score(person, DAY, points_earned=5.0 + n, items_processed=3 + n)
        )
    async with db.session() as session, session.begin():
        await session.execute(update(models.DailyScore).values(is_final=True))
    await db.write(lambda s: build_reports(session=s, work_date=DAY, now=NOW))
    manager = Viewer(user_id=5, role=UserRole.MANAGER, team_ids=frozenset({team.id}))
    query = f"teamId={gid('Team', team.id)}&date={DAY.isoformat()}"

    answers = [
        await call(
            app,
            "GET",
            "/reports/daily.csv",
            {**bearer(manager), "accept-encoding": accept},
            query=query,
        )
        for accept in ("br", "gzip", "identity")
    ]

    identity = answers[2].raw
    assert len(identity) > 1024 and identity.startswith(b"section,")
    assert [sent(a) for a in answers] == [
        (200, "br", True, True),
        (200, "gzip", True, True),
        (200, None, True, True),
    ]
    assert [a.decoded for a in answers] == [identity] * 3
    assert answers[0].header("content-type") == "text/csv; charset=utf-8"


async def test_graphiql_and_its_assets_are_compressed(app: Starlette) -> None:
    page = await call(app, "GET", "/graphql", {"accept": "text/html", "accept-encoding": "gzip"})
    whole = await call(
        app, "GET", "/graphiql-assets/plugin-explorer.umd.js", {"accept-encoding": "br"}
    )
    parts = await call(
        app, "GET", "/graphiql-assets/react-dom.production.min.js", {"accept-encoding": "gzip"}
    )
    plain = await call(app, "GET", "/graphiql-assets/react-dom.production.min.js")

    assert [sent(a) for a in (page, whole, parts, plain)] == [
        (200, "gzip", True, True),
        (200, "br", True, True),
        (200, "gzip", True, True),  # in parts, without a Content-Length
        (200, None, True, True),
    ]
    assert b"/graphiql-assets/graphiql.min.js" in page.decoded
    assert whole.decoded == (ASSETS_DIR / "plugin-explorer.umd.js").read_bytes()
    react_dom = (ASSETS_DIR / "react-dom.production.min.js").read_bytes()
    assert (parts.parts, parts.header("content-length"), parts.decoded == react_dom) == (
        3,
        None,
        True,
    )
    assert plain.raw == react_dom
    etag = plain.header("etag")
    assert etag is not None and parts.header("etag") == "W/" + etag  # the same content, not bytes


async def test_a_conditional_or_partial_asset_request_is_answered_as_before(app: Starlette) -> None:
    path = "/graphiql-assets/react.production.min.js"
    etag = (await call(app, "GET", path)).header("etag")
    assert etag is not None

    revalidated = await call(
        app, "GET", path, {"accept-encoding": "br", "if-none-match": "W/" + etag}
    )
    ranged = await call(app, "GET", path, {"accept-encoding": "br", "range": "bytes=0-1499"})
    head = await call(app, "HEAD", path, {"accept-encoding": "br"})

    assert (revalidated.status, revalidated.raw) == (304, b"")
    assert sent(ranged) == (206, None, False, True) and len(ranged.raw) == 1500
    assert (head.status, head.header("content-encoding"), head.raw) == (200, None, b"")
