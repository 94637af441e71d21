"""A database pool with no connection to give answers within its timeout: the GraphQL
request with SERVICE_UNAVAILABLE (try again), the CSV report with 503 and ``Retry-After``,
never a hang until the request's budget (TIMEOUT) nor INTERNAL_SERVER_ERROR. The pool has
one connection, and the test holds it."""

from __future__ import annotations

import httpx
import pytest

from core.settings import Settings
from db.engine import Database
from prodhub.app import create_app
from prodhub.resources import build_resources
from schema.infra.errors import UNAVAILABLE_MESSAGE
from tests.helpers import ADMIN, MYSQL_URL, NOW, Backend, bearer, team

TEAMS = "{ teams { key } }"


async def test_both_pools_wait_for_a_connection_as_long_as_the_setting_says() -> None:
    db = Database(
        Settings(
            database_url="mysql+aiomysql://app:secret@127.0.0.1:1/p", db_pool_timeout_seconds=2.5
        )
    )

    timeouts = [engine.pool._timeout for engine in (db.engine, db.read_engine)]  # type: ignore[attr-defined]

    assert timeouts == [2.5, 2.5]
    await db.dispose()


@pytest.mark.skipif(not MYSQL_URL, reason="needs MariaDB (scripts/test starts one)")
async def test_an_exhausted_pool_is_service_unavailable(mariadb: Backend) -> None:
    await team(mariadb.db, key="night")
    settings = mariadb.settings.model_copy(
        update={
            "db_pool_size": 1,
            "db_max_overflow": 0,
            "db_pool_timeout_seconds": 0.5,
            "cache_ttl_seconds": 0,
        }
    )
    resources = build_resources(settings)  # a database of its own: its pool of one
    app = create_app(resources, clock=lambda: NOW)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers=bearer(ADMIN)
    ) as http:
        served = await http.post("/graphql", json={"query": TEAMS})  # the user's stamps read
        async with resources.db.read_engine.connect() as held:
            await held.exec_driver_sql("SELECT 1")
            waited = await http.post("/graphql", json={"query": TEAMS})
            report = await http.get(
                "/reports/daily.csv", params={"teamId": "night", "date": "2026-11-20"}
            )
        again = await http.post("/graphql", json={"query": TEAMS})
    await resources.aclose()

    assert served.json() == again.json() == {"data": {"teams": [{"key": "night"}]}}
    assert waited.status_code == 200
    assert [
        (error["message"], error["extensions"]["code"]) for error in waited.json()["errors"]
    ] == [(UNAVAILABLE_MESSAGE, "SERVICE_UNAVAILABLE")]
    assert (report.status_code, report.headers["retry-after"], report.text) == (
        503,
        "5",
        UNAVAILABLE_MESSAGE,
    )
