"""``GET /metrics`` in Prometheus' text format, for the operators.

Per process, kept by ``prometheus_client``: requests by route and status, their durations,
and how the response cache answered GraphQL (the ``x-prodhub-cache`` header: hit, miss, or
none when the operation may not be cached). With ``prodhub serve --workers N`` the CLI gives
the processes a shared ``PROMETHEUS_MULTIPROC_DIR``, so a scrape of any one of them reports
all of them (the library's multiprocess mode).

Read at each scrape: the jobs (paused, when their latest run finished and whether it failed:
two statements, the same as ``systemStatus``), the database pools, and the cache breaker.
Routes are a fixed set, so a client cannot grow the label space with made-up paths.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.cache.breaker import State
from prodhub.graphql_requests import CACHE_HEADER
from prodhub.resources import Resources
from services import jobs

log = logging.getLogger(__name__)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
DATABASE_SECONDS = 2.0
ROUTES = frozenset({"/graphql", "/healthz", "/readyz", "/metrics", "/reports/daily.csv"})
_CACHE_HEADER = CACHE_HEADER.encode()

REQUESTS = Counter(
    "prodhub_http_requests", "HTTP requests answered, by route and status.", ["route", "status"]
)
DURATION = Histogram(
    "prodhub_http_request_duration_seconds",
    "From the request's arrival to the response's last byte handed to the server, by route.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
CACHE = Counter(
    "prodhub_graphql_cache", "GraphQL requests by how the response cache answered.", ["result"]
)


class RequestMetrics:
    """ASGI middleware counting and timing every HTTP request (a few microseconds each)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._children: dict[tuple[object, ...], Any] = {}  # labelled children, looked up once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        route = path if path in ROUTES else "other"
        started = time.perf_counter()
        status, cache = 500, ""

        async def sending(message: Message) -> None:
            nonlocal status, cache
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", ()):
                    if name == _CACHE_HEADER:
                        cache = value.decode()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            self._child(REQUESTS, route, str(status)).inc()
            self._child(DURATION, route).observe(time.perf_counter() - started)
            if route == "/graphql":
                self._child(CACHE, cache or "none").inc()

    def _child(self, metric: Any, *labels: str) -> Any:
        key = (id(metric), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric.labels(*labels)
        return child


async def scrape(resources: Resources) -> bytes:
    """This process's metrics (every process's, in multiprocess mode) and the shared state."""
    if os.environ.get(MULTIPROCESS_ENV):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
        recorded = generate_latest(processes)
    else:
        recorded = generate_latest(REGISTRY)
    return recorded + generate_latest(await _state(resources))


async def _state(resources: Resources) -> CollectorRegistry:
    """Gauges of what is true now, read at the scrape (never kept between scrapes). A
    database that fails or does not answer within ``DATABASE_SECONDS`` costs the job gauges,
    never the scrape: the request metrics matter most exactly then."""
    registry = CollectorRegistry()
    database = Gauge("prodhub_metrics_database_ok",
                     "1 when this scrape could read the jobs' state from the database.",
                     registry=registry)  # fmt: skip
    try:
        async with asyncio.timeout(DATABASE_SECONDS):
            states = await resources.db.read(lambda session: jobs.job_states(session=session))
    except (SQLAlchemyError, OSError, TimeoutError) as error:
        log.warning("metrics: the jobs' state could not be read: %s", type(error).__name__)
        states = None
    database.set(int(states is not None))
    paused = Gauge("prodhub_job_paused", "1 when an admin paused the job.", ["job"],
                   registry=registry)  # fmt: skip
    finished = Gauge(
        "prodhub_job_last_finished_timestamp_seconds",
        "When the job's latest run really finished, by the wall clock, whatever tick it was "
        "for (absent while it has none, or it runs).",
        ["job"], registry=registry,
    )  # fmt: skip
    failed = Gauge("prodhub_job_last_run_failed", "1 when the job's latest run failed.", ["job"],
                   registry=registry)  # fmt: skip
    for job, is_paused, run in states or []:
        paused.labels(job).set(int(is_paused))
        failed.labels(job).set(int(run is not None and run.status == "FAILED"))
        if run is not None and run.finished_at is not None:
            finished.labels(job).set(run.finished_at.timestamp())
    pools = Gauge("prodhub_db_connections_in_use", "Pooled database connections checked out.",
                  ["pool"], registry=registry)  # fmt: skip
    for name, in_use in _pools(resources):
        pools.labels(name).set(in_use)
    breaker = Gauge(
        "prodhub_cache_breaker_open",
        "1 while the response cache skips its Redis after a failure (core/cache/breaker.py).",
        registry=registry,
    )
    found = resources.cache.breaker if resources.cache is not None else None
    breaker.set(int(found is not None and found.state is not State.CLOSED))
    return registry


def _pools(resources: Resources) -> Iterable[tuple[str, int]]:
    for name, engine in (("write", resources.db.engine), ("read", resources.db.read_engine)):
        checked_out = getattr(engine.pool, "checkedout", None)
        if checked_out is not None:
            yield name, int(checked_out())


async def metrics(request: Request) -> Response:
    resources: Resources = request.app.state.resources
    return Response(await scrape(resources), media_type=CONTENT_TYPE_LATEST)
