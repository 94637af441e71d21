"""Recomputing one work date's scores, idle periods and flags for every employee, set-based.

A fixed handful of statements whatever the number of employees or activities: SELECTs of the
day's scores (locked: one day's refreshes and finalization run one after another), clock
records, breaks, roles, activities (one SELECT, streamed one employee at a time, so that memory
is bounded by the largest employee's day, not by the day's), employees and flags; then the
standard set the scores were computed with is stamped (``services.standard_sets``: one INSERT,
none for a day without scores), the day's non-final score and idle rows are replaced in bulk
(DELETE and a multi-row INSERT each), new flags inserted and open flags that no longer apply
deleted (resolved or dismissed ones stay) — all in the caller's transaction, so a day is never
half-written. The formulas are ``services.scores`` and ``services.flags``; running it twice with
the same data and ``now`` gives identical rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncGenerator, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, Table, and_, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dated
from db.models import (
    Activity,
    ClockBreak,
    ClockRecord,
    DailyScore,
    Employee,
    Flag,
    IdlePeriod,
    Role,
)
from services import flags
from services.flags import ActivitySpan, FlagFound, FlagRule, FlagStatus
from services.intervals import minutes
from services.scores import ClockSample, DayScore, clock_interval, compute_day
from services.standard_sets import stamp, standard_set

SCORES: Table = DailyScore.__table__  # type: ignore[assignment]
IDLE_PERIODS: Table = IdlePeriod.__table__  # type: ignore[assignment]
FLAGS: Table = Flag.__table__  # type: ignore[assignment]
# What a day's refresh decides; FORGOTTEN_CLOCK_OUT belongs to the daily rollover.
REFRESHED_RULES = [rule.value for rule in FlagRule if rule is not FlagRule.FORGOTTEN_CLOCK_OUT]


@dataclass(frozen=True)
class Refreshed:
    work_date: date
    scores: int  # rows written
    idle_periods: int
    skipped_final: int  # employees whose score for the day is final and was left alone
    flags_raised: int = 0
    flags_withdrawn: int = 0  # open flags whose condition no longer holds
    rescored_final: int = 0  # final scores scored again (``rescore_final``); the day stays final


async def refresh_day(
    *,
    session: AsyncSession,
    work_date: date,
    now: datetime,
    idle_threshold: timedelta,
    goal: float,
    rescore_final: bool = False,
) -> Refreshed:
    """The day scored from its activities and clock records. Employees whose score is final
    are left alone, unless ``rescore_final`` (a correction, a recalculation): then everyone is
    scored again, and a day that was final stays final. Each score written names the standard
    set it was computed with (the roles, ``idle_threshold``, ``goal``: stamped here), and is
    computed at ``now`` to the second, the instant its ``updated_at`` keeps.

    The activities are streamed, one employee's at a time (``_work``): what is held at once is
    the largest single employee's day, plus each employee's score, idle periods and flags."""
    now = now.replace(microsecond=0)
    # The day's scores locked first, by a locking read (the latest committed rows, not the
    # transaction's snapshot): refreshes, finalizations and rescorings of one day run one
    # after another, so that none writes as not final a score another has just made final.
    day_scores = await session.execute(
        select(DailyScore.employee_id, DailyScore.is_final)
        .where(DailyScore.work_date == work_date)
        .with_for_update()
    )
    was_final = {employee_id for employee_id, is_final in day_scores if is_final}
    final: set[int] = set() if rescore_final else was_final
    clocks = await _clocks(session, work_date)
    standards = standard_set(
        roles=(await session.execute(
            select(Role.id, Role.key, Role.points_per_item, Role.expected_per_hour))).all(),
        idle_threshold=idle_threshold, goal=goal,
    )  # fmt: skip
    roles = standards.roles

    def score(employee_id: int, spans: list[ActivitySpan]) -> _Scored:
        records = clocks.get(employee_id, [])
        day = compute_day(
            work=spans, clocks=records, roles=roles, now=now, idle_threshold=idle_threshold
        )
        found = flags.detect(
            employee_id=employee_id,
            work_date=work_date,
            activities=spans,
            shifts=[clock_interval(record, now) for record in records],
            idle_periods=day.idle_periods,
            clocked_minutes=day.clocked_minutes,
            roles=roles,
        )
        return _Scored(day, found, worked=bool(spans))

    scored = await _score_work(session, work_date, final, score)
    for employee_id in clocks.keys() - scored.keys() - final:
        scored[employee_id] = score(employee_id, [])
    people = await _people(session, set(scored))
    score_rows: list[dict[str, Any]] = []
    idle_rows: list[dict[str, Any]] = []
    found: dict[tuple[str, str], tuple[int, FlagFound]] = {}
    for employee_id in sorted(scored):
        day = scored[employee_id].day
        team_id, mapped = people.get(employee_id, (None, False))
        raised = scored[employee_id].flags + flags.unclocked_work(
            employee_id=employee_id,
            work_date=work_date,
            worked=scored[employee_id].worked,
            clocked=employee_id in clocks,
            mapped=mapped,
        )
        for flag in raised:
            found[(flag.rule.value, flag.subject_key)] = (employee_id, flag)
        score_rows.append(
            {"employee_id": employee_id, "team_id": team_id, "work_date": work_date,
             **day.figures(), "is_final": bool(was_final) and rescore_final,
             "standard_set_id": standards.id, "updated_at": now}
        )  # fmt: skip
        idle_rows += [
            {"employee_id": employee_id, "work_date": work_date, "start": start, "end": end,
             "minutes": minutes([(start, end)])}
            for start, end in day.idle_periods
        ]  # fmt: skip
    if score_rows:  # the set they name, stored before them (a day with none needs none)
        await stamp(session=session, standards=standards, days={work_date}, now=now)
    await _replace(session, SCORES, work_date, final, score_rows)
    await _replace(session, IDLE_PERIODS, work_date, final, idle_rows)
    raised_count, withdrawn = await _flags(session, work_date, final, found, people, now)
    rescored = len(was_final) if rescore_final else 0
    return Refreshed(
        work_date, len(score_rows), len(idle_rows), len(final), raised_count, withdrawn, rescored
    )


@dataclass(frozen=True, slots=True)
class _Scored:
    """One employee's day, scored: what is kept of it once its activities are gone."""

    day: DayScore
    flags: list[FlagFound]
    worked: bool  # it had activities


