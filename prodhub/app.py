"""The Starlette application: GraphQL, health and readiness, the floor screen."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute, request_response
from starlette.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from core.redis import connect_broker_redis
from core.settings import Settings
from prodhub.admission import Admitted, Gate
from prodhub.board import board_routes
from prodhub.cache_front import CacheFront
from prodhub.compression import Compression
from prodhub.graphiql import ASSETS_DIR, ASSETS_PATH
from prodhub.graphql_app import GraphQLApp
from prodhub.graphql_requests import CACHE_HEADER
from prodhub.health import readiness
from prodhub.http_guard import PREFLIGHT_HEADERS, GraphQLRequestGuard
from prodhub.job_queue import JobQueue
from prodhub.jobs import EmbeddedJobs, build_broker
from prodhub.metrics import RequestMetrics, metrics
from prodhub.read_your_writes import ReadYourWrites
from prodhub.report_files import csv_route, work_speed_route
from prodhub.request_log import HEADER as REQUEST_ID_HEADER
from prodhub.request_log import RequestLogging
from prodhub.resources import Resources, build_resources
from prodhub.runtime import tune_gc
from tasks.registry import declare


def create_app(
    resources: Resources | Settings | None = None,
    *,
    clock: Callable[[], datetime] | None = None,
    embedded_jobs: bool = False,
) -> Starlette:
    """Build the app on ``resources`` (or on resources built from settings, or the environment).

    Nothing connects here: the engines and Redis connect on first use. The lifespan closes
    the resources (and, with ``embedded_jobs``, starts and stops the in-process worker and
    scheduler); a caller that drives the app without it calls ``app.state.resources.aclose()``.
    """
    if not isinstance(resources, Resources):
        resources = build_resources(resources)
    settings = resources.settings
    jobs = EmbeddedJobs(resources) if embedded_jobs else None
    if jobs is not None:
        queue = JobQueue(jobs.actors, None)
    elif settings.redis_url:  # to the prodhub worker processes
        # Dramatiq's client blocks: the queue sends in a thread of its own, with short timeouts.
        broker = build_broker(settings, client=connect_broker_redis(settings.redis_url))
        queue = JobQueue(declare(broker), resources.cache_redis)
    else:  # several processes without Redis: nothing would run what is enqueued
        queue = JobQueue(None, None)
    graphql = GraphQLApp(resources, jobs=queue, clock=clock)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        tune_gc()
        if jobs is not None:
            await jobs.start()
        yield
        if jobs is not None:
            await jobs.stop()
        await queue.aclose()
        await graphql.aclose()
        await resources.aclose()

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        # Redis is checked on the cache's client, behind its breaker: it answers fast or not
        # at all. Its failure degrades the process (uncached, jobs owed), it does not stop it.
        breaker = resources.cache.breaker if resources.cache is not None else None
        report = await readiness(resources.db, resources.cache_redis, breaker)
        return JSONResponse(report, status_code=200 if report["ready"] else 503)

    # Executions run in bounded slots, the rest shed fast (prodhub/admission.py); what is
    # answered before them (cache hits, the guard's refusals, health, metrics) needs none.
    gate = Gate(
        settings.concurrent_requests,
        max_queued=settings.max_queued_requests,
        wait_seconds=settings.queue_wait_seconds,
    )
    daily_csv = Admitted(request_response(csv_route(graphql)), gate, graphql=False)
    # the slot is held while the export streams
    work_speed_csv = Admitted(request_response(work_speed_route(graphql)), gate, graphql=False)
    routes: list[BaseRoute] = [
        Route(
            "/graphql",
            GraphQLRequestGuard(Admitted(graphql, gate), devices=graphql.device),
            methods=["GET", "POST"],
        ),
        WebSocketRoute("/graphql", graphql),  # subscriptions (prodhub/graphql_ws.py)
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        Route("/reports/daily.csv", daily_csv, methods=["GET"]),
        Route("/exports/work-speed.csv", work_speed_csv, methods=["GET"]),
        *board_routes(),  # the floor screen (prodhub/board.py)
    ]
    if not settings.is_production:
        routes.append(Mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="graphiql"))
    cors = Middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type", *PREFLIGHT_HEADERS],
        # a browser client may read how the cache answered, and the id to quote in a report
        expose_headers=[CACHE_HEADER, REQUEST_ID_HEADER],
        max_age=600,
    )
    front = Middleware(CacheFront, graphql=graphql)  # cached answers before routing
    # Outermost but for the proxies' addresses: every response carries the request's id.
    middleware = [Middleware(RequestLogging), Middleware(RequestMetrics), cors, front]
    if settings.database_replica_urls:  # a client's reads see its writes, on any process
        staleness = settings.replica_staleness_seconds
        middleware.insert(
            middleware.index(front), Middleware(ReadYourWrites, staleness_seconds=staleness)
        )
    # Innermost: what the front door answers (a hit, compressed when stored) never passes it.
    middleware.append(Middleware(Compression))
    if settings.trusted_proxies:
        # The client is the first hop of X-Forwarded-For, from the right, that is not a trusted
        # proxy; from any other peer the header is ignored. Outermost: everything sees it.
        proxies = Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
        middleware.insert(0, proxies)
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    if settings.otel_enabled:  # else nothing of OpenTelemetry is imported
        from prodhub.tracing import trace_app

        trace_app(app, resources)
    app.state.resources = resources
    app.state.graphql = graphql
    app.state.jobs = queue
    app.state.admission = gate
    return app
