"""``GET /metrics`` in Prometheus' text format, for the operators.

Per process, kept by ``prometheus_client``: requests by route and status, their durations,
and how the response cache answered GraphQL (the ``x-prodhub-cache`` header: hit, miss, or
none when the operation may not be cached). With ``prodhub serve --workers N`` the CLI gives
the processes a shared ``PROMETHEUS_MULTIPROC_DIR``, so a scrape of any one of them reports
all of them (the library's multiprocess mode).

Read at each scrape: with database replicas, each one's lag (as the background poll last
measured it) and whether web reads go to it; the database pools and the cache breaker. Read
for each scrape but never waited for long: the jobs (paused, when their latest run finished
and whether it failed: two statements, the same as ``systemStatus``) and, with Redis, the
``prodhub worker`` processes as their watchdogs report them (``prodhub/worker_watch.py``: how
many were healthy lately, when one last was, how many started and how many their watchdog
ended): alert on no worker alive for minutes, and on workers restarting. A scrape starts that
read and waits ``FRESH_SECONDS`` for it; past that (a process at its limit has every pooled
connection busy with GraphQL) it answers with the previous read's gauges and their age
(``prodhub_metrics_shared_age_seconds``), and the read it started lands for the next scrape:
``/metrics`` answers as fast as ``/healthz`` under any load.
Routes are a fixed set, so a client cannot grow the label space with made-up paths.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cache.breaker import State
from db.replicas import Replicas
from prodhub.graphql_requests import CACHE_HEADER
from prodhub.resources import Resources
from prodhub.worker_watch import EVERY_SECONDS, EXITS, STARTS, WORKERS
from services import jobs

log = logging.getLogger(__name__)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
DATABASE_SECONDS = 2.0
REDIS_SECONDS = 1.0
FRESH_SECONDS = 0.03  # a scrape's wait for this scrape's read of the jobs and the workers
ALIVE_SECONDS = 5 * EVERY_SECONDS  # a watchdog beats every EVERY_SECONDS while healthy
ROUTES = frozenset(
    {
        "/graphql",
        "/healthz",
        "/readyz",
        "/metrics",
        "/reports/daily.csv",
        "/exports/work-speed.csv",
        "/board",
    }
)
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


async def scrape(resources: Resources, shared: Shared) -> bytes:
    """This process's metrics (every process's, in multiprocess mode), what it holds now,
    and the shared state (fresh, or the last read of it)."""
    if os.environ.get(MULTIPROCESS_ENV):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
        recorded = generate_latest(processes)
    else:
        recorded = generate_latest(REGISTRY)
    return recorded + generate_latest(_local(resources)) + await shared.latest(resources)


class Shared:
    """The gauges read from the database and Redis, for one app: one read at a time, started
    by a scrape; a scrape waits ``FRESH_SECONDS`` for it (the first one, with nothing read
    before, waits for it to end), else answers with the previous read."""

    def __init__(self) -> None:
        self._text = b""
        self._read_at = 0.0
        self._reading: asyncio.Task[None] | None = None

    async def latest(self, resources: Resources) -> bytes:
        if self._reading is None or self._reading.done():
            self._reading = asyncio.create_task(self._read(resources))
        wait = FRESH_SECONDS if self._read_at else DATABASE_SECONDS + REDIS_SECONDS + 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._reading), wait)
        registry = CollectorRegistry()
        Gauge("prodhub_metrics_shared_age_seconds",
              "How long ago the jobs' and the workers' gauges of this scrape were read (a "
              "scrape waits only briefly for a fresh read: busy, it shows the last one).",
              registry=registry).set(round(time.monotonic() - self._read_at, 3))  # fmt: skip
        return self._text + generate_latest(registry)

    async def _read(self, resources: Resources) -> None:
        try:
            registry = await _shared(resources)
        except Exception:  # not the database's or Redis' (those are gauges): the last read stays
            log.exception("metrics: the shared gauges could not be read")
            return
        self._text, self._read_at = generate_latest(registry), time.monotonic()


def _local(resources: Resources) -> CollectorRegistry:
    """What this process holds now: its pools, its replicas' lag, its cache breaker."""
    registry = CollectorRegistry()
    pools = Gauge("prodhub_db_connections_in_use", "Pooled database connections checked out.",
                  ["pool"], registry=registry)  # fmt: skip
    for name, in_use in _pools(resources):
        pools.labels(name).set(in_use)
    if resources.db.replicas is not None:
        _replicas(resources.db.replicas, registry)
    breaker = Gauge(
        "prodhub_cache_breaker_open",
        "1 while the response cache skips its Redis after a failure (cache/breaker.py).",
        registry=registry,
    )
    found = resources.cache.breaker if resources.cache is not None else None
    breaker.set(int(found is not None and found.state is not State.CLOSED))
    return registry


