"""A day refresh's memory: one employee's activities at a time vs the whole day's at once,
side by side in one run, at several sizes of the day.

    python -m bench.refresh_memory --url mysql+aiomysql://... --day 2026-11-20 \
        [--sizes 10000 50000 150000]

Expects a database seeded with ``prodhub seed-demo --profile S --today <day>`` (``bench/run
--profile S`` does all of it). For each size, ``--day`` gets that many more activities in bulk
(zero items each, back to back after each clocked employee's last activity and inside their
clock record, so that they raise no flag and every size writes the same flags), then each
path refreshes the day in a fresh subprocess: its peak resident size (``ru_maxrss``), its
resident size before the job, after it and after ``malloc_trim(0)``, seconds and the
statements MariaDB executed (``Questions``); then the same job again under ``tracemalloc``
for the Python heap's peak. The old path is the refresh as it was, loading every activity of
the day before scoring (``old_refresh``). The added rows are deleted at the end and the day
is refreshed again, as the other benchmarks found it.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bench import results
from core.settings import Settings
from db.engine import Database
from db.models import Activity, ClockRecord, DailyScore, Employee, Role
from services import flags
from services.flags import ActivitySpan, FlagFound
from services.intervals import minutes
from services.score_refresh import (
    IDLE_PERIODS,
    SCORES,
    Refreshed,
    _clocks,
    _flags,
    _people,
    _replace,
    refresh_day,
)
from services.scores import ClockSample, WorkSample, clock_interval, compute_day
from tests.helpers import ServerStatements

IDLE = timedelta(minutes=15)
REF = "bench-memory-"
PATHS = ("new", "old")


def now_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)


# --- the old way ----------------------------------------------------------------------------


async def old_refresh(*, session: AsyncSession, work_date: date, now: datetime) -> Refreshed:
    """The refresh as it was: every activity of the day SELECTed at once and kept (as rows,
    then ``ActivitySpan``s, then ``WorkSample`` copies) while every employee is scored."""
    was_final = set(
        (
            await session.scalars(
                select(DailyScore.employee_id).where(
                    DailyScore.work_date == work_date, DailyScore.is_final.is_(True)
                )
            )
        ).all()
    )
    work = await _old_work(session, work_date)
    clocks = await _clocks(session, work_date)
    roles = {
        row.id: row
        for row in (
            await session.execute(select(Role.id, Role.points_per_item, Role.expected_per_hour))
        ).all()
    }
    employees = (set(work) | set(clocks)) - was_final
    people = await _people(session, employees)
    score_rows: list[dict[str, Any]] = []
    idle_rows: list[dict[str, Any]] = []
    found: dict[tuple[str, str], tuple[int, FlagFound]] = {}
    for employee_id in sorted(employees):
        spans, records = work.get(employee_id, []), clocks.get(employee_id, [])
        day = compute_day(
            work=[WorkSample(s.role_id, s.items, s.start, s.end) for s in spans],
            clocks=records, roles=roles, now=now, idle_threshold=IDLE,
        )  # fmt: skip
        team_id, mapped = people.get(employee_id, (None, False))
        raised = flags.detect(
            employee_id=employee_id, work_date=work_date, activities=spans,
            shifts=[clock_interval(record, now) for record in records],
            idle_periods=day.idle_periods, clocked_minutes=day.clocked_minutes, roles=roles,
        ) + flags.unclocked_work(
            employee_id=employee_id, work_date=work_date, worked=bool(spans),
            clocked=bool(records), mapped=mapped,
        )  # fmt: skip
        for flag in raised:
            found[(flag.rule.value, flag.subject_key)] = (employee_id, flag)
        score_rows.append(
            {"employee_id": employee_id, "team_id": team_id, "work_date": work_date,
             **day.figures(), "is_final": False, "updated_at": now}
        )  # fmt: skip
        idle_rows += [
            {"employee_id": employee_id, "work_date": work_date, "start": start, "end": end,
             "minutes": minutes([(start, end)])}
            for start, end in day.idle_periods
        ]  # fmt: skip
    await _replace(session, SCORES, work_date, was_final, score_rows)
    await _replace(session, IDLE_PERIODS, work_date, was_final, idle_rows)
    raised_count, withdrawn = await _flags(session, work_date, was_final, found, people, now)
    return Refreshed(
        work_date, len(score_rows), len(idle_rows), len(was_final), raised_count, withdrawn
    )


async def _old_work(session: AsyncSession, work_date: date) -> dict[int, list[ActivitySpan]]:
    rows = await session.execute(
        select(Activity.employee_id, Activity.id, Activity.role_id, Activity.items_count,
               Activity.window_start, Activity.window_end)
        .where(Activity.work_date == work_date, Activity.voided_at.is_(None))
    )  # fmt: skip
    found: dict[int, list[ActivitySpan]] = defaultdict(list)
    for employee_id, activity_id, role_id, items, start, end in rows:
        found[employee_id].append(ActivitySpan(activity_id, role_id, items, start, end))
    return found


# --- one path, in a process of its own ------------------------------------------------------


def resident() -> int:
    """This process's resident size now, in bytes."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def trim() -> bool:
    """glibc's ``malloc_trim(0)``: free heap pages go back to the OS."""
    name = ctypes.util.find_library("c")
    return name is not None and bool(ctypes.CDLL(name).malloc_trim(0))


