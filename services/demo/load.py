"""Bulk-load a demo dataset in one transaction, scoring every employee-day as it goes."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from db import models
from services.daily_reports import build_reports
from services.demo.generate import DayPlan, Worker, day_rngs, demo_code, plan_day, worker
from services.demo.profiles import (
    FIRST_NAMES,
    LAST_NAMES,
    OTHER_TIMEZONES,
    ROLES,
    TEAM_NAMES,
    Profile,
)
from services.demo.users import remove_demo_users
from services.finalization import finalize_day
from services.gamification import settle_day
from services.score_refresh import refresh_day
from services.scores import ClockSample, WorkSample, compute_day
from services.standard_sets import StandardSet, stamp, standard_set

CHUNK_ROWS = 5000
DOMAIN_TABLES = [  # children first
    models.DailyReport, models.ConnecteamUser, models.Flag, models.Badge, models.Streak,
    models.IdlePeriod,
    models.DailyScore, models.StandardSet, models.Activity, models.ClockBreak, models.ClockRecord,
    models.ScheduledShift, models.AuditLog, models.JobRun, models.SyncRun, models.Employee,
    models.Role, models.Team,
]  # fmt: skip


@dataclass(slots=True)
class SeedCounts:
    teams: int = 0
    roles: int = 0
    employees: int = 0
    activities: int = 0
    clock_records: int = 0
    daily_scores: int = 0
    idle_periods: int = 0
    flags: int = 0


async def analyze(session: AsyncSession) -> None:
    """Refresh the optimizer's statistics after a bulk load, so plans match the new data."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("ANALYZE"))
    else:
        tables = ", ".join(model.__tablename__ for model in DOMAIN_TABLES)
        await session.execute(text(f"ANALYZE TABLE {tables}"))


async def has_data(session: AsyncSession) -> bool:
    return (await session.scalar(select(func.count()).select_from(models.Employee))) != 0


async def clear_domain_data(session: AsyncSession) -> None:
    await remove_demo_users(session=session)
    await session.execute(update(models.User).values(employee_id=None))
    for model in DOMAIN_TABLES:
        await session.execute(delete(model))


async def seed_demo(
    *,
    session: AsyncSession,
    profile: Profile,
    seed: int,
    today: date,
    now: datetime,
    company_timezone: str,
    idle_threshold: timedelta,
    productivity_goal: float = 100.0,
    progress: Callable[[int], None] = lambda _: None,
) -> SeedCounts:
    """Load ``profile`` for the days up to ``today``; ``progress`` is told of each employee.
    Days before today are final, with the streaks and badges ``finalize_day`` settles and (the
    last week's) the daily reports; each worked day has its scheduled shift. Each employee-day
    is drawn from its own RNG (``generate.day_rngs``): the same whatever range is seeded."""
    now = now.replace(microsecond=0)  # as stored: each score's explanation counts to it
    rng = random.Random(seed)
    counts = SeedCounts()
    roles = await _insert_roles(session, profile)
    teams = await _insert_teams(session, profile, company_timezone)
    workers = await _insert_employees(session, rng, seed, profile, teams, list(roles))
    counts.roles, counts.teams, counts.employees = len(roles), len(teams), profile.employees
    progress(profile.employees - len(workers))  # inactive employees have no days to plan

    rates = {rid: r.expected_per_hour for rid, r in roles.items()}
    days = [today - timedelta(days=n) for n in range(profile.days - 1, -1, -1)]
    next_clock_id = (await session.scalar(select(func.max(models.ClockRecord.id))) or 0) + 1
    # The last week and today are left to the jobs' own code (flags raised, days finalized);
    # the days before arrive final, scored here, with their streaks and badges settled.
    recent = days[-1 - REPORTED_DAYS :]
    standards = standard_set(
        roles=roles.values(), idle_threshold=idle_threshold, goal=productivity_goal
    )
    await stamp(session=session, standards=standards, days=(days[0], days[-1]), now=now)
    batch = Batch(session, counts, standards)
    for person, team_id in workers:
        for day in days:
            plan_rng, quirks = day_rngs(seed, person, day)
            plan = plan_day(plan_rng, person, day, rates, now, quirks)
            if plan is None:
                continue
            final = day not in recent
            batch.add_day(next_clock_id, person, team_id, day, plan, now, final=final)
            next_clock_id += 1
        await batch.flush_if_full()
        progress(1)
    await batch.flush()
    for day in days[:-1]:  # in order, as the scheduler finalizes them
        if day in recent:
            done = await finalize_day(
                session=session,
                work_date=day,
                now=now,
                idle_threshold=idle_threshold,
                goal=productivity_goal,
            )
            counts.flags += done.flags_raised
        else:
            await settle_day(session=session, work_date=day, goal=productivity_goal, now=now)
    today_refreshed = await refresh_day(
        session=session,
        work_date=today,
        now=now,
        idle_threshold=idle_threshold,
        goal=productivity_goal,
    )
    counts.flags += today_refreshed.flags_raised
    for day in recent[:-1]:  # the reports of the last finalized days
        await build_reports(session=session, work_date=day, now=now)
    return counts


async def _insert_roles(session: AsyncSession, profile: Profile) -> dict[int, models.Role]:
    rows = [
        models.Role(key=key, name=name, points_per_item=points, expected_per_hour=rate)
        for key, name, points, rate in ROLES[: profile.roles]
    ]
    session.add_all(rows)
    await session.flush()
    return {row.id: row for row in rows}


