"""Live leaderboards: many subscribers of one board on one ``prodhub serve`` process, and one
refresh that changes it.

    python -m bench.subscriptions --url mysql+aiomysql://... --redis-url redis://... \\
        --day 2026-11-20 [--subscribers 2000] [--first 10]

Expects a database seeded with ``prodhub seed-demo --profile <P> --today <day>``. Starts a
``prodhub serve`` (uvicorn on uvloop, as shipped) on that database and Redis; this process is
the clients: every websocket on one event loop, each speaking graphql-transport-ws by hand
(connection_init with an admin's token, one ``leaderboardUpdated`` of the day, pongs to the
server's pings). Once all have their first page and sit idle, the day's board is changed
(an activity for the tenth-ranked employee, the day refreshed) on a connection without
listeners, and the notice a worker's refresh publishes is published here by hand: from that
instant to each subscriber's new page is the latency, and what MariaDB counted in between is
what the update cost the server (``Questions``: every statement, the transaction's too, less
what reading the counter costs, measured alongside). The
server logs each board computation (at DEBUG). Memory per idle subscription is the server's
RSS with them open, less before, over their number (each a median of a few samples). The
bench's activity is deleted and the day refreshed again at the end. Writes
``bench/results/subscriptions.{md,json}``.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import websockets
from redis.asyncio import Redis
from sqlalchemy import delete, func, select, text
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from bench import results
from bench.dashboard import _machine
from bench.faults import processes
from core.settings import Settings
from db.engine import Database
from db.models import Activity, DailyScore, Flag, Role
from services.authentication import Viewer, issue_token
from services.board_notices import CHANNEL, Changed
from services.score_refresh import refresh_day
from services.users import UserRole

DOCUMENT = """subscription Live($from: Date, $to: Date, $first: Int) {
  leaderboardUpdated(from: $from, to: $to, first: $first) {
    totalCount
    edges { node { rank pointsEarned displayName employee { name } } }
  }
}"""
PROTOCOL = Subprotocol("graphql-transport-ws")
OPEN_AT_ONCE = 100  # connections opened side by side
BENCH_REF = "bench-subscriptions"  # the external ref of the bench's activity


class Subscriber:
    """One websocket, one subscription: when its pages came."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.pages: list[float] = []
        self.first = asyncio.Event()
        self.updated = asyncio.Event()
        self.reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if message["type"] == "ping":
                await self.ws.send('{"type":"pong"}')
            elif message["type"] == "next":
                self.pages.append(time.monotonic())
                (self.updated if self.first.is_set() else self.first).set()
            else:
                raise RuntimeError(f"unexpected message: {message}")


async def subscribe(url: str, token: str, day: date, first: int) -> Subscriber:
    ws = await websockets.connect(url, subprotocols=[PROTOCOL], max_queue=4)
    await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": token}}))
    ack = json.loads(await ws.recv())
    assert ack["type"] == "connection_ack", ack
    variables = {"from": day.isoformat(), "to": day.isoformat(), "first": first}
    payload = {"query": DOCUMENT, "variables": variables}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    subscriber = Subscriber(ws)
    subscriber.reader = asyncio.create_task(subscriber.read())
    return subscriber


async def change_board(db: Database, day: date) -> tuple[int, float]:
    """The tenth-ranked employee of the day gets enough items to top the board, and the day
    is refreshed (on a Database with no listeners: no notice is sent). Their id, their new
    points."""
    async with db.read_session() as session:
        tenth = (
            await session.execute(
                select(DailyScore.employee_id, DailyScore.points_earned)
                .where(DailyScore.work_date == day)
                .order_by(DailyScore.points_earned.desc(), DailyScore.employee_id)
                .offset(9)
                .limit(1)
            )
        ).one()
        top = await session.scalar(
            select(func.max(DailyScore.points_earned)).where(DailyScore.work_date == day)
        )
        role = (await session.execute(select(Role.id, Role.points_per_item))).first()
    assert role is not None and top is not None
    start = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=18)
    items = int((float(top) - float(tenth.points_earned)) / role.points_per_item) + 100
    await _forget(db)
    async with db.session() as session, session.begin():
        session.add(
            Activity(employee_id=tenth.employee_id, role_id=role.id, items_count=items,
                     window_start=start, window_end=start + timedelta(minutes=10),
                     work_date=day, external_ref=BENCH_REF)
        )  # fmt: skip
    await _refresh(db, day)
    return tenth.employee_id, items * role.points_per_item


async def _refresh(db: Database, day: date) -> None:
    now = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)
    await db.write(
        lambda session: refresh_day(
            session=session,
            work_date=day,
            now=now,
            idle_threshold=timedelta(minutes=15),
            goal=100.0,
        )
    )


async def _forget(db: Database) -> None:
    """The bench's activity, and the flags a refresh raised on it."""
    ours = select(Activity.id).where(Activity.external_ref == BENCH_REF).scalar_subquery()
    async with db.session() as session, session.begin():
        await session.execute(delete(Flag).where(Flag.activity_id.in_(ours)))
        await session.execute(delete(Activity).where(Activity.external_ref == BENCH_REF))


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))


async def median_rss(pid: int, samples: int = 5) -> int:
    found = []
    for _ in range(samples):
        found.append(rss_kib(pid))
        await asyncio.sleep(0.2)
    return int(statistics.median(found))


async def questions(db: Database) -> int:
    async with db.engine.connect() as connection:
        row = (await connection.execute(text("SHOW GLOBAL STATUS LIKE 'Questions'"))).one()
    return int(row[1])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


