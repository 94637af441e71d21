"""Connecteam syncs, new vs the old app's way, against a local fake Connecteam.

    python -m bench.connecteam --url mysql+aiomysql://... --day 2026-11-20 [--days 14]

Expects a database seeded with ``prodhub seed-demo --today <day>`` (``bench/run`` does it).
Connecteam is made to hold what the seed holds: a user per employee (same email, so the users
sync maps them all) and the seeded clock records of the last ``--days`` days as their shifts
and breaks, each punch in its team's zone. Those records are then removed here, and the days'
scores made not final, so that:

- **first full sync**: ``sync_users`` (full) then ``sync_time_clock`` over the days, as the
  worker runs them: every shift created, every day re-dated and refreshed (the worst case:
  no day skipped for being final). Checked: the days' scores come out as the seed made them.
- **incremental tick**: the 5-minute ``sync_time_clock`` of yesterday and today, with
  nothing changed in Connecteam.
- **old way**: what the old jobs did with the same data: per user, find the employee and
  update it; per shift, look it up and write it; per break, write it; a commit after each
  (and every tick, all of today's and yesterday's shifts written again).

Statements are counted by MariaDB itself (``Questions``); API calls by the fake server.
Afterwards the database is as seeded again (scores final, employees unmapped), except that
its clock records of those days now carry Connecteam's shift ids.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pymysql
from pydantic import SecretStr
from sqlalchemy import delete, func, select, update

from bench import old_app, results
from core.settings import Settings
from db.models import (
    AuditLog,
    ClockBreak,
    ClockRecord,
    ConnecteamUser,
    DailyScore,
    Employee,
    JobRun,
    SyncRun,
    Team,
)
from prodhub.resources import build_resources
from services import finalization
from services.connecteam import clock_sync
from tasks import connecteam
from tasks.runtime import Runtime, install
from tests.helpers import ServerStatements
from tests.helpers_connecteam import API_KEY, FakeConnecteam, serving

USER_BASE = 100_000  # Connecteam user id = this + employee id


async def run(url: str, day: date, days: int) -> dict[str, Any]:
    first = day - timedelta(days=days - 1)
    base = Settings(database_url=url, cache_ttl_seconds=0)
    resources = build_resources(base)
    db = resources.db
    fake, shifts, breaks, final_ids, before = await _prepare(db, base.timezone, first, day)
    params = old_app.connect_params(url)
    out: dict[str, Any] = {"day": day.isoformat(), "days": days, "user_count": len(fake.users),
                           "shifts": shifts, "breaks": breaks}  # fmt: skip
    async with serving(fake) as fake_url:
        settings = base.model_copy(
            update={"connecteam_api_key": SecretStr(API_KEY), "connecteam_base_url": fake_url}
        )
        install(Runtime(db, settings))
        tick = f"{day.isoformat()}T17:00"  # company time, before the day's finalization

        refreshing = _timed_refreshes()
        out["users"] = await _measure(url, fake, lambda: connecteam.sync_users(tick, True))
        out["time_clock"] = await _measure(
            url, fake,
            lambda: connecteam.sync_time_clock(tick, first.isoformat(), day.isoformat()),
        )  # fmt: skip
        out["time_clock"]["refresh_seconds"], out["refreshes"] = sum(refreshing), len(refreshing)
        after = await _day_sums(db, first, day - timedelta(days=1))
        out["scores_as_seeded"] = after == before
        out["incremental"] = await _measure(
            url, fake, lambda: connecteam.sync_time_clock(f"{day.isoformat()}T17:05")
        )
        async with db.read_session() as session:
            runs = (await session.execute(select(SyncRun.kind, SyncRun.counts))).all()
        out["sync_counts"] = [(kind, counts) for kind, counts in runs]
        install(None)
    activities = fake.activities[1]
    out["old_users"] = await _measure(
        url, None, lambda: asyncio.to_thread(_old_sync, params, fake.users, [])
    )
    out["old_time_clock"] = await _measure(
        url, None, lambda: asyncio.to_thread(_old_sync, params, [], activities)
    )
    recent = [_within(a, day - timedelta(days=1)) for a in activities]
    out["old_incremental"] = await _measure(
        url, None, lambda: asyncio.to_thread(_old_sync, params, [], recent)
    )
    await _restore(db, final_ids)
    await resources.aclose()
    return out


def _timed_refreshes() -> list[float]:
    """Seconds of each day's scoring the time-clock sync runs (they are in its total): the
    refresh, and for a finalized day its streaks, badges and reports settled again."""
    spent: list[float] = []
    real = finalization.rescore_day

    async def timed(**kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await real(**kwargs)
        finally:
            spent.append(time.perf_counter() - started)

    setattr(clock_sync, "rescore_day", timed)  # noqa: B010 (the module's own name for it)
    return spent


async def _measure(
    url: str, fake: FakeConnecteam | None, action: Callable[[], Awaitable[Any]]
) -> dict[str, Any]:
    server = ServerStatements(url)
    calls = len(fake.requests) if fake else 0
    server.start()
    started = time.perf_counter()
    await action()
    seconds = time.perf_counter() - started
    questions = server.stop()["Questions"]
    server.close()
    return {"seconds": seconds, "statements": questions,
            "calls": (len(fake.requests) - calls) if fake else None}  # fmt: skip


async def _prepare(
    db: Any, company_zone: str, first: date, last: date
) -> tuple[FakeConnecteam, int, int, list[int], Any]:
    """Connecteam as the seed's people and clock records; then those records removed here."""
    async with db.session() as session, session.begin():
        await _forget_sync(session)
        people = (
            await session.execute(
                select(Employee.id, Employee.name, Employee.email, Team.timezone)
                .outerjoin(Team, Team.id == Employee.team_id)
            )
        ).all()  # fmt: skip
        zone = {p.id: p.timezone or company_zone for p in people}
        records = (
            await session.execute(
                select(ClockRecord.id, ClockRecord.employee_id, ClockRecord.clock_in,
                       ClockRecord.clock_out)
                .where(ClockRecord.work_date.between(first, last))
            )
        ).all()  # fmt: skip
        pauses = (
            await session.execute(
                select(ClockBreak.clock_record_id, ClockBreak.start, ClockBreak.end)
                .join(ClockRecord).where(ClockRecord.work_date.between(first, last))
            )
        ).all()  # fmt: skip
        owner = {r.id: r.employee_id for r in records}
        by_user: dict[int, dict[str, list[Any]]] = defaultdict(lambda: {"shifts": [], "breaks": []})
        for r in records:
            by_user[r.employee_id]["shifts"].append(
                {"id": f"s{r.id}", "start": _punch(r.clock_in, zone[r.employee_id]),
                 **({"end": _punch(r.clock_out, zone[r.employee_id])} if r.clock_out else {})}
            )  # fmt: skip
        for n, b in enumerate(pauses):
            who = owner[b.clock_record_id]
            by_user[who]["breaks"].append(
                {"id": f"b{n}", "manualBreakId": "lunch", "start": _punch(b.start, zone[who]),
                 **({"end": _punch(b.end, zone[who])} if b.end else {})}
            )  # fmt: skip
        before = await _day_sums_in(session, first, last - timedelta(days=1))
        final_ids = list(
            (
                await session.scalars(
                    select(DailyScore.id).where(
                        DailyScore.work_date.between(first, last), DailyScore.is_final.is_(True)
                    )
                )
            ).all()
        )
        await session.execute(
            update(DailyScore).where(DailyScore.id.in_(final_ids)).values(is_final=False)
        )
        ids = list(owner)
        for n in range(0, len(ids), 5000):
            await session.execute(
                delete(ClockBreak).where(ClockBreak.clock_record_id.in_(ids[n : n + 5000]))
            )
            await session.execute(delete(ClockRecord).where(ClockRecord.id.in_(ids[n : n + 5000])))
    users = [
        {"userId": USER_BASE + p.id, "firstName": p.name.split(" ")[0],
         "lastName": " ".join(p.name.split(" ")[1:]), "email": p.email, "isArchived": False,
         "modifiedAt": 1_700_000_000}
        for p in people
    ]  # fmt: skip
    activities = [
        {"userId": USER_BASE + employee, "shifts": got["shifts"], "manualBreaks": got["breaks"]}
        for employee, got in sorted(by_user.items())
    ]
    fake = FakeConnecteam(
        users=users,
        time_clocks=[{"id": 1, "name": "Warehouse", "isArchived": False}],
        activities={1: activities},
    )
    return fake, len(records), len(pauses), final_ids, before


