"""The read-your-writes cookie: set by a request that wrote, believed only as a recent time."""

from __future__ import annotations

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from cache.freshness import current
from prodhub.read_your_writes import ReadYourWrites

NOW = 1_800_000_000.0


def app_seeing(seen: list[float | None], *, write_at: float | None = None) -> ReadYourWrites:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        request = current.get()
        assert request is not None
        seen.append(request.wrote_at)
        if write_at is not None:
            request.note_write(write_at)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return ReadYourWrites(inner, staleness_seconds=7.0, clock=lambda: NOW)


@pytest.mark.parametrize(
    ("cookie", "believed"),
    [
        ("prodhub_wrote=1799999995000", NOW - 5), ("prodhub_wrote=1799999990000", None),
        ("prodhub_wrote=1800000030000", NOW + 30), ("prodhub_wrote=1800000090000", None),
        ("prodhub_wrote=-5", None), ("prodhub_wrote=²³", None), ("prodhub_wrote=9" * 40, None),
        ("other=1; prodhub_wrote=1799999999000", NOW - 1), ("prodhub_wrote=", None),
    ],
)  # fmt: skip
async def test_only_a_recent_time_is_believed(cookie: str, believed: float | None) -> None:
    seen: list[float | None] = []
    transport = httpx.ASGITransport(app=app_seeing(seen))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        await client.get("/", headers={b"cookie": cookie.encode("latin-1")})

    assert seen == [believed]


async def test_a_request_that_wrote_tells_its_client_when() -> None:
    transport = httpx.ASGITransport(app=app_seeing([], write_at=NOW - 0.25))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        wrote = await client.get("/")
    transport = httpx.ASGITransport(app=app_seeing([]))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        read = await client.get("/")

    assert wrote.headers["set-cookie"] == (
        "prodhub_wrote=1799999999750; Max-Age=8; Path=/; HttpOnly; SameSite=Lax"
    )
    assert "set-cookie" not in read.headers
