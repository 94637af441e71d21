"""``prodhub``: the operator's command line."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import dramatiq
import typer
import uvicorn
from pydantic import ValidationError
from rich.progress import Progress
from sqlalchemy.ext.asyncio import AsyncSession
from uvicorn.supervisors import Multiprocess

from core.settings import Settings
from db.migrate import upgrade_sync
from prodhub.graphql_requests import WS_MAX_MESSAGE_BYTES
from prodhub.jobs import build_broker
from prodhub.logs import configure_logging
from prodhub.redis_broker import RecoveringRedisBroker
from prodhub.resources import open_resources
from prodhub.scheduler import Scheduler
from prodhub.worker_memory import limit_malloc_arenas
from prodhub.worker_watch import Watchdog
from services import api_keys, user_admin
from services.api_keys import ApiKeyScope
from services.authentication import Viewer
from services.demo import load as demo
from services.demo.extend import extend_demo
from services.demo.extend import last_day as last_demo_day
from services.demo.profiles import PROFILES, Profile
from services.demo.users import PASSWORD as DEMO_PASSWORD
from services.demo.users import add_demo_users, has_demo_users
from services.errors import UserError
from services.users import UserRole, create_user, normalize_email
from tasks.registry import declare

if TYPE_CHECKING:
    from starlette.applications import Starlette

COMMAND_LINE = Viewer(email="command line")  # who the audit log says made a change here

SERVING = frozenset({"serve", "worker", "scheduler"})  # they log their work at INFO
STARTUP_FAILURE = 3  # uvicorn's exit code when the server could not start

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)


@app.callback()
def read_settings(context: typer.Context) -> None:
    """Read the settings once, for whichever command runs; a bad value is a clear error."""
    try:
        context.obj = Settings()
    except ValidationError as exc:
        typer.echo(f"invalid configuration: {exc}", err=True)
        raise typer.Exit(2) from None
    serving = context.invoked_subcommand in SERVING
    configure_logging(context.obj, level="INFO" if serving else "WARNING")


@app.command()
def migrate(context: typer.Context) -> None:
    """Upgrade the database to the latest schema."""
    upgrade_sync(context.obj.database_url)
    typer.echo("database is at the latest revision")


@app.command()
def serve(
    context: typer.Context,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
    access_log: Annotated[bool, typer.Option(help="a log line per request")] = True,
) -> None:
    """Serve the HTTP API (GraphiQL on GET /graphql in development)."""
    settings: Settings = context.obj
    if settings.is_sqlite:
        upgrade_sync(settings.database_url)
    if workers > 1 and not settings.redis_url and settings.cache_ttl_seconds > 0:
        # Per-process memory caches would miss each other's writes: the old app's mistake.
        typer.echo("response cache off: several processes share one only through Redis")
        settings = settings.model_copy(update={"cache_ttl_seconds": 0})
    # Without Redis the one web process also runs the worker and the scheduler; several
    # processes would each run a scheduler, so then jobs need Redis and their own processes.
    embedded_jobs = not settings.redis_url and workers == 1
    if not settings.redis_url and workers > 1:
        typer.echo("jobs off: several web processes need Redis, prodhub worker and scheduler")
    if not settings.is_production:
        typer.echo(f"GraphiQL: http://{host}:{port}/graphql")
    # Every process builds its app from these settings (pickled to the worker processes),
    # not from an environment rewritten for them.
    config = uvicorn.Config(
        partial(_logging_app, settings, embedded_jobs=embedded_jobs),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # X-Forwarded-For is the app's to read, from PRODHUB_TRUSTED_PROXIES only (create_app):
        # uvicorn's own would believe 127.0.0.1, or FORWARDED_ALLOW_IPS.
        proxy_headers=False,
        log_level="info",
        log_config=None,  # uvicorn's lines go through the process's logging (prodhub.logs)
        access_log=access_log,
        # No permessage-deflate on websockets: its zlib state is ~50 KiB per connection, more
        # than all else a live subscription holds; a leaderboard page is a few KiB.
        ws_per_message_deflate=False,
        # A client's websocket message is a subscribe (a document of MAX_DOCUMENT_BYTES at most,
        # its variables) or a pong: uvicorn's default would read up to 16 MiB of one into memory
        # before the document's own limits could refuse it. Larger closes the connection (1009).
        ws_max_size=WS_MAX_MESSAGE_BYTES,
    )
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        if workers == 1:
            server.run()
        else:
            with _shared_metrics():
                Multiprocess(config, sockets=[config.bind_socket()]).run()
    if workers == 1 and not server.started:
        raise typer.Exit(STARTUP_FAILURE)


def _logging_app(settings: Settings, *, embedded_jobs: bool) -> Starlette:
    """The app, in a process whose logging is configured: with ``--workers N`` each is a new
    process, which has only what this function does."""
    from prodhub.app import create_app

    configure_logging(settings)
    return create_app(settings, embedded_jobs=embedded_jobs)


@contextlib.contextmanager
def _shared_metrics() -> Iterator[None]:
    """Several web processes write their metrics to one directory, so that a scrape of any of
    them reports all (``prodhub/metrics.py``); the directory lives as long as they do."""
    from prodhub.metrics import MULTIPROCESS_ENV

    if os.environ.get(MULTIPROCESS_ENV):  # the operator chose one
        yield
        return
    with tempfile.TemporaryDirectory(prefix="prodhub-metrics-") as directory:
        os.environ[MULTIPROCESS_ENV] = directory
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_ENV]


@app.command("seed-demo")
def seed_demo(
    context: typer.Context,
    profile: Annotated[str, typer.Option(help="S, M or L")] = "S",
    seed: int = 42,
    today: Annotated[
        str | None, typer.Option(help="Last day of data (YYYY-MM-DD); default: today")
    ] = None,
    replace: Annotated[bool, typer.Option(help="Delete existing data first")] = False,
    if_empty: Annotated[
        bool,
        typer.Option(help="If there is data: carry the demo on to today, else do nothing"),
    ] = False,
) -> None:
    """Load a deterministic synthetic dataset (S: 50 employees, M: 500, L: 2,000)."""
    chosen = PROFILES.get(profile.upper())
    if chosen is None:
        raise typer.BadParameter("profile must be S, M or L", param_hint="--profile")
    settings: Settings = context.obj
    if settings.is_production:
        typer.echo("seed-demo makes sign-ins with a public password: not in production", err=True)
        raise typer.Exit(2)
    zone = settings.zone
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
    seeding = _seed(settings, chosen, seed, last_day, now, replace=replace, if_empty=if_empty)
    asyncio.run(seeding)


async def _seed(
    settings: Settings,
    profile: Profile,
    seed: int,
    today: date,
    now: datetime,
    *,
    replace: bool,
    if_empty: bool,
) -> None:
    # Through the composition root: servers sharing Redis drop the answers it makes stale.
    async with open_resources(settings) as resources:
        db = resources.db
        async with db.session() as session, session.begin():
            if await demo.has_data(session):
                if if_empty:  # a demo seeded on an earlier day is carried on to today
                    await _carry_on(session, settings, seed, today, now)
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
                    company_timezone=settings.timezone,
                    idle_threshold=timedelta(minutes=settings.idle_threshold_minutes),
                    productivity_goal=settings.productivity_goal,
                    progress=lambda n: bar.advance(task, n),
                )
            sign_ins = await add_demo_users(session=session)
        async with db.session() as session:
            await demo.analyze(session)
        typer.echo(f"demo sign-ins (password {DEMO_PASSWORD!r}): {', '.join(sign_ins)}")
        typer.echo(f"seeded: {counts}")


async def _carry_on(
    session: AsyncSession, settings: Settings, seed: int, today: date, now: datetime
) -> None:
    last = await last_demo_day(session)
    if last is None or last >= today or not await has_demo_users(session=session):
        typer.echo("database already has data; not seeding")
        return
    counts = await extend_demo(
        session=session,
        seed=seed,
        today=today,
        now=now,
        idle_threshold=timedelta(minutes=settings.idle_threshold_minutes),
        productivity_goal=settings.productivity_goal,
    )
    typer.echo(f"the demo data ended {last}; carried it on to {today}")
    typer.echo(f"added: {counts}")


@app.command()
def worker(
    context: typer.Context,
    threads: Annotated[int, typer.Option(min=1, max=64, help="Jobs run at once")] = 4,
) -> None:
    """Run jobs from the Redis queue until stopped (SIGINT/SIGTERM finish the running ones)."""
    settings: Settings = context.obj
    _need_redis(settings, "worker")
    limit_malloc_arenas()  # before the worker's threads start
    broker = build_broker(settings)
    assert isinstance(broker, RecoveringRedisBroker)  # PRODHUB_REDIS_URL is set
    declare(broker)
    runner = dramatiq.Worker(broker, worker_threads=threads)
    runner.start()
    # A thread that died, or consumers that stopped beating: the process exits (non-zero).
    watchdog = Watchdog(
        runner, broker.client, heartbeats=broker.heartbeats_key(), broker_id=broker.broker_id
    )
    watchdog.count_start()
    watchdog.start()
    typer.echo(f"worker: {threads} threads on the Redis queue")
    _wait_for_a_signal()
    watchdog.stop()
    runner.stop()


@app.command()
def scheduler(context: typer.Context) -> None:
    """Enqueue periodic jobs while leading; start several, one leads (a lease in Redis)."""
    settings: Settings = context.obj
    _need_redis(settings, "scheduler")
    asyncio.run(_schedule(settings))


async def _schedule(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_resources(settings) as resources:
        actors = declare(build_broker(settings))
        typer.echo("scheduler: enqueueing ticks while it holds the lease")
        await Scheduler(resources, actors).run(stop)


def _need_redis(settings: Settings, command: str) -> None:
    if not settings.redis_url:
        typer.echo(
            f"prodhub {command} needs PRODHUB_REDIS_URL; without Redis, prodhub serve runs "
            "the worker and the scheduler itself",
            err=True,
        )
        raise typer.Exit(2)


def _wait_for_a_signal() -> None:
    received = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: received.set())
    received.wait()


@app.command("create-admin")
def create_admin(
    context: typer.Context,
    email: Annotated[str, typer.Option(help="The admin's sign-in email")],
) -> None:
    """Create a user with role ADMIN. The password is asked for (hidden, twice), or read from
    the first line of standard input when it is not a terminal; never taken from the command
    line, where other users and the shell's history would see it. An email already taken or
    a password the rules refuse (services.passwords) changes nothing (exit code 1)."""
    settings: Settings = context.obj
    password = _read_password()
    upgrade_sync(settings.database_url)
    try:
        asyncio.run(_create_admin(settings, email, password))
    except UserError as refused:
        typer.echo(f"not created: {refused.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created admin {normalize_email(email)}")


def _read_password() -> str:
    if sys.stdin.isatty():
        typed: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return typed
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


async def _create_admin(settings: Settings, email: str, password: str) -> None:
    async with open_resources(settings) as resources:
        db = resources.db
        async with db.session() as session, session.begin():
            await create_user(
                session=session,
                email=email,
                password=password,
                role=UserRole.ADMIN,
                production=settings.is_production,
            )


@app.command("create-user")
def create_user_command(
    context: typer.Context,
    email: Annotated[str, typer.Option(help="The user's sign-in email")],
    role: Annotated[
        UserRole, typer.Option(case_sensitive=False, help="ADMIN, MANAGER or EMPLOYEE")
    ],
    team: Annotated[
        list[str] | None, typer.Option(help="A team a MANAGER manages, by key (repeat it)")
    ] = None,
    employee: Annotated[
        str | None, typer.Option(help="The user's employee record, by badge code")
    ] = None,
) -> None:
    """Create a user (audited). The password is read as create-admin reads it (a hidden
    prompt typed twice, or the first line of standard input), never from the command line. A
    MANAGER needs a --team, an EMPLOYEE an --employee; anything refused changes nothing (exit
    code 1)."""
    settings: Settings = context.obj
    password = _read_password()
    upgrade_sync(settings.database_url)
    try:
        asyncio.run(_create_user(settings, email, role, team or [], employee, password))
    except UserError as refused:
        typer.echo(f"not created: {refused.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created {role.value.lower()} {normalize_email(email)}")


async def _create_user(
    settings: Settings,
    email: str,
    role: UserRole,
    team_keys: list[str],
    employee_code: str | None,
    password: str,
) -> None:
    async with (
        open_resources(settings) as resources,
        resources.db.session() as session,
        session.begin(),
    ):
        employee_id = None
        if employee_code is not None:
            employee_id = await user_admin.employee_id_of(session=session, code=employee_code)
        new = user_admin.NewUser(
            email=email,
            role=role,
            password=password,
            team_ids=await user_admin.team_ids_of(session=session, keys=team_keys),
            employee_id=employee_id,
        )
        await user_admin.add_user(
            session=session, actor=COMMAND_LINE, new=new, production=settings.is_production
        )


@app.command("create-api-key")
def create_api_key(
    context: typer.Context,
    name: Annotated[str, typer.Option(help="Which device it is for")],
    scope: Annotated[ApiKeyScope, typer.Option(case_sensitive=False)],
    team: Annotated[
        str | None, typer.Option(help="The team a DISPLAY key shows, by key (only DISPLAY)")
    ] = None,
) -> None:
    """Create an API key for a device and print its secret: the only time it is shown. A
    DISPLAY key (a floor screen) needs the --team whose leaderboard it shows; anything refused
    changes nothing (exit 1)."""
    settings: Settings = context.obj
    upgrade_sync(settings.database_url)
    try:
        secret = asyncio.run(_create_api_key(settings, name, scope, team))
    except UserError as refused:
        typer.echo(f"not created: {refused.message}", err=True)
        raise typer.Exit(1) from None
    shows = f" (team {team})" if team is not None else ""
    typer.echo(
        f"created API key {name.strip()!r}, scope {scope.value}{shows}; its secret, shown once:"
    )
    typer.echo(secret)


async def _create_api_key(
    settings: Settings, name: str, scope: ApiKeyScope, team_key: str | None
) -> str:
    async with open_resources(settings) as resources:
        db = resources.db
        async with db.session() as session, session.begin():
            team_id = None
            if team_key is not None:
                [team_id] = await user_admin.team_ids_of(session=session, keys=[team_key])
            created = await api_keys.create_api_key(
                session=session, actor=COMMAND_LINE, name=name, scope=scope, team_id=team_id
            )
    return created.secret


@app.command("export-schema")
def export_schema(path: Path = Path("schema.graphql")) -> None:
    """Write the GraphQL schema in SDL (committed, and checked by the tests)."""
    from schema.build import build_schema

    path.write_text(build_schema().as_str() + "\n", encoding="utf-8")
    typer.echo(f"wrote {path}")
