"""Liveness and readiness endpoints."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import redis.asyncio
from sqlalchemy import text

from core.settings import Settings
from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import build_resources
from tests.helpers import REDIS_URL, Backend, ServerStatements, StatementCounter


async def test_healthz_answers_without_touching_the_database(
    client: httpx.AsyncClient, statements: StatementCounter, server: ServerStatements | None
) -> None:
    await client.get("/healthz")  # the app is started

    statements.counting = True
    if server is not None:
        server.start()
    response = await client.get("/healthz")
    seen = server.stop() if server is not None else None
    statements.counting = False

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert statements.statements == []
    if seen is not None:  # not a statement, not a ping
        assert (seen["Questions"], seen["Com_admin_commands"]) == (0, 0)


async def test_readyz_reports_database_and_pools(backend: Backend) -> None:
    """On a Database of its own: the write pool is reported once the process has written."""
    db = Database(backend.settings)
    resources = build_resources(backend.settings, db=db)
    app = create_app(resources)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            response = await client.get("/readyz")
            await db.write(lambda session: session.execute(text("SELECT 1")))
            after_a_write = (await client.get("/readyz")).json()["checks"]["database"]["pools"]
    finally:
        await resources.aclose()
        await db.dispose()

    body = response.json()
    assert response.status_code == 200
    assert (body["ready"], body["status"]) == (True, "ok")
    assert body["checks"]["database"]["ok"] is True
    pools = body["checks"]["database"]["pools"]
    assert list(pools) == ["reads"]  # nothing written yet: no write pool
    assert (pools["reads"]["checked_out"], pools["reads"]["idle"]) == (0, 1)
    assert set(pools["reads"]) == {"size", "checked_out", "overflow", "idle"}
    assert list(after_a_write) == ["reads", "writes"]
    assert (after_a_write["writes"]["checked_out"], after_a_write["writes"]["idle"]) == (0, 1)
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
        "status": "unavailable",
        "checks": {
            "database": {"ok": False, "error": "OperationalError"},
            "redis": {"ok": False, "error": "ConnectionError"},
        },
    }


async def test_readiness_probes_reuse_one_redis_connection(tmp_path: Path) -> None:
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
