"""``GET /metrics``: Prometheus' text format; requests by route and status, the response
cache's answers, and the jobs, pools and breaker as they are at the scrape — the jobs and
workers read for the scrape, or the previous read's while that one takes long."""

from __future__ import annotations

import asyncio
import socket
import time
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from db import models
from db.engine import Database
from prodhub import metrics
from prodhub.app import create_app
from prodhub.resources import Resources, build_resources
from prodhub.worker_watch import EXITS, STARTS, WORKERS
from services.jobs import PERIODIC_JOBS
from tests import helpers
from tests.helpers import ADMIN, NOW, Backend, bearer, utc


@pytest.fixture(autouse=True)
def patient_scrapes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every scrape here waits for its own read (a busy test machine may take 30 ms), but in
    the test of a read that does not end."""
    monkeypatch.setattr(metrics, "FRESH_SECONDS", 10.0)


async def scrape(client: httpx.AsyncClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def delta(before: dict[Any, float], after: dict[Any, float], name: str, **labels: str) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def test_requests_by_route_and_status_and_the_caches_answers(
    client: httpx.AsyncClient,
) -> None:
    query = {"query": "{ teams { name } }"}
    before = await scrape(client)
    for _ in range(2):
        assert (await client.get("/healthz")).status_code == 200
    assert (await client.get("/wp-login.php")).status_code == 404
    answers = [
        (await client.post("/graphql", json=query, headers=bearer(ADMIN))).headers.get(
            "x-prodhub-cache"
        )
        for _ in range(2)
    ]
    assert (await client.post("/graphql", json={"query": "{"})).status_code == 200  # a parse error
    after = await scrape(client)

    total = "prodhub_http_requests_total"
    assert delta(before, after, total, route="/healthz", status="200") == 2
    assert delta(before, after, total, route="other", status="404") == 1
    assert delta(before, after, total, route="/graphql", status="200") == 3
    assert delta(before, after, total, route="/metrics", status="200") == 1  # the first scrape
    assert (
        delta(before, after, "prodhub_http_request_duration_seconds_count", route="/healthz") == 2
    )
    assert answers == ["miss", "hit"]
    cache = "prodhub_graphql_cache_total"
    assert delta(before, after, cache, result="miss") == 1
    assert delta(before, after, cache, result="hit") == 1
    assert delta(before, after, cache, result="none") == 1  # not cacheable: it does not parse


async def test_jobs_pools_and_breaker_as_they_are_now(
    db: Database, backend: Backend, client: httpx.AsyncClient, resources: Resources
) -> None:
    await helpers.users(db, ADMIN)
    await helpers.add(
        db,
        models.JobControl(job="sync_users", paused=True, updated_by_user_id=ADMIN.user_id),
        models.JobRun(job="refresh_scores", tick="2026-11-20T14:00", status="SUCCEEDED",
                      started_at=utc(2026, 11, 20, 20), finished_at=utc(2026, 11, 20, 20, 1)),
        models.JobRun(job="refresh_scores", tick="2026-11-20T14:05", status="FAILED",
                      started_at=utc(2026, 11, 20, 20, 5), finished_at=utc(2026, 11, 20, 20, 6)),
        models.JobRun(job="finalize_day", tick="2026-11-20T12:00", status="SUCCEEDED",
                      started_at=utc(2026, 11, 20, 18), finished_at=utc(2026, 11, 20, 18)),
    )  # fmt: skip
    found = await scrape(client)

    def gauge(name: str, **labels: str) -> float | None:
        return found.get((name, tuple(sorted(labels.items()))))

    assert {job: gauge("prodhub_job_paused", job=job) for job in PERIODIC_JOBS} == {
        job: 1.0 if job == "sync_users" else 0.0 for job in PERIODIC_JOBS
    }
    assert gauge("prodhub_job_last_run_failed", job="refresh_scores") == 1.0
    assert gauge("prodhub_job_last_run_failed", job="finalize_day") == 0.0
    finished = "prodhub_job_last_finished_timestamp_seconds"
    assert gauge(finished, job="refresh_scores") == utc(2026, 11, 20, 20, 6).timestamp()
    assert gauge(finished, job="finalize_day") == utc(2026, 11, 20, 18).timestamp()
    assert gauge(finished, job="sync_users") is None  # no run yet
    assert gauge("prodhub_db_connections_in_use", pool="read") == 0.0
    assert gauge("prodhub_db_connections_in_use", pool="write") == 0.0
    assert gauge("prodhub_cache_breaker_open") == 0.0
    assert gauge("prodhub_metrics_database_ok") == 1.0
    if backend.settings.redis_url:
        assert resources.cache is not None and resources.cache.breaker is not None
        resources.cache.breaker.failed()
        assert (await scrape(client))[("prodhub_cache_breaker_open", ())] == 1.0


async def test_a_database_that_cannot_be_reached_costs_the_job_gauges_not_the_scrape(
    backend: Backend,
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on: refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = backend.settings.model_copy(
        update={"database_url": f"mysql+aiomysql://nobody:x@127.0.0.1:{port}/none"}
    )
    resources = build_resources(settings)
    app = create_app(resources, clock=lambda: NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        before = await scrape(http)
        assert (await http.get("/healthz")).status_code == 200
        found = await scrape(http)
    await resources.aclose()

    assert found[("prodhub_metrics_database_ok", ())] == 0.0
    assert not [name for name, _ in found if name.startswith("prodhub_job_")]
    assert delta(before, found, "prodhub_http_requests_total", route="/healthz", status="200") == 1


async def test_the_workers_as_their_watchdogs_report_them(
    backend: Backend, client: httpx.AsyncClient, resources: Resources
) -> None:
    if resources.redis is None:  # the embedded default: the web process runs the jobs
        found = await scrape(client)
        assert not [name for name, _ in found if "worker" in name]
        return
    now = time.time()
    await resources.redis.zadd(WORKERS, {"host:1": now - 1, "host:2": now - 3600})
    await resources.redis.set(STARTS, 3)
    await resources.redis.set(EXITS, 1)
    found = await scrape(client)
    await resources.redis.zrem(WORKERS, "host:1")
    none_alive = await scrape(client)

    assert found[("prodhub_metrics_redis_ok", ())] == 1.0
    assert found[("prodhub_workers_alive", ())] == 1.0  # the other beat an hour ago
    assert found[("prodhub_worker_last_alive_timestamp_seconds", ())] == pytest.approx(now - 1)
    assert found[("prodhub_worker_starts_total", ())] == 3.0
    assert found[("prodhub_worker_watchdog_exits_total", ())] == 1.0
    assert none_alive[("prodhub_workers_alive", ())] == 0.0
    assert none_alive[("prodhub_worker_last_alive_timestamp_seconds", ())] == pytest.approx(
        now - 3600
    )


async def test_a_redis_that_cannot_be_reached_costs_the_worker_gauges_not_the_scrape(
    backend: Backend,
) -> None:
    with socket.socket() as probe:  # a loopback port nobody listens on: refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = backend.settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{port}/0"})
    resources = build_resources(settings, db=backend.db)
    app = create_app(resources, clock=lambda: NOW)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t"
    ) as http:
        found = await scrape(http)
    await resources.aclose()

    assert found[("prodhub_metrics_redis_ok", ())] == 0.0
    assert not [name for name, _ in found if "worker" in name]
    assert found[("prodhub_metrics_database_ok", ())] == 1.0


async def test_a_read_that_takes_long_answers_with_the_previous_one_and_its_age(
    db: Database, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process at its limit has every pooled connection busy: the jobs' read waits for one.
    The scrape does not: it answers with what the previous read found, and how old it is."""
    await helpers.users(db, ADMIN)
    await helpers.add(db, models.JobControl(job="sync_users", paused=True,
                                            updated_by_user_id=ADMIN.user_id))  # fmt: skip
    first = await scrape(client)
    release = asyncio.Event()
    reads = 0
    real = metrics._shared

    async def slow(resources: Resources) -> Any:
        nonlocal reads
        reads += 1
        await release.wait()
        return await real(resources)

    monkeypatch.setattr(metrics, "_shared", slow)
    monkeypatch.setattr(metrics, "FRESH_SECONDS", 0.05)
    await helpers.add(db, models.JobControl(job="refresh_scores", paused=True,
                                            updated_by_user_id=ADMIN.user_id))  # fmt: skip
    busy = [await scrape(client) for _ in range(3)]
    release.set()
    await asyncio.sleep(0.5)  # the one read started lands
    later = await scrape(client)

    paused = ("prodhub_job_paused", (("job", "refresh_scores"),))
    age = ("prodhub_metrics_shared_age_seconds", ())
    assert first[paused] == 0.0
    assert [found[paused] for found in busy] == [0.0, 0.0, 0.0]  # the previous read's
    assert all(found[age] > 0 for found in busy)
    assert reads == 2  # the three busy scrapes shared one read; the later scrape started one
    assert later[paused] == 1.0
    assert later[age] < busy[-1][age]
