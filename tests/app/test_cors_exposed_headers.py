"""A browser client on an allowed origin may read how the response cache answered and the
request's id: the CORS middleware exposes ``x-prodhub-cache`` and ``x-request-id`` on a
computed answer and on a cached one alike."""

from __future__ import annotations

import httpx

from prodhub.app import create_app
from tests.helpers import ADMIN, NOW, Backend, bearer

ORIGIN = "https://dash.example.com"


async def test_the_cache_header_is_exposed_to_the_allowed_origin(backend: Backend) -> None:
    settings = backend.settings.model_copy(update={"cors_origins": [ORIGIN]})
    app = create_app(settings, clock=lambda: NOW)
    headers = {"origin": ORIGIN, **bearer(ADMIN)}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        answers = [
            await c.post("/graphql", json={"query": "{ roles { key } }"}, headers=headers)
            for _ in range(2)
        ]
    await app.state.resources.aclose()

    assert [
        (
            r.status_code,
            r.headers["access-control-allow-origin"],
            r.headers["access-control-expose-headers"],
            r.headers["x-prodhub-cache"],
        )
        for r in answers
    ] == [
        (200, ORIGIN, "x-prodhub-cache, x-request-id", "miss"),
        (200, ORIGIN, "x-prodhub-cache, x-request-id", "hit"),
    ]
