"""OpenTelemetry, with ``PRODHUB_OTEL_ENABLED``: a GraphQL request is a server span whose
trace holds a span per SQL statement. Off (the default), building the app and answering a
request import nothing of OpenTelemetry beyond what ``import redis`` loads by itself (redis-py
imports the API and the SDK's metrics when they are installed): no instrumentation, no tracer,
no exporter."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.instrumentation.starlette import StarletteInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from db.engine import Database
from prodhub import tracing
from prodhub.app import create_app
from prodhub.resources import build_resources
from tests.helpers import ADMIN, NOW, Backend, StatementCounter, bearer

ROLES = "query Roles { roles { key } }"


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """This process's tracer provider, exporting in memory; no instrumentation outlives the
    test."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tracing, "_provider", provider)
    yield exporter
    SQLAlchemyInstrumentor().uninstrument()
    provider.shutdown()


async def test_a_request_is_a_server_span_with_its_sql_statements(
    backend: Backend, spans: InMemorySpanExporter
) -> None:
    settings = backend.settings.model_copy(update={"otel_enabled": True, "cache_ttl_seconds": 0})
    db = Database(settings)  # engines of its own, uninstrumented after the test
    counter = StatementCounter()
    counter.attach(db)
    app = create_app(build_resources(settings, db=db), clock=lambda: NOW)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://t"
        ) as http:
            counter.counting = True
            response = await http.post("/graphql", json={"query": ROLES}, headers=bearer(ADMIN))
            counter.counting = False
    finally:
        StarletteInstrumentor.uninstrument_app(app)
        await app.state.resources.aclose()
        await db.dispose()

    assert response.status_code == 200
    finished = spans.get_finished_spans()
    [server] = [s for s in finished if s.kind is SpanKind.SERVER]
    sql = [s for s in finished if "db.statement" in (s.attributes or {})]
    assert server.name == "POST /graphql"
    assert len(sql) == counter.count >= 1
    assert {s.context.trace_id for s in sql} == {server.context.trace_id}


def test_off_nothing_of_opentelemetry_is_imported(tmp_path: Path) -> None:
    script = f"""
import asyncio, sys
import redis

loaded = {{m for m in sys.modules if m.startswith("opentelemetry")}}

import httpx
from core.settings import Settings
from db.migrate import upgrade_sync
from prodhub.app import create_app

url = "sqlite+aiosqlite:///{tmp_path / "off.db"}"
upgrade_sync(url)

async def main() -> None:
    app = create_app(Settings(database_url=url))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        answer = await http.post("/graphql", json={{"query": "{{ viewer {{ authenticated }} }}"}})
        assert answer.status_code == 200, answer.text

asyncio.run(main())
added = {{m for m in sys.modules if m.startswith("opentelemetry")}} - loaded
print(sorted(added | {{m for m in sys.modules if m == "prodhub.tracing"}}))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[]"
