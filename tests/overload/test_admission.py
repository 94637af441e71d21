"""The app sheds what needs an execution slot when none is free, and only that: a cached
answer, ``/healthz`` and ``/metrics`` answer without one. Every slot is held here by the test,
through the app's own gate (``app.state.admission``), so nothing depends on timing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from prodhub.admission import Gate
from prodhub.app import create_app
from prodhub.resources import build_resources
from tests.helpers import ADMIN, NOW, Backend, bearer, team

TEAMS = "{ teams { key } }"
OVERLOADED = {
    "errors": [
        {
            "message": "the server is overloaded; try again in 1 s",
            "extensions": {"code": "OVERLOADED"},
        }
    ]
}


@pytest.fixture
async def http(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    """An app of one execution slot and no queue, asked by an admin."""
    settings = backend.settings.model_copy(
        update={"max_concurrent_requests": 1, "max_queued_requests": 0}
    )
    resources = build_resources(settings, db=backend.db)
    app = create_app(resources, clock=lambda: NOW)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers=bearer(ADMIN)
    ) as client:
        yield client
    await resources.aclose()


def gate_of(http: httpx.AsyncClient) -> Gate:
    transport = http._transport
    assert isinstance(transport, httpx.ASGITransport)
    gate = transport.app.state.admission  # type: ignore[attr-defined]
    assert isinstance(gate, Gate)
    return gate


def shed_counts(scraped: str) -> dict[str, float]:
    return {
        sample.labels["reason"]: sample.value
        for family in text_string_to_metric_families(scraped)
        if family.name == "prodhub_requests_shed"
        for sample in family.samples
        if sample.name == "prodhub_requests_shed_total"
    }


async def test_without_a_free_slot_only_executions_are_shed(
    backend: Backend, http: httpx.AsyncClient
) -> None:
    await team(backend.db, key="night", name="Night")
    other = "query Other { teams { key name } }"
    first = await http.post("/graphql", json={"query": TEAMS})  # the cache keeps its answer
    before = shed_counts((await http.get("/metrics")).text)
    gate = gate_of(http)
    await gate.acquire()  # the one slot, held

    hit = await http.post("/graphql", json={"query": TEAMS})
    shed = await http.post("/graphql", json={"query": other})
    report = await http.get("/reports/daily.csv", params={"teamId": "night", "date": "2026-11-20"})
    health = await http.get("/healthz")
    scraped = await http.get("/metrics")
    gate.release()
    after = await http.post("/graphql", json={"query": other})

    assert (first.status_code, first.headers["x-prodhub-cache"]) == (200, "miss")
    assert (hit.status_code, hit.headers["x-prodhub-cache"], hit.json()) == (
        200,
        "hit",
        {"data": {"teams": [{"key": "night"}]}},
    )
    assert (shed.status_code, shed.headers["retry-after"], shed.json()) == (503, "1", OVERLOADED)
    assert (shed.headers["content-type"], shed.headers["cache-control"]) == (
        "application/json",
        "no-store",
    )
    assert (report.status_code, report.headers["retry-after"], report.text) == (
        503,
        "1",
        "the server is overloaded; try again in 1 s",
    )
    assert (health.status_code, scraped.status_code) == (200, 200)
    counted = shed_counts(scraped.text)
    assert counted.get("queue_full", 0) - before.get("queue_full", 0) == 2
    assert (after.status_code, after.json()) == (
        200,
        {"data": {"teams": [{"key": "night", "name": "Night"}]}},
    )
    assert (gate.running, gate.queued) == (0, 0)
