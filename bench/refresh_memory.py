"""A day refresh's memory: one employee's activities at a time vs the whole day's at once,
side by side in one run, at several sizes of the day.

    python -m bench.refresh_memory --url mysql+aiomysql://... --day 2026-11-20 \
        [--sizes 10000 50000 150000] [--rounds 3] [--items 0]

Expects a database seeded with ``prodhub seed-demo --profile S --today <day>`` (``bench/run
--profile S`` does all of it). The day after ``--day`` gets ``--day``'s clock records, then,
for each size, that many activities in bulk, shared among the clocked employees, back to back
through each one's clock record with ``--items`` items each: zero by default, so that none
raises a flag and every size writes the same scores; with enough items that each window's
rate is impossible, every activity raises a flag, and the day's flags grow with it (raised
once before measuring, so that each refresh measured finds them all and finds them again).
Each path then refreshes that day in a fresh subprocess:
its peak resident size (``VmHWM``, see ``peak_resident``), its resident size before the job,
after it and after glibc's ``malloc_trim(0)``, seconds and the statements MariaDB executed
(``Questions``); then the same job again under ``tracemalloc``, for the Python heap's peak.
The old path is the refresh as it was, every activity of the day loaded before scoring
(``old_refresh``).
Everything on the benchmark's day is deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import json
import os
import statistics
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
from db.models import Activity, ClockRecord, DailyScore, Employee, Flag, IdlePeriod, Role
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
from services.scores import WorkSample, clock_interval, compute_day
from tests.helpers import ServerStatements

IDLE = timedelta(minutes=15)
REF = "bench-memory-"
PATHS = ("new", "old")


def now_of(day: date) -> datetime:
    """When the benchmark's day is refreshed: after its last clock record has ended."""
    return datetime.combine(bench_day(day) + timedelta(days=2), datetime.min.time(), UTC)


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


def peak_resident() -> int:
    """This process's peak resident size, in bytes: ``VmHWM``, its own memory's high-water
    mark. (``ru_maxrss`` is not: Linux carries it across ``execve``, and ``subprocess``
    forks with ``vfork``, so a child's starts at its parent's peak.)"""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def trim() -> bool:
    """glibc's ``malloc_trim(0)``: free heap pages go back to the OS."""
    name = ctypes.util.find_library("c")
    return name is not None and bool(ctypes.CDLL(name).malloc_trim(0))


async def child(url: str, day: date, path: str) -> dict[str, Any]:
    db = Database(Settings(database_url=url))
    on, now = bench_day(day), now_of(day)

    async def job(session: AsyncSession) -> Refreshed:
        if path == "new":
            return await refresh_day(
                session=session, work_date=on, now=now, idle_threshold=IDLE, goal=100.0
            )
        return await old_refresh(session=session, work_date=on, now=now)

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
    peak = peak_resident()
    after = resident()
    trim()
    trimmed = resident()
    tracemalloc.start()
    await db.write(job)
    traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    async with db.read_session() as session:
        stored = await session.scalar(
            select(func.count()).select_from(Flag).where(Flag.work_date == on)
        )
    server.close()
    await db.dispose()
    return {"seconds": seconds, "statements": statements, "peak_rss": peak,
            "rss_before": before, "rss_after": after, "rss_trimmed": trimmed,
            "traced_peak": traced, "scores": refreshed.scores,
            "flags_raised": refreshed.flags_raised, "flags": stored}  # fmt: skip


def measure(url: str, day: date, path: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.refresh_memory", "--url", url, "--day", day.isoformat(),
         "--child", path],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return measured


# --- the benchmark's day --------------------------------------------------------------------


def bench_day(day: date) -> date:
    """The day refreshed: the one after ``--day``, which the seed left empty."""
    return day + timedelta(days=1)


async def prepare_day(db: Database, day: date) -> None:
    """``--day``'s clock records moved onto the benchmark's day (open ones closed after 10
    hours), with nothing else on it yet."""
    await forget(db, day)
    async with db.read_session() as session:
        records = (
            await session.execute(
                select(ClockRecord.employee_id, ClockRecord.clock_in, ClockRecord.clock_out)
                .where(ClockRecord.work_date == day, ClockRecord.voided_at.is_(None))
            )
        ).all()  # fmt: skip
    one = timedelta(days=1)
    rows = [
        {"employee_id": employee_id, "clock_in": clock_in + one,
         "clock_out": (clock_out or clock_in + timedelta(hours=10)) + one,
         "work_date": bench_day(day), "source": "bench", "external_id": f"{REF}{n}"}
        for n, (employee_id, clock_in, clock_out) in enumerate(records)
    ]  # fmt: skip
    async with db.session() as session, session.begin():
        await session.execute(insert(ClockRecord), rows)