async def _insert_teams(
    session: AsyncSession, profile: Profile, company_timezone: str
) -> list[models.Team]:
    rows = [
        models.Team(
            key=f"team-{n + 1:02d}",
            name=TEAM_NAMES[n % len(TEAM_NAMES)],
            timezone=OTHER_TIMEZONES[n % 2] if n % 5 == 4 else company_timezone,
        )
        for n in range(profile.teams)
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def _insert_employees(
    session: AsyncSession,
    rng: random.Random,
    seed: int,
    profile: Profile,
    teams: Sequence[models.Team],
    role_ids: list[int],
) -> list[tuple[Worker, int]]:
    rows = []
    for n in range(profile.employees):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        rows.append(
            models.Employee(
                code=demo_code(n),
                name=f"{first} {last}",
                email=f"{first}.{last}.{n + 1}@example.com".lower(),
                team_id=teams[n % len(teams)].id,
                default_role_id=rng.choice(role_ids),
                active=rng.random() > 0.03,
            )
        )
    session.add_all(rows)
    await session.flush()
    zones = {team.id: team.timezone for team in teams}
    return [
        (
            worker(
                seed,
                employee_id=row.id,
                code=row.code,
                team_timezone=zones[row.team_id or 0],
                default_role_id=row.default_role_id or role_ids[0],
            ),
            row.team_id or 0,
        )
        for row in rows
        if row.active
    ]


SCHEDULED_SHIFT = timedelta(hours=8, minutes=30)
REPORTED_DAYS = 7


class Batch:
    """Rows waiting to be inserted, written in chunks with one multi-row INSERT per table."""

    def __init__(
        self, session: AsyncSession, counts: SeedCounts, standards: StandardSet | None
    ) -> None:
        """``standards``: what the days it scores are scored with (None: it scores none)."""
        self.session = session
        self.counts = counts
        self.standards = standards
        self.rows: dict[type[Any], list[dict[str, Any]]] = {
            models.ClockRecord: [], models.ClockBreak: [], models.Activity: [],
            models.DailyScore: [], models.IdlePeriod: [], models.ScheduledShift: [],
        }  # fmt: skip

    def add_day(
        self,
        clock_id: int,
        worker: Worker,
        team_id: int,
        day: date,
        plan: DayPlan,
        now: datetime,
        *,
        final: bool,
        scored: bool = True,
    ) -> None:
        """The day's rows; its score and idle periods too unless not ``scored`` (a refresh
        will score it)."""
        employee_id = worker.employee_id
        self.rows[models.ClockRecord].append(
            {"id": clock_id, "employee_id": employee_id, "clock_in": plan.clock_in,
             "clock_out": plan.clock_out, "work_date": day, "source": "connecteam",
             "created_at": now, "updated_at": now}
        )  # fmt: skip
        planned = plan.clock_in.replace(minute=0, second=0, microsecond=0)  # the rota: on the hour
        self.rows[models.ScheduledShift].append(
            {"employee_id": employee_id, "team_id": team_id, "start": planned,
             "end": planned + SCHEDULED_SHIFT, "work_date": day, "title": "Shift",
             "created_at": now, "updated_at": now}
        )  # fmt: skip
        self.add_breaks(clock_id, plan.breaks)
        self.add_windows(employee_id, day, plan.windows)
        if not scored or self.standards is None:
            return
        score = compute_day(
            work=[WorkSample(role, items, start, end) for role, items, start, end in plan.windows],
            clocks=[ClockSample(plan.clock_in, plan.clock_out, plan.breaks)],
            roles=self.standards.roles,
            now=now,
            idle_threshold=self.standards.idle_threshold,
        )
        self.rows[models.DailyScore].append(
            {"employee_id": employee_id, "team_id": team_id, "work_date": day,
             **score.figures(), "is_final": final, "standard_set_id": self.standards.id,
             "updated_at": now}
        )  # fmt: skip
        self.rows[models.IdlePeriod].extend(
            {"employee_id": employee_id, "work_date": day, "start": start, "end": end,
             "minutes": (end - start) / timedelta(minutes=1)}
            for start, end in score.idle_periods
        )  # fmt: skip

    def add_breaks(self, clock_id: int, breaks: list[tuple[datetime, datetime]]) -> None:
        self.rows[models.ClockBreak].extend(
            {"clock_record_id": clock_id, "start": start, "end": end} for start, end in breaks
        )

    def add_windows(
        self, employee_id: int, day: date, windows: list[tuple[int, int, datetime, datetime]]
    ) -> None:
        self.rows[models.Activity].extend(
            {"employee_id": employee_id, "role_id": role, "items_count": items,
             "window_start": start, "window_end": end, "work_date": day, "source": "scanner",
             "created_at": end}
            for role, items, start, end in windows
        )  # fmt: skip

    async def flush_if_full(self) -> None:
        if len(self.rows[models.Activity]) >= CHUNK_ROWS:
            await self.flush()

    async def flush(self) -> None:
        for model, rows in self.rows.items():
            for start in range(0, len(rows), CHUNK_ROWS):
                await self.session.execute(insert(model), rows[start : start + CHUNK_ROWS])
            self._count(model, len(rows))
            rows.clear()

    def _count(self, model: type[Any], n: int) -> None:
        name = {
            models.Activity: "activities", models.ClockRecord: "clock_records",
            models.DailyScore: "daily_scores", models.IdlePeriod: "idle_periods",
        }.get(model)  # fmt: skip
        if name is not None:
            setattr(self.counts, name, getattr(self.counts, name) + n)
