"""``prodhub``: the operator's command line."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
import uvicorn
from rich.progress import Progress

from db.engine import get_database
from db.migrate import upgrade_sync
from prodhub.cache import build_response_cache
from prodhub.redis_client import connect_redis
from prodhub.settings import get_settings
from services.demo import load as demo
from services.demo.profiles import PROFILES, Profile

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.command()
def migrate() -> None:
    """Upgrade the database to the latest schema."""
    upgrade_sync(get_settings().database_url)
    typer.echo("database is at the latest revision")


@app.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Serve the HTTP API (GraphiQL on GET /graphql in development)."""
    settings = get_settings()
    if settings.is_sqlite:
        upgrade_sync(settings.database_url)
    if workers > 1 and not settings.redis_url and settings.cache_ttl_seconds > 0:
        # Per-process memory caches would miss each other's writes: the old app's mistake.
        typer.echo("response cache off: several processes share one only through Redis")
        os.environ["PRODHUB_CACHE_TTL_SECONDS"] = "0"  # read by every worker process
    if settings.env == "development":
        typer.echo(f"GraphiQL: http://{host}:{port}/graphql")
    uvicorn.run(
        "prodhub.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


@app.command("seed-demo")
def seed_demo(
    profile: Annotated[str, typer.Option(help="S, M or L")] = "S",
    seed: int = 42,
    today: Annotated[
        str | None, typer.Option(help="Last day of data (YYYY-MM-DD); default: today")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Delete existing data first")] = False,
    if_empty: Annotated[bool, typer.Option(help="Do nothing if there is data")] = False,
) -> None:
    """Load a deterministic synthetic dataset (S: 50 employees, M: 500, L: 2,000)."""
    chosen = PROFILES.get(profile.upper())
    if chosen is None:
        raise typer.BadParameter("profile must be S, M or L", param_hint="--profile")
    settings = get_settings()
    zone = ZoneInfo(settings.timezone)
    if today is None:
        now = datetime.now(UTC)
        last_day = now.astimezone(zone).date()
    else:
        try:
            last_day = date.fromisoformat(today)
        except ValueError:
            raise typer.BadParameter("expected YYYY-MM-DD", param_hint="--today") from None
        now = datetime.combine(last_day + timedelta(days=1), time(), zone).astimezone(UTC)
    upgrade_sync(settings.database_url)
    asyncio.run(_seed(chosen, seed, last_day, now, replace=replace, if_empty=if_empty))


async def _seed(
    profile: Profile, seed: int, today: date, now: datetime, *, replace: bool, if_empty: bool
) -> None:
    db = get_database()
    redis = connect_redis(db.settings.redis_url) if db.settings.redis_url else None
    cache = build_response_cache(db.settings, redis)  # servers sharing Redis drop old answers
    if cache is not None:
        cache.attach(db)
    try:
        async with db.session() as session, session.begin():
            if await demo.has_data(session):
                if if_empty:
                    typer.echo("database already has data; not seeding")
                    return
                if not replace:
                    typer.echo("database already has data; use --replace to start over", err=True)
                    raise typer.Exit(1)
                await demo.clear_domain_data(session)
            with Progress() as bar:
                task = bar.add_task(f"seeding profile {profile.name}", total=profile.employees)
                counts = await demo.seed_demo(
                    session=session,
                    profile=profile,
                    seed=seed,
                    today=today,
                    now=now,
                    company_timezone=db.settings.timezone,
                    progress=lambda n: bar.advance(task, n),
                )
        async with db.session() as session:
            await demo.analyze(session)
        typer.echo(f"seeded: {counts}")
    finally:
        if cache is not None:
            await cache.aclose()
        if redis is not None:
            await redis.aclose()
        await db.dispose()


@app.command("export-schema")
def export_schema(path: Path = Path("schema.graphql")) -> None:
    """Write the GraphQL schema in SDL (committed, and checked by the tests)."""
    from schema.build import build_schema

    path.write_text(build_schema().as_str() + "\n", encoding="utf-8")
    typer.echo(f"wrote {path}")