async def _shared(resources: Resources) -> CollectorRegistry:
    """The jobs' state from the database and the workers' from Redis. A database that fails
    or does not answer within ``DATABASE_SECONDS`` costs the job gauges, never the scrape:
    the request metrics matter most exactly then."""
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
    if resources.redis is not None:  # else the one web process runs the jobs itself
        await _workers(resources, registry)
    return registry


async def _workers(resources: Resources, registry: CollectorRegistry) -> None:
    """The worker processes, from what their watchdogs write to Redis. A Redis that fails or
    does not answer within ``REDIS_SECONDS`` costs these gauges, never the scrape."""
    assert resources.redis is not None
    ok = Gauge(
        "prodhub_metrics_redis_ok",
        "1 when this scrape could read the workers' state from Redis.",
        registry=registry,
    )
    now = time.time()
    try:
        async with asyncio.timeout(REDIS_SECONDS):
            pipe = resources.redis.pipeline(transaction=False)
            pipe.zcount(WORKERS, now - ALIVE_SECONDS, "+inf")
            pipe.zrange(WORKERS, -1, -1, withscores=True)
            pipe.get(STARTS)
            pipe.get(EXITS)
            alive, latest, starts, exits = await pipe.execute()
    except (RedisError, OSError, TimeoutError) as error:
        log.warning("metrics: the workers' state could not be read: %s", type(error).__name__)
        ok.set(0)
        return
    ok.set(1)
    Gauge("prodhub_workers_alive",
          f"prodhub worker processes whose watchdog found them working in the last "
          f"{ALIVE_SECONDS:g} s (all their threads alive, their heartbeat moving).",
          registry=registry).set(alive)  # fmt: skip
    if latest:
        Gauge("prodhub_worker_last_alive_timestamp_seconds",
              "When a worker's watchdog last found it working (absent before any did).",
              registry=registry).set(latest[0][1])  # fmt: skip
    registry.register(_Counts(int(starts or 0), int(exits or 0)))


class _Counts(Collector):
    """Counters kept in Redis by every worker process (they outlive any one of them)."""

    def __init__(self, starts: int, exits: int) -> None:
        self.starts, self.exits = starts, exits

    def collect(self) -> Iterable[Metric]:
        yield CounterMetricFamily(
            "prodhub_worker_starts", "prodhub worker processes started.", value=self.starts
        )
        yield CounterMetricFamily(
            "prodhub_worker_watchdog_exits",
            "prodhub worker processes their watchdog ended (a thread died, or their heartbeat "
            "stopped while Redis answered); each exits 70 for its supervisor to start again.",
            value=self.exits,
        )


def _pools(resources: Resources) -> Iterable[tuple[str, int]]:
    engines = [("write", resources.db.engine), ("read", resources.db.read_engine)]
    if resources.db.replicas is not None:
        engines += [(f"replica {r.name}", r.db.read_engine) for r in resources.db.replicas.members]
    for name, engine in engines:
        checked_out = getattr(engine.pool, "checkedout", None)
        if checked_out is not None:
            yield name, int(checked_out())


def _replicas(replicas: Replicas, registry: CollectorRegistry) -> None:
    """Each replica's lag as the background poll measured it (no statement of the scrape's)."""
    replicas.start()
    lag = Gauge(
        "prodhub_db_replica_lag_seconds",
        "How long the replica has been missing a commit the primary had (0: caught up), as "
        "this process last measured it; absent while it is down or not measured yet.",
        ["replica"], registry=registry,
    )  # fmt: skip
    read = Gauge(
        "prodhub_db_replica_read",
        "1 while web reads go to the replica (up, and at most PRODHUB_REPLICA_MAX_LAG_SECONDS "
        "behind); 0 while the primary answers them instead.",
        ["replica"], registry=registry,
    )  # fmt: skip
    now = replicas.clock()
    for replica in replicas.members:
        seconds = replica.lag(now)
        if seconds is not None:
            lag.labels(replica.name).set(seconds)
        read.labels(replica.name).set(int(replicas.usable(replica, None, now)))


async def metrics(request: Request) -> Response:
    resources: Resources = request.app.state.resources
    shared = getattr(request.app.state, "shared_gauges", None)
    if shared is None:
        shared = request.app.state.shared_gauges = Shared()
    return Response(await scrape(resources, shared), media_type=CONTENT_TYPE_LATEST)