def _punch(instant: datetime, zone: str) -> dict[str, Any]:
    return {"timestamp": int(instant.timestamp()), "timezone": zone}


def _within(user: dict[str, Any], since: date) -> dict[str, Any]:
    cutoff = datetime.combine(since, datetime.min.time(), UTC).timestamp() - 12 * 3600
    return user | {
        kind: [a for a in user[kind] if a["start"]["timestamp"] >= cutoff]
        for kind in ("shifts", "manualBreaks")
    }


async def _day_sums(db: Any, first: date, last: date) -> Any:
    async with db.read_session() as session:
        return await _day_sums_in(session, first, last)


async def _day_sums_in(session: Any, first: date, last: date) -> Any:
    s = DailyScore
    rows = await session.execute(
        select(s.work_date, func.count(), func.round(func.sum(s.points_earned), 2),
               func.round(func.sum(s.clocked_minutes), 2), func.round(func.sum(s.break_minutes), 2),
               func.round(func.sum(s.idle_minutes), 2))
        .where(s.work_date.between(first, last)).group_by(s.work_date).order_by(s.work_date)
    )  # fmt: skip
    return [tuple(r) for r in rows]


async def _forget_sync(session: Any) -> None:
    await session.execute(update(Employee).values(connecteam_user_id=None))
    await session.execute(delete(ConnecteamUser))
    await session.execute(delete(SyncRun))
    await session.execute(delete(JobRun).where(JobRun.job.like("sync_%")))
    await session.execute(delete(AuditLog).where(AuditLog.actor_label == "connecteam sync"))


