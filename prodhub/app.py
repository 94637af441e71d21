"""The Starlette application: GraphQL, health and readiness."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from db.engine import Database, get_database
from prodhub.cache import build_response_cache
from prodhub.graphiql import ASSETS_DIR, ASSETS_PATH
from prodhub.graphql_app import GraphQLApp
from prodhub.health import readiness
from prodhub.redis_client import connect_redis
from prodhub.runtime import tune_gc
from prodhub.settings import Settings, get_settings


def create_app(
    settings: Settings | None = None,
    db: Database | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """Build the app. Nothing connects here: the engine and Redis connect on first use."""
    settings = settings or get_settings()
    database = db or get_database()
    redis = connect_redis(settings.redis_url) if settings.redis_url else None
    cache = build_response_cache(settings, redis)
    if cache is not None:
        cache.attach(database)
    graphql = GraphQLApp(db=database, settings=settings, clock=clock, cache=cache)

    async def close_clients() -> None:
        if cache is not None:
            await cache.aclose()
        if redis is not None:
            await redis.aclose()

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        tune_gc()
        yield
        await close_clients()
        await database.dispose()

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        report = await readiness(database, redis)
        return JSONResponse(report, status_code=200 if report["ready"] else 503)

    routes: list[BaseRoute] = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
    ]
    if not settings.is_production:
        routes.append(Mount(ASSETS_PATH, StaticFiles(directory=ASSETS_DIR), name="graphiql"))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.close_clients = close_clients  # for callers that do not run the lifespan (tests)
    return app