async def _score_work(
    session: AsyncSession,
    work_date: date,
    final: set[int],
    score: Callable[[int, list[ActivitySpan]], _Scored],
) -> dict[int, _Scored]:
    """Every employee with activities that day but the final ones, scored as they stream by;
    each one's activities are let go before the next one's are read."""
    scored: dict[int, _Scored] = {}
    async with aclosing(_work(session, work_date)) as work:
        async for employee_id, spans in work:
            if employee_id not in final:
                scored[employee_id] = score(employee_id, spans)
    return scored


# Rows fetched from the server at a time while streaming a day's activities.
ACTIVITY_BATCH = 2_000


def day_activities(work_date: date) -> Select[int, int, int, int, datetime, datetime]:
    """The day's live activities in employee order, by id within one employee's."""
    return (
        select(Activity.employee_id, Activity.id, Activity.role_id, Activity.items_count,
               Activity.window_start, Activity.window_end)
        .where(Activity.work_date == work_date, Activity.voided_at.is_(None))
        .order_by(Activity.employee_id, Activity.id)
    )  # fmt: skip


async def _work(
    session: AsyncSession, work_date: date
) -> AsyncGenerator[tuple[int, list[ActivitySpan]]]:
    """Each employee's activities of the day, one employee at a time, from one SELECT ordered
    by employee and streamed ``ACTIVITY_BATCH`` rows at a time (a server-side cursor on
    MariaDB; SQLite steps through its own). ``ix_activities_work_date_employee_id`` serves
    the order, so the server sorts nothing. The session's connection is busy until the last
    employee has been taken: nothing else may run on it meanwhile."""
    result = await session.stream(
        day_activities(work_date).execution_options(yield_per=ACTIVITY_BATCH)
    )
    try:
        current, spans = 0, list[ActivitySpan]()
        async for partition in result.partitions():
            for employee_id, activity_id, role_id, items, start, end in partition:
                if employee_id != current and spans:
                    yield current, spans
                    spans = []
                current = employee_id
                spans.append(ActivitySpan(activity_id, role_id, items, start, end))
        if spans:
            yield current, spans
    finally:
        await result.close()


