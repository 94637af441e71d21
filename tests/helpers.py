"""What tests share: backends, statement counters (client and server side), a GraphQL client,
row builders and the dashboard query. Tests import from here, never from ``conftest.py`` or
from each other.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dramatiq
import httpx
import pymysql
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from core.settings import Settings
from db import models
from db.engine import Database
from prodhub.app import create_app
from prodhub.jobs import build_broker
from prodhub.resources import build_resources
from services import api_keys
from services.api_keys import ApiKeyScope
from services.authentication import Viewer, issue_token
from services.score_refresh import Refreshed, refresh_day
from services.users import UserRole
from tasks.registry import Actors, declare

MYSQL_URL = os.environ.get("PRODHUB_TEST_MYSQL_URL")
REDIS_URL = os.environ.get("PRODHUB_TEST_REDIS_URL")

NOW = datetime(2026, 11, 20, 20, 30, tzinfo=UTC)  # 14:30 in Chicago, a Friday

# The dashboard's query: the statement-count test and bench/dashboard.py run it.
DASHBOARD = """
query Dashboard($first: Int!, $date: Date!) {
  employees(first: $first) {
    edges { node {
      name
      team { name }
      defaultRole { name }
      score(date: $date) { pointsEarned productivity }
      activityBreakdown(date: $date) { role { key } items points }
      clockRecords(date: $date) { clockIn clockOut }
      isClockedIn
    } }
  }
}
"""


# A leaderboard page as a dashboard shows it: the statement-count test and
# bench/leaderboard.py run it.
LEADERBOARD_PAGE = """
query Board($first: Int!, $day: Date!) {
  leaderboard(from: $day, to: $day, first: $first) {
    totalCount
    edges { cursor node {
      rank pointsEarned itemsProcessed productivity
      employee {
        name
        team { name }
        score(date: $day) { pointsEarned productivity }
        activityBreakdown(date: $day) { role { key } items points }
      }
    } }
  }
}
"""


@dataclass
class Backend:
    name: str
    settings: Settings
    db: Database


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def gid(type_name: str, db_id: int) -> str:
    return base64.b64encode(f"{type_name}:{db_id}".encode()).decode()


# --- counting statements -------------------------------------------------------------------


@dataclass
class StatementCounter:
    """SQL statements the client sends, on the read and the write engine, while ``counting``."""

    statements: list[str] = field(default_factory=list)
    counting: bool = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.counting:
            self.statements.append(statement)

    def attach(self, db: Database) -> None:
        for engine in (db.engine, db.read_engine):
            event.listen(engine.sync_engine, "before_cursor_execute", self)

    def detach(self, db: Database) -> None:
        for engine in db.started_engines():
            event.remove(engine.sync_engine, "before_cursor_execute", self)

    @property
    def count(self) -> int:
        return len(self.statements)


WARM_READ_CONNECTIONS = 8  # more than any request here reads at once


async def warm_reads(db: Database, connections: int = WARM_READ_CONNECTIONS) -> None:
    """Have the read pool hold ``connections`` connections, so that opening one is never
    counted as a test's: a request's loader batches run side by side, each on a connection of
    its own, and how many overlap depends on timing (a warm-up request may have needed fewer
    than the counted one, which then opened one: its connection set-up is statements too)."""
    together = asyncio.Barrier(connections)

    async def hold(session: Any) -> None:
        await session.execute(text("SELECT 1"))
        await together.wait()  # every connection is checked out at once

    await asyncio.gather(*(db.read(hold) for _ in range(connections)))


async def wait_for(db: Database, sql: str, seconds: float = 30) -> bool:
    """Whether ``sql`` finds a row within ``seconds`` (asked every 0.1 s)."""
    for _ in range(int(seconds * 10)):
        async with db.read_session() as session:
            if (await session.execute(text(sql))).first() is not None:
                return True
        await asyncio.sleep(0.1)
    return False


class ServerStatements:
    """Statements as MariaDB itself counts them (``Questions``, with a breakdown by kind):
    what the tests' client-side counter cannot see, such as ``ROLLBACK``s of session closes
    and pool resets. Read on a connection of its own; its own ``SHOW`` is not counted.

    ``Questions`` leaves out ``COM_PING`` (a pool's pre-ping): ``Com_admin_commands`` counts
    it. That counter also counts ``COM_RESET_CONNECTION``, ``COM_CHANGE_USER``, ``COM_DEBUG``
    and ``COM_SHUTDOWN``, which nothing here sends (measured: a ping adds 1 to it and 0 to
    ``Questions``; a reset, 1 to each; connecting, 0 to it; the ``SHOW`` that reads it, 0)."""

    KINDS = (
        "Questions", "Com_select", "Com_commit", "Com_rollback", "Com_set_option",
        "Com_admin_commands",
    )  # fmt: skip

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.connection = pymysql.connect(
            host=parsed.host, port=parsed.port or 3306, user=parsed.username,
            password=parsed.password or "", database=parsed.database, autocommit=True,
        )  # fmt: skip
        self._start: dict[str, int] = {}

    def _read(self) -> dict[str, int]:
        names = ", ".join(f"'{kind}'" for kind in self.KINDS)
        with self.connection.cursor() as cursor:
            cursor.execute(f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})")
            return {name: int(value) for name, value in cursor.fetchall()}

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> dict[str, int]:
        """What the server executed since ``start``, by kind."""
        end = self._read()
        seen = {kind: end[kind] - self._start[kind] for kind in self.KINDS}
        seen["Questions"] -= 1  # the SHOW that read ``end``
        return seen

    def close(self) -> None:
        self.connection.close()


# --- GraphQL -------------------------------------------------------------------------------


ADMIN = Viewer(user_id=1, email="admin@example.com", role=UserRole.ADMIN)


def bearer(viewer: Viewer, *, now: datetime = NOW, secret: bytes | None = None) -> dict[str, str]:
    """The header of a request by ``viewer``, signed as the app under test expects."""
    key = secret if secret is not None else Settings().signing_key
    token = issue_token(viewer, secret=key, now=now, ttl=timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    headers: dict[str, str] = field(default_factory=dict)

    def signed_in_as(self, viewer: Viewer | None) -> GraphQLClient:
        """The same app, asked by ``viewer`` (None: anonymous)."""
        return GraphQLClient(self.http, bearer(viewer) if viewer is not None else {})

    async def execute(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        body = await self.execute(query, **variables)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result


async def api_key(db: Database, scope: ApiKeyScope, team_id: int | None = None) -> str:
    """A new device key's ``Authorization`` value (a DISPLAY key shows ``team_id``'s board)."""
    async with db.session() as session, session.begin():
        created = await api_keys.create_api_key(
            session=session, actor=Viewer(email="test"), name=f"device {scope.value}",
            scope=scope, team_id=team_id,
        )  # fmt: skip
    return f"Bearer {created.secret}"


# --- rows ----------------------------------------------------------------------------------

# What scoring a day writes (a finalized one: its streaks, badges and reports too), dependents
# first: a test whose worker scores days, through a database of its own, deletes these after.
SCORED = (
    models.DailyReport,
    models.Badge,
    models.Streak,
    models.Flag,
    models.IdlePeriod,
    models.DailyScore,
    models.StandardSet,
)

# Keys and names are zero-padded: lists ordered by them keep the order rows were made in,
# whichever tests ran before (``team-100`` sorts before ``team-99``).
_seq = itertools.count(1)


async def add(db: Database, *rows: Any) -> None:
    """Insert ``rows`` in one committed transaction (ids are assigned on the objects)."""
    async with db.session() as session, session.begin():
        session.add_all(rows)


async def team(db: Database, **fields: Any) -> models.Team:
    n = next(_seq)
    row = models.Team(
        **{"key": f"team-{n:05d}", "name": f"Team {n:05d}", "timezone": "America/Chicago"} | fields
    )
    await add(db, row)
    return row


async def role(db: Database, **fields: Any) -> models.Role:
    n = next(_seq)
    defaults = {
        "key": f"role-{n:05d}",
        "name": f"Role {n:05d}",
        "points_per_item": 1.0,
        "expected_per_hour": 60.0,
    }
    row = models.Role(**defaults | fields)
    await add(db, row)
    return row


async def employee(db: Database, **fields: Any) -> models.Employee:
    n = next(_seq)
    row = models.Employee(**{"code": f"E{n:05d}", "name": f"Employee {n:05d}"} | fields)
    await add(db, row)
    return row


def activity(
    employee: models.Employee, role: models.Role, start: datetime, items: int, **fields: Any
) -> models.Activity:
    defaults = {
        "employee_id": employee.id,
        "role_id": role.id,
        "items_count": items,
        "window_start": start,
        "window_end": start + timedelta(minutes=10),
        "work_date": start.date(),
    }
    return models.Activity(**defaults | fields)


def score(employee: models.Employee, day: date, **fields: Any) -> models.DailyScore:
    return models.DailyScore(
        **{"employee_id": employee.id, "team_id": employee.team_id, "work_date": day} | fields
    )


async def users(db: Database, *viewers: Viewer) -> None:
    """The user rows behind signed-in ``viewers`` (what audit entries refer to)."""
    await add(
        db,
        *(
            models.User(
                id=v.user_id,
                email=v.email or f"user-{v.user_id}@example.com",
                password_hash="-",
                role=str(v.role),
                employee_id=v.employee_id,
                team_ids=sorted(v.team_ids),
            )
            for v in viewers
        ),
    )


async def refresh_days(db: Database, *days: date, now: datetime) -> list[Refreshed]:
    """Score ``days`` as the refresh job does (15-minute idle threshold, goal 100), each
    committed; what each refresh did."""
    done: list[Refreshed] = []
    for day in days:

        async def work(session: Any, day: date = day) -> Refreshed:
            return await refresh_day(
                session=session,
                work_date=day,
                now=now,
                idle_threshold=timedelta(minutes=15),
                goal=100.0,
            )

        done.append(await db.write(work))
    return done


# --- a worker ------------------------------------------------------------------------------


@asynccontextmanager
async def running_worker(settings: Settings) -> AsyncIterator[tuple[StubBroker, Actors]]:
    """Every actor on an in-process broker (``settings`` without Redis: Dramatiq's
    StubBroker), and a worker thread running them, for the block."""
    broker = build_broker(settings)
    assert isinstance(broker, StubBroker)
    declared = declare(broker, min_backoff_ms=10)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=50)
    worker.start()
    try:
        yield broker, declared
    finally:
        await asyncio.to_thread(worker.stop)


@asynccontextmanager
async def admin_client(backend: Backend, **changed: Any) -> AsyncIterator[GraphQLClient]:
    """A signed-in admin's client of an app on ``backend`` whose settings differ by
    ``changed`` (``cache_ttl_seconds=0``: no response cache), at ``NOW``."""
    resources = build_resources(backend.settings.model_copy(update=changed), db=backend.db)
    app = create_app(resources, clock=lambda: NOW)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        yield GraphQLClient(http, bearer(ADMIN))
    await resources.aclose()
