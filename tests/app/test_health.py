"""Liveness and readiness endpoints."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import redis.asyncio

from core.settings import Settings
from prodhub.app import create_app
from tests.helpers import REDIS_URL, Backend


async def test_healthz_answers_without_touching_the_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_database_and_pool(
    backend: Backend, client: httpx.AsyncClient
) -> None:
    response = await client.get("/readyz")

    body = response.json()
    assert response.status_code == 200
    assert body["ready"] is True
    assert body["checks"]["database"]["ok"] is True
    pools = body["checks"]["database"]["pools"]
    assert set(pools) <= {"reads", "writes"}
    assert set(pools["reads"]) == {"size", "checked_out", "overflow", "idle"}
    if backend.settings.redis_url:
        assert body["checks"]["redis"] == {"ok": True}
    else:
        assert "redis" not in body["checks"]


async def test_readyz_is_503_when_the_database_is_unreachable() -> None:
    settings = Settings(
        database_url="mysql+aiomysql://nobody:nothing@127.0.0.1:1/none",
        redis_url="redis://127.0.0.1:1/0",
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/readyz")
    await app.state.resources.aclose()

    assert response.status_code == 503
    assert response.json() == {
        "ready": False,
        "checks": {
            "database": {"ok": False, "error": "OperationalError"},
            "redis": {"ok": False, "error": "ConnectionError"},
        },
    }


async def test_readiness_probes_reuse_the_process_redis_client(tmp_path: Path) -> None:
    if REDIS_URL is None:
        pytest.skip("needs Redis")
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'ready.db'}", redis_url=REDIS_URL
    )
    app = create_app(settings)
    async with redis.asyncio.Redis.from_url(REDIS_URL) as observer:
        before = (await observer.info("stats"))["total_connections_received"]
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            statuses = [(await client.get("/readyz")).status_code for _ in range(5)]
        after = (await observer.info("stats"))["total_connections_received"]
    await app.state.resources.aclose()

    assert statuses == [200] * 5
    assert after - before == 1  # the app's one pooled connection, reused by every probe