async def run(url: str, redis_url: str, day: date, count: int, first: int) -> dict[str, Any]:
    db = Database(Settings(database_url=url))
    logs = Path(tempfile.mkdtemp(prefix="bench-subscriptions-"))
    env = {"PRODHUB_DATABASE_URL": url, "PRODHUB_REDIS_URL": redis_url,
           "PRODHUB_LOG_LEVEL": "DEBUG", "PRODHUB_LOG_FORMAT": "json"}  # fmt: skip
    web = processes.serve(env, logs)
    redis = Redis.from_url(redis_url)
    subscribers: list[Subscriber] = []
    try:
        await asyncio.to_thread(web.wait_ready)
        assert web.process.popen is not None
        pid = web.process.popen.pid
        await asyncio.sleep(1)
        rss_before = await median_rss(pid)
        admin = Viewer(user_id=1, email="bench@example.com", role=UserRole.ADMIN)
        token = "Bearer " + issue_token(
            admin, secret=Settings().signing_key, now=datetime.now(UTC), ttl=timedelta(hours=1)
        )
        ws_url = web.url.replace("http://", "ws://") + "/graphql"
        opened = time.monotonic()
        for start in range(0, count, OPEN_AT_ONCE):
            batch = range(start, min(count, start + OPEN_AT_ONCE))
            subscribers += await asyncio.gather(
                *(subscribe(ws_url, token, day, first) for _ in batch)
            )
        await asyncio.gather(*(s.first.wait() for s in subscribers))
        open_seconds = time.monotonic() - opened
        await asyncio.sleep(2)  # idle
        rss_after = await median_rss(pid)
        log_mark = len(web.process.output())

        employee_id, points = await change_board(db, day)
        # What a reading of the counter costs MariaDB itself, measured the same way.
        measure = -(await questions(db)) + (before := await questions(db))
        published = time.monotonic()
        notice = Changed(frozenset({day}), at=time.time())
        await redis.publish(CHANNEL, notice.encode())
        async with asyncio.timeout(120):
            await asyncio.gather(*(s.updated.wait() for s in subscribers))
        after = await questions(db)
        await asyncio.sleep(1)  # anything more would show by now
        extra = sum(len(s.pages) - 2 for s in subscribers)
        computed = web.process.output()[log_mark:].count('"live board computed"')
        latencies = [(s.pages[1] - published) * 1000 for s in subscribers]
        machine = await _machine(db)
    finally:
        for subscriber in subscribers:
            if subscriber.reader is not None:
                subscriber.reader.cancel()
        await asyncio.gather(*(s.ws.close() for s in subscribers), return_exceptions=True)
        web.process.stop()
        await redis.aclose()
        await _forget(db)
        await _refresh(db, day)
        await db.dispose()
    return {
        "day": day.isoformat(),
        "subscribers": count,
        "first": first,
        "open_seconds": round(open_seconds, 2),
        "changed": {"employee_id": employee_id, "points_added": points},
        "update_ms": {
            "p50": round(percentile(latencies, 50), 1),
            "p99": round(percentile(latencies, 99), 1),
            "last": round(max(latencies), 1),
        },
        # less what the reading of the counter after it cost
        "statements_per_update": after - before - measure,
        "counter_reading_statements": measure,
        "computations_per_update": computed,
        "extra_messages": extra,
        "rss_kib": {"before": rss_before, "after": rss_after},
        "rss_per_subscription_kib": round((rss_after - rss_before) / count, 1),
        "machine": machine | {"client": f"one process, one event loop, {os.cpu_count()} cores"},
    }


def report(result: dict[str, Any]) -> str:
    m = result["machine"]
    u = result["update_ms"]
    rss = result["rss_kib"]
    return "\n".join([
        f"Live leaderboard: {result['subscribers']:,} subscribers of one board "
        f"(`leaderboardUpdated(from: {result['day']}, to: {result['day']}, "
        f"first: {result['first']})`, one admin scope) on one `prodhub serve`; one refresh "
        "that changes the board.",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores (server and clients); Python {m['python']}; "
        f"{m['database']}; {m['rows']['employees']} employees, "
        f"{m['rows']['activities']:,} activities.",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| notice to update, p50 | {u['p50']:.0f} ms |",
        f"| notice to update, p99 | {u['p99']:.0f} ms |",
        f"| notice to the last subscriber's update | {u['last']:.0f} ms |",
        f"| statements MariaDB executed for the update | {result['statements_per_update']} |",
        f"| board computations for the update | {result['computations_per_update']} |",
        f"| messages beyond the one update each | {result['extra_messages']} |",
        f"| server RSS before / with the subscriptions open | {rss['before'] / 1024:.0f} / "
        f"{rss['after'] / 1024:.0f} MiB |",
        f"| memory per idle subscription | {result['rss_per_subscription_kib']:.1f} KiB |",
        f"| opening all (connect, init, subscribe, first page) | {result['open_seconds']} s |",
    ])  # fmt: skip


def main() -> None:
    # A websocket is a descriptor on each side: the server started here inherits the limit.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    parser = results.arguments(__doc__, redis=True)
    parser.add_argument("--subscribers", type=int, default=2000)
    parser.add_argument("--first", type=int, default=10)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.redis_url, args.day, args.subscribers, args.first))
    results.keep("subscriptions", result, report(result))


if __name__ == "__main__":
    main()