async def _restore(db: Any, final_ids: list[int]) -> None:
    async with db.session() as session, session.begin():
        for n in range(0, len(final_ids), 5000):
            await session.execute(
                update(DailyScore)
                .where(DailyScore.id.in_(final_ids[n : n + 5000]))
                .values(is_final=True)
            )
        await _forget_sync(session)
        await session.execute(delete(ClockRecord).where(ClockRecord.external_id.like("old-%")))


OLD_UPDATE = "UPDATE clock_records SET clock_in = %s, clock_out = %s WHERE id = %s"
OLD_INSERT = (
    "INSERT INTO clock_records (employee_id, clock_in, clock_out, work_date, source,"
    " external_id, created_at, updated_at) VALUES (%s, %s, %s,"
    " DATE(CONVERT_TZ(%s, '+00:00', '-06:00')), 'connecteam', %s, NOW(), NOW())"
)


def _old_sync(
    params: dict[str, Any], users: list[dict[str, Any]], activities: list[dict[str, Any]]
) -> int:
    """The old jobs: a query and a commit per record (they wrote their own copies, ``old-``
    ids, deleted afterwards). Returns the statements sent."""
    connection = pymysql.connect(**params, autocommit=False)
    sent = 0
    try:
        with connection.cursor() as cursor:

            def query(sql: str, *args: object) -> Any:
                nonlocal sent
                sent += 1
                cursor.execute(sql, args)
                return cursor.fetchone()

            def commit() -> None:
                nonlocal sent
                sent += 1
                connection.commit()

            for u in users:
                found = query("SELECT id FROM employees WHERE LOWER(email) = LOWER(%s)", u["email"])
                if found:
                    query("UPDATE employees SET name = %s, updated_at = NOW() WHERE id = %s",
                          f"{u['firstName']} {u['lastName']}", found[0])  # fmt: skip
                commit()
            for a in activities:
                employee = a["userId"] - USER_BASE
                for s in a["shifts"]:
                    ref = f"old-{s['id']}"
                    start = datetime.fromtimestamp(s["start"]["timestamp"], UTC).replace(
                        tzinfo=None
                    )
                    end = (datetime.fromtimestamp(s["end"]["timestamp"], UTC).replace(tzinfo=None)
                           if "end" in s else None)  # fmt: skip
                    found = query("SELECT id FROM clock_records WHERE external_id = %s", ref)
                    if found:
                        query(OLD_UPDATE, start, end, found[0])
                    else:
                        query(OLD_INSERT, employee, start, end, start, ref)
                    commit()
                for b in a["manualBreaks"]:
                    found = query("SELECT id FROM clock_records WHERE employee_id = %s AND clock_in"
                                  " <= FROM_UNIXTIME(%s) ORDER BY clock_in DESC LIMIT 1", employee,
                                  b["start"]["timestamp"])  # fmt: skip
                    commit()
    finally:
        connection.close()
    return sent


def report(result: dict[str, Any]) -> str:
    rows = [
        ("users, full", "new: set-based, one transaction", result["users"]),
        ("", "old: a query and a commit per user", result["old_users"]),
        (f"time clock, {result['days']} days", "new: a transaction per day, every day "
         "re-dated and refreshed", result["time_clock"]),
        ("", "old: a query and a commit per shift and per break, no refresh",
         result["old_time_clock"]),
        ("time clock, the 5-minute tick, nothing changed", "new", result["incremental"]),
        ("", "old: every record of the two days written again", result["old_incremental"]),
    ]  # fmt: skip
    clock = result["time_clock"]
    as_seeded = "yes" if result["scores_as_seeded"] else "NO"
    lines = [
        f"{result['user_count']:,} users, {result['shifts']:,} shifts and "
        f"{result['breaks']:,} breaks over {result['days']} days to {result['day']}; the days' "
        f"scores refreshed as the seed made them: **{as_seeded}**. Of the time clock's "
        f"{clock['seconds']:.1f} s, {clock['refresh_seconds']:.1f} s are its "
        f"{result['refreshes']} days scored again (scores, idle periods, flags of every "
        "employee; the days are final, so their streaks, badges and reports too), which the old "
        "sync did not do.",
        "",
        "| sync | path | seconds | statements MariaDB executed | API calls |",
        "|---|---|---:|---:|---:|",
    ]
    for sync, path, measured in rows:
        calls = "" if measured["calls"] is None else f"{measured['calls']:,}"
        seconds, statements = measured["seconds"], measured["statements"]
        lines.append(f"| {sync} | {path} | {seconds:.2f} | {statements:,} | {calls} |")
    return "\n".join(lines)


def main() -> None:
    parser = results.arguments(__doc__)
    parser.add_argument("--days", type=int, default=14)
    args = parser.parse_args()
    result = asyncio.run(run(args.url, args.day, args.days))
    results.keep("connecteam", result, report(result))


if __name__ == "__main__":
    main()
