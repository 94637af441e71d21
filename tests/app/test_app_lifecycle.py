"""The app's lifecycle and its production switches."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from prodhub.app import create_app


def _settings(tmp_path: Path, **overrides: str) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}", **overrides)  # type: ignore[arg-type]


async def test_engine_is_created_on_first_use_and_disposed_on_shutdown(tmp_path: Path) -> None:
    app = create_app(_settings(tmp_path))
    db = app.state.resources.db

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client,
    ):
        started_before_request = db.is_started
        status = (await client.get("/readyz")).status_code
        started_after_request = db.is_started

    assert (started_before_request, status, started_after_request) == (False, 200, True)
    assert db.is_started is False


@pytest.mark.parametrize(
    ("env", "status"), [("development", 200), ("production", 404)], ids=["dev", "prod"]
)
async def test_graphiql_in_development_only(tmp_path: Path, env: str, status: int) -> None:
    settings = _settings(tmp_path, env=env, secret_key="a-real-secret-for-this-test-of-32-bytes")
    app = create_app(settings)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        page = await c.get("/graphql", headers={"Accept": "text/html"})
    await app.state.resources.aclose()

    assert page.status_code == status
    assert ("<title>Strawberry GraphiQL</title>" in page.text) is (status == 200)


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(ValueError, match="PRODHUB_SECRET_KEY must be set in production"):
        Settings(env="production")


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="PRODHUB_SECRET_KEY needs at least 32 bytes"):
        Settings(secret_key="too short")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ("development", "Cannot query field 'nam' on type 'Team'. Did you mean 'name'?"),
        ("production", "Cannot query field 'nam' on type 'Team'."),
    ],
)
async def test_field_suggestions_only_in_development(
    tmp_path: Path, env: str, message: str
) -> None:
    settings = _settings(tmp_path, env=env, secret_key="a-real-secret-for-this-test-of-32-bytes")
    app = create_app(settings)

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = (await c.post("/graphql", json={"query": "{ teams { nam } }"})).json()
        schema = (
            await c.post("/graphql", json={"query": "{ __schema { types { name } } }"})
        ).json()
    await app.state.resources.aclose()

    assert [e["message"] for e in body["errors"]] == [message]
    assert ("errors" in schema) is (env == "production")