async def _clocks(session: AsyncSession, work_date: date) -> dict[int, list[ClockSample]]:
    records = (
        await session.execute(
            select(ClockRecord.id, ClockRecord.employee_id, ClockRecord.clock_in,
                   ClockRecord.clock_out)
            .where(ClockRecord.work_date == work_date, ClockRecord.voided_at.is_(None))
            .order_by(ClockRecord.clock_in, ClockRecord.id)
        )
    ).all()  # fmt: skip
    breaks: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    for record_id, start, end in await session.execute(
        select(ClockBreak.clock_record_id, ClockBreak.start, ClockBreak.end)
        .join(ClockRecord, ClockRecord.id == ClockBreak.clock_record_id)
        .where(ClockRecord.work_date == work_date, ClockRecord.voided_at.is_(None))
    ):
        breaks[record_id].append((start, end))
    found: dict[int, list[ClockSample]] = defaultdict(list)
    for record_id, employee_id, clock_in, clock_out in records:
        found[employee_id].append(ClockSample(clock_in, clock_out, breaks.get(record_id, [])))
    return found


async def _people(session: AsyncSession, employees: set[int]) -> dict[int, tuple[int | None, bool]]:
    """Each employee's team, and whether Connecteam clock records are expected for them."""
    if not employees:
        return {}
    rows = await session.execute(
        select(Employee.id, Employee.team_id, Employee.connecteam_user_id).where(
            Employee.id.in_(employees)
        )
    )
    return {employee_id: (team_id, user is not None) for employee_id, team_id, user in rows}


async def _flags(
    session: AsyncSession,
    work_date: date,
    final: set[int],
    found: dict[tuple[str, str], tuple[int, FlagFound]],
    people: dict[int, tuple[int | None, bool]],
    now: datetime,
) -> tuple[int, int]:
    """Insert the flags not raised before; delete open ones whose condition is gone."""
    existing = (
        await session.execute(
            select(Flag.id, Flag.rule, Flag.subject_key, Flag.status, Flag.employee_id).where(
                Flag.work_date == work_date, Flag.rule.in_(REFRESHED_RULES)
            )
        )
    ).all()
    known = {(rule, subject) for _, rule, subject, _, _ in existing}
    stale = [
        flag_id
        for flag_id, rule, subject, status, employee_id in existing
        if status == FlagStatus.OPEN and employee_id not in final and (rule, subject) not in found
    ]
    if stale:
        await session.execute(dated(delete(Flag).where(Flag.id.in_(stale)), "flags", {work_date}))
    rows = [
        {"rule": flag.rule.value, "subject_key": flag.subject_key, "employee_id": employee_id,
         "team_id": people.get(employee_id, (None, False))[0], "work_date": work_date,
         "activity_id": flag.activity_id, "status": FlagStatus.OPEN.value, "details": flag.details,
         "created_at": now}
        for key, (employee_id, flag) in sorted(found.items())
        if key not in known
    ]  # fmt: skip
    if rows:  # IGNORE: a flag raised meanwhile by a concurrent refresh is not an error
        statement = dated(
            insert(FLAGS).prefix_with("IGNORE", dialect="mysql"), "flags", {work_date}
        )
        await session.execute(statement.prefix_with("OR IGNORE", dialect="sqlite"), rows)
    return len(rows), len(stale)


async def _replace(
    session: AsyncSession,
    table: Table,
    work_date: date,
    final: set[int],
    rows: list[dict[str, Any]],
) -> None:
    """The day's rows of ``table``, except final employees', become ``rows``."""
    keep = table.c.employee_id.not_in(final) if final else None
    condition = table.c.work_date == work_date
    on_day = {work_date}
    await session.execute(
        dated(delete(table).where(and_(condition, keep) if keep is not None else condition),
              table.name, on_day)
    )  # fmt: skip
    if rows:
        await session.execute(dated(insert(table), table.name, on_day), rows)
