"""The middleware compresses text only, leaves alone what is already encoded or not text, and
compresses a body sent in parts part by part."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from prodhub.compression import Compression
from tests.helpers_asgi import call

TEXT = b"a line of text that repeats\n" * 100  # 2,800 bytes


async def parts() -> AsyncIterator[bytes]:
    for _ in range(3):
        yield TEXT


def route(path: str, media_type: str, **headers: str) -> Route:
    async def answer(_: object) -> Response:
        return Response(TEXT, media_type=media_type, headers=headers)

    return Route(path, answer)


@pytest.fixture
def app() -> Compression:
    async def streamed(_: object) -> Response:
        return StreamingResponse(parts(), media_type="text/plain")

    async def events(_: object) -> Response:
        return StreamingResponse(parts(), media_type="text/event-stream")

    routes = [
        route("/json", "application/graphql-response+json"),
        route("/png", "image/png"),
        route("/encoded", "text/plain", **{"content-encoding": "gzip"}),
        Route("/streamed", streamed),
        Route("/events", events),
    ]
    return Compression(Starlette(routes=routes))


async def test_only_text_is_compressed(app: Compression) -> None:
    answers = [
        await call(app, "GET", p, {"accept-encoding": "br"}) for p in ("/json", "/png", "/encoded")
    ]

    assert [(a.header("content-encoding"), a.header("vary")) for a in answers] == [
        ("br", "Accept-Encoding"),
        (None, None),
        ("gzip", None),  # as the app sent it
    ]
    assert answers[0].decoded == TEXT and [a.raw for a in answers[1:]] == [TEXT, TEXT]


async def test_a_body_in_parts_is_compressed_part_by_part(app: Compression) -> None:
    streamed = await call(app, "GET", "/streamed", {"accept-encoding": "gzip"})
    events = await call(app, "GET", "/events", {"accept-encoding": "gzip"})

    assert (streamed.header("content-encoding"), streamed.parts, streamed.decoded) == (
        "gzip",
        4,
        TEXT * 3,
    )
    assert (events.header("content-encoding"), events.header("vary"), events.raw) == (
        None,
        None,
        TEXT * 3,
    )