async def add_activities(db: Database, day: date, count: int, items: int) -> int:
    """``count`` more activities of the benchmark's day, shared among its clocked employees:
    each one's back to back through their clock record, after those added before."""
    on = bench_day(day)
    async with db.read_session() as session:
        records = (
            await session.execute(
                select(ClockRecord.employee_id, ClockRecord.clock_in, ClockRecord.clock_out)
                .where(ClockRecord.work_date == on)
                .order_by(ClockRecord.employee_id, ClockRecord.clock_in)
            )
        ).all()  # fmt: skip
        role = (await session.scalars(select(Role.id).order_by(Role.id))).first()
    share, rest = divmod(count, len(records))
    rows: list[dict[str, Any]] = []
    for n, (employee_id, clock_in, clock_out) in enumerate(records):
        many = share + (1 if n < rest else 0)
        assert clock_out is not None  # prepare_day closed them all
        step = (clock_out - clock_in) / max(many, 1)
        rows += [
            {"employee_id": employee_id, "role_id": role, "items_count": items,
             "window_start": clock_in + step * i, "window_end": clock_in + step * (i + 1),
             "work_date": on, "source": "bench", "external_ref": f"{REF}{n}-{i}"}
            for i in range(many)
        ]  # fmt: skip
    async with db.session() as session, session.begin():
        for at in range(0, len(rows), 5_000):
            await session.execute(insert(Activity), rows[at : at + 5_000])
    return len(rows)


async def forget(db: Database, day: date) -> None:
    """Everything on the benchmark's day gone."""
    on = bench_day(day)
    async with db.session() as session, session.begin():
        for model in (Flag, IdlePeriod, DailyScore, Activity, ClockRecord):
            await session.execute(delete(model).where(model.work_date == on))


async def counts(db: Database, day: date) -> tuple[int, int, int]:
    """Employees, and the activities of ``--day`` and of the benchmark's day."""
    async with db.read_session() as session:
        employees = (await session.execute(select(func.count()).select_from(Employee))).scalar()
        by_day = dict(
            (
                await session.execute(
                    select(Activity.work_date, func.count())
                    .where(Activity.work_date.in_([day, bench_day(day)]))
                    .group_by(Activity.work_date)
                )
            ).all()
        )  # fmt: skip
    return int(employees or 0), by_day.get(day, 0), by_day.get(bench_day(day), 0)


async def raise_flags(db: Database, day: date) -> None:
    """The benchmark's day refreshed once, so that its flags are stored before measuring."""

    async def job(session: AsyncSession) -> Refreshed:
        return await refresh_day(
            session=session, work_date=bench_day(day), now=now_of(day), idle_threshold=IDLE,
            goal=100.0,
        )  # fmt: skip

    await db.write(job)


async def run(url: str, day: date, sizes: list[int], rounds: int, items: int) -> dict[str, Any]:
    db = Database(Settings(database_url=url))
    await prepare_day(db, day)
    measured: list[dict[str, Any]] = []
    for size in sizes:
        async with db.session() as session, session.begin():
            for model in (Flag, Activity):
                await session.execute(delete(model).where(model.work_date == bench_day(day)))
        await add_activities(db, day, size, items)
        if items:
            await raise_flags(db, day)
        employees, seeded, rows = await counts(db, day)
        got: dict[str, list[dict[str, Any]]] = {path: [] for path in PATHS}
        for _ in range(rounds):  # interleaved, so that noise hits both alike
            for path in PATHS:
                got[path].append(measure(url, day, path))
        for path, runs in got.items():
            medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            measured.append({"rows": rows, "path": path, "rounds": runs} | medians)
    await forget(db, day)
    await db.dispose()
    return {"day": bench_day(day).isoformat(), "employees": employees, "seeded_rows": seeded,
            "rounds": rounds, "items": items, "runs": measured}  # fmt: skip


def report(result: dict[str, Any]) -> str:
    mib = 1024 * 1024
    lines = [
        f"{result['employees']} employees ({result['seeded_rows']:,} activities on the seed's "
        f"last day); day {result['day']}: its clock records, then the activities below, "
        f"{result['items']} items each, back to back through each clock record. Each path "
        f"in a fresh process, medians of {result['rounds']} interleaved rounds; sizes in MiB.",
        "",
        "| activities of the day | path | peak RSS (VmHWM) | RSS before | after "
        "| after malloc_trim | tracemalloc peak | seconds | statements | scores "
        "| flags raised | flags of the day |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run in result["runs"]:
        lines.append(
            f"| {run['rows']:,} | {run['path']} | {run['peak_rss'] / mib:.0f} "
            f"| {run['rss_before'] / mib:.0f} | {run['rss_after'] / mib:.0f} "
            f"| {run['rss_trimmed'] / mib:.0f} | {run['traced_peak'] / mib:.1f} "
            f"| {run['seconds']:.2f} | {run['statements']} | {run['scores']} "
            f"| {run['flags_raised']} | {run['flags']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = results.arguments(__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000, 150_000])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--items", type=int, default=0, help="items in each activity")
    parser.add_argument("--child", choices=PATHS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(asyncio.run(child(args.url, args.day, args.child))))
        return
    result = asyncio.run(run(args.url, args.day, sorted(args.sizes), args.rounds, args.items))
    name = "refresh_memory_flagged" if args.items else "refresh_memory"
    results.keep(name, result, report(result))


if __name__ == "__main__":
    main()