async def child(url: str, day: date, path: str) -> dict[str, Any]:
    db = Database(Settings(database_url=url))
    now = now_of(day)

    async def job(session: AsyncSession) -> Refreshed:
        if path == "new":
            return await refresh_day(session=session, work_date=day, now=now, idle_threshold=IDLE)
        return await old_refresh(session=session, work_date=day, now=now)

    async def write_ping(session: AsyncSession) -> None:
        await session.execute(select(1))

    await db.write(write_ping)  # the pool's connection made before measuring
    before = resident()
    server = ServerStatements(url)
    server.start()
    started = time.perf_counter()
    refreshed = await db.write(job)
    seconds = time.perf_counter() - started
    statements = server.stop()["Questions"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    after = resident()
    trim()
    trimmed = resident()
    tracemalloc.start()
    await db.write(job)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    server.close()
    await db.dispose()
    return {"seconds": seconds, "statements": statements, "peak_rss": peak,
            "rss_before": before, "rss_after": after, "rss_trimmed": trimmed,
            "traced_peak": traced, "scores": refreshed.scores,
            "flags_raised": refreshed.flags_raised}  # fmt: skip


def measure(url: str, day: date, path: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.refresh_memory", "--url", url, "--day", day.isoformat(),
         "--child", path],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


# --- the day's extra activities -------------------------------------------------------------


async def add_activities(db: Database, day: date, count: int) -> int:
    """``count`` more activities of ``day``, shared among the employees clocked that day."""
    now = now_of(day)
    async with db.read_session() as session:
        records = (
            await session.execute(
                select(ClockRecord.employee_id, ClockRecord.clock_in, ClockRecord.clock_out)
                .where(ClockRecord.work_date == day, ClockRecord.voided_at.is_(None))
                .order_by(ClockRecord.employee_id, ClockRecord.clock_in)
            )
        ).all()
        ends = dict(
            (
                await session.execute(
                    select(Activity.employee_id, func.max(Activity.window_end))
                    .where(Activity.work_date == day)
                    .group_by(Activity.employee_id)
                )
            ).all()
        )
        role_of = dict((await session.execute(select(Employee.id, Employee.default_role_id))).all())
        any_role = (await session.scalars(select(Role.id).order_by(Role.id))).first()
    rooms: dict[int, tuple[datetime, datetime]] = {}
    for employee_id, clock_in, clock_out in records:  # each one's last record of the day
        start, end = clock_interval(ClockSample(clock_in, clock_out), now)
        rooms[employee_id] = (max(start, ends.get(employee_id, start)), end)
    rooms = {e: room for e, room in rooms.items() if room[1] > room[0]}
    share, rest = divmod(count, len(rooms))
    rows: list[dict[str, Any]] = []
    for n, (employee_id, (start, end)) in enumerate(sorted(rooms.items())):
        many = share + (1 if n < rest else 0)
        step = (end - start) // max(many, 1)
        if step < timedelta(seconds=1):
            raise SystemExit(f"employee {employee_id}: no room for {many} activities")
        rows += [
            {"employee_id": employee_id, "role_id": role_of.get(employee_id) or any_role,
             "items_count": 0, "window_start": start + step * i,
             "window_end": start + step * (i + 1), "work_date": day, "source": "bench",
             "external_ref": f"{REF}{employee_id}-{i}"}
            for i in range(many)
        ]  # fmt: skip
    async with db.session() as session, session.begin():
        for at in range(0, len(rows), 5_000):
            await session.execute(insert(Activity), rows[at : at + 5_000])
    return len(rows)


async def forget(db: Database, day: date) -> None:
    async with db.session() as session, session.begin():
        await session.execute(delete(Activity).where(Activity.external_ref.like(f"{REF}%")))
    await db.write(
        lambda session: refresh_day(
            session=session, work_date=day, now=now_of(day), idle_threshold=IDLE
        )
    )


async def day_size(db: Database, day: date) -> tuple[int, int]:
    async with db.read_session() as session:
        employees = (await session.execute(select(func.count()).select_from(Employee))).scalar()
        rows = (
            await session.execute(
                select(func.count()).where(Activity.work_date == day, Activity.voided_at.is_(None))
            )
        ).scalar()
    return int(employees or 0), int(rows or 0)


async def run(url: str, day: date, sizes: list[int]) -> dict[str, Any]:
    db = Database(Settings(database_url=url))
    await forget(db, day)
    employees, seeded = await day_size(db, day)
    measured: list[dict[str, Any]] = []
    added = 0
    for size in sizes:
        added += await add_activities(db, day, size - added)
        _, rows = await day_size(db, day)
        for path in PATHS:
            measured.append({"size": size, "rows": rows, "path": path} | measure(url, day, path))
    await forget(db, day)
    await db.dispose()
    return {"day": day.isoformat(), "employees": employees, "seeded_rows": seeded,
            "runs": measured}  # fmt: skip


def report(result: dict[str, Any]) -> str:
    mib = 1024 * 1024
    lines = [
        f"{result['employees']} employees; day {result['day']} seeded with "
        f"{result['seeded_rows']:,} activities, then more added to each size; each path in a "
        f"fresh process. MiB.",
        "",
        "| activities of the day | path | peak RSS | RSS before | after | after malloc_trim "
        "| tracemalloc peak | seconds | statements | scores | flags raised |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        lines.append(
            f"| {run['rows']:,} | {run['path']} | {run['peak_rss'] / mib:.0f} "
            f"| {run['rss_before'] / mib:.0f} | {run['rss_after'] / mib:.0f} "
            f"| {run['rss_trimmed'] / mib:.0f} | {run['traced_peak'] / mib:.1f} "
            f"| {run['seconds']:.2f} | {run['statements']} | {run['scores']} "
            f"| {run['flags_raised']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = results.arguments(__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 150_000])
    parser.add_argument("--child", choices=PATHS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.url, args.day, args.child))))
        return
    result = asyncio.run(run(args.url, args.day, sorted(args.sizes)))
    results.keep("refresh_memory", result, report(result))


if __name__ == "__main__":
    main()
