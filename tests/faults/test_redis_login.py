"""Signing in while Redis is black-holed (connections in use and new ones go silent), on
MariaDB with a Redis of the test's own behind a ``FaultProxy``: sign-ins answer quickly (at
most one short cache timeout per breaker window, not one per attempt) and the failed-sign-in
limits still hold, counted in memory."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bench.faults import processes
from bench.faults.proxy import FaultProxy
from core.redis import CACHE_TIMEOUT_SECONDS
from prodhub.app import create_app
from prodhub.resources import build_resources
from services import users
from services.users import UserRole
from tests.helpers import NOW, Backend

pytestmark = pytest.mark.skipif(
    not processes.Redis.available(), reason="needs redis-server (scripts/test installs it)"
)

LOGIN = """mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) { token errors { code } } }"""
EMAIL, PASSWORD, WRONG = "boss@example.com", "correct horse battery", "wrong password!"


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[processes.Redis]:
    server = processes.Redis(tmp_path / "redis").start()
    yield server
    server.stop()


async def test_sign_in_under_a_black_holed_redis_is_quick_and_still_limited(
    mariadb: Backend, own_redis: processes.Redis
) -> None:
    async with mariadb.db.session() as session, session.begin():
        await users.create_user(
            session=session, email=EMAIL, password=PASSWORD, role=UserRole.ADMIN
        )
    proxy = FaultProxy("127.0.0.1", own_redis.port)
    await proxy.start()
    settings = mariadb.settings.model_copy(update={"redis_url": own_redis.url(port=proxy.port)})
    resources = build_resources(settings, db=mariadb.db)
    app = create_app(resources, clock=lambda: NOW)
    assert resources.cache is not None and resources.cache.breaker is not None
    breaker = resources.cache.breaker

    async def login(password: str, address: str) -> tuple[str, float]:
        transport = httpx.ASGITransport(app=app, client=(address, 50123))
        started = time.perf_counter()
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.post(
                "/graphql",
                json={"query": LOGIN, "variables": {"email": EMAIL, "password": password}},
            )
        answer: Any = response.json()["data"]["login"]
        outcome = "SIGNED_IN" if answer["token"] else answer["errors"][0]["code"]
        return outcome, time.perf_counter() - started

    try:
        # Redis answers: the limiter's connections are pooled; two failures are counted.
        warm = [await login(WRONG, "203.0.113.5") for _ in range(2)]
        _, password_check = await login(PASSWORD, "198.51.100.7")
        failures_before = breaker.failures

        proxy.black_hole()
        outage = [await login(WRONG, "203.0.113.5") for _ in range(3)]
        outage += [await login(PASSWORD, "203.0.113.5"), await login(PASSWORD, "198.51.100.7")]
        failures = breaker.failures - failures_before
    finally:
        await proxy.restore()
        await resources.aclose()
        await proxy.stop()

    assert [o for o, _ in warm] == ["INVALID_CREDENTIALS"] * 2
    # The 5 failures of that address on the account (2 before, 3 during) refuse even the
    # right password there; elsewhere it signs in.
    assert [o for o, _ in outage] == ["INVALID_CREDENTIALS"] * 3 + ["RATE_LIMITED", "SIGNED_IN"]
    assert failures == 1  # one probe timed out; the breaker skipped Redis for the rest
    # A refusal checks no password: it shows what Redis costs an attempt once the breaker is
    # open (nothing); the others add a password check (argon2: its time varies with the load).
    assert outage[3][1] < 0.1, outage
    assert max(seconds for _, seconds in outage) < password_check + CACHE_TIMEOUT_SECONDS + 0.5
