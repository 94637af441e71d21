"""A team's day: the overview every dashboard shows, and the drill-down metrics
(bottlenecks, capacity, health).

The overview of any number of teams is four grouped statements: the day's scores, the active
headcount, who is clocked in now, and the open flags, each ``GROUP BY team_id``. Ratios are
of sums (Σ earned / Σ available), never means of ratios.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Integer, cast, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dated
from db.models import Activity, ClockRecord, DailyScore, Employee, Flag, Role, ScheduledShift
from services.flags import FlagStatus
from services.intervals import Interval, minutes, union
from services.scores import MAX_SHIFT

BOTTLENECK_BELOW = 0.8  # a role is a bottleneck under 80% of its expected rate
WEIGHTS = {"productivity": 0.4, "utilization": 0.3, "attendance": 0.2, "unflagged": 0.1}


def percent(part: float, whole: float) -> float | None:
    return part * 100 / whole if whole else None


@dataclass
class TeamDay:
    team_id: int
    work_date: date
    headcount: int = 0  # active employees of the team
    working: int = 0  # employees with a score that day
    clocked_in_now: int = 0
    items: int = 0
    points: float = 0.0
    earned_minutes: float = 0.0
    available_minutes: float = 0.0
    active_available_minutes: float = 0.0  # active time inside available time
    clocked_minutes: float = 0.0
    idle_minutes: float = 0.0
    open_flags: int = 0

    @property
    def productivity(self) -> float | None:
        return percent(self.earned_minutes, self.available_minutes)

    @property
    def utilization(self) -> float | None:
        return percent(self.active_available_minutes, self.available_minutes)


async def team_days(
    *, session: AsyncSession, team_ids: Sequence[int], work_date: date, now: datetime
) -> list[TeamDay]:
    """The overview of each team in ``team_ids`` for ``work_date``, in that order."""
    days: dict[int | None, TeamDay] = {t: TeamDay(t, work_date) for t in team_ids}
    if not days:
        return []
    s = DailyScore
    scores = (
        select(
            s.team_id,
            func.count(),
            cast(func.sum(s.items_processed), Integer),
            func.sum(s.points_earned),
            func.sum(s.earned_minutes),
            func.sum(s.available_minutes),
            func.sum(func.coalesce(s.utilization, 0) * s.available_minutes / 100),
            func.sum(s.clocked_minutes),
            func.sum(s.idle_minutes),
        )
        .where(s.work_date == work_date, s.team_id.in_(team_ids))
        .group_by(s.team_id)
    )
    for (
        team_id,
        n,
        items,
        points,
        earned,
        available,
        active,
        clocked,
        idle,
    ) in await session.execute(dated(scores, "daily_scores", {work_date})):
        day = days[team_id]
        day.working, day.items, day.points = n, int(items or 0), float(points or 0)
        day.earned_minutes, day.available_minutes = float(earned or 0), float(available or 0)
        day.active_available_minutes, day.clocked_minutes = float(active or 0), float(clocked or 0)
        day.idle_minutes = float(idle or 0)
    headcount = (
        select(Employee.team_id, func.count())
        .where(Employee.team_id.in_(team_ids), Employee.active.is_(True))
        .group_by(Employee.team_id)
    )
    for team_id, n in await session.execute(headcount):
        days[team_id].headcount = n
    clocked_in = (
        select(Employee.team_id, func.count(distinct(ClockRecord.employee_id)))
        .join(Employee, Employee.id == ClockRecord.employee_id)
        .where(
            Employee.team_id.in_(team_ids),
            ClockRecord.clock_out.is_(None),
            ClockRecord.voided_at.is_(None),
            ClockRecord.clock_in <= now,
            ClockRecord.clock_in > now - MAX_SHIFT,  # older ones were forgotten, not worked
        )
        .group_by(Employee.team_id)
    )
    for team_id, n in await session.execute(clocked_in):
        days[team_id].clocked_in_now = n
    flags = (
        select(Flag.team_id, func.count())
        .where(
            Flag.status == FlagStatus.OPEN.value,
            Flag.work_date == work_date,
            Flag.team_id.in_(team_ids),
        )
        .group_by(Flag.team_id)
    )
    for team_id, n in await session.execute(dated(flags, "flags", {work_date})):
        days[team_id].open_flags = n
    return [days[team_id] for team_id in team_ids]


@dataclass(frozen=True)
class Bottleneck:
    role: Role
    items: int
    active_minutes: float
    actual_per_hour: float
    expected_per_hour: float

    @property
    def ratio(self) -> float:
        return self.actual_per_hour / self.expected_per_hour


@dataclass(frozen=True)
class Capacity:
    scheduled_minutes: float
    clocked_minutes: float
    remaining_scheduled_minutes: float
    items_per_hour: float | None  # items per available hour so far
    projected_items: float | None


@dataclass(frozen=True)
class Health:
    productivity: float | None
    utilization: float | None
    attendance: float | None
    flagged_activities: float | None  # percent of the day's activities with a flag
    score: float


@dataclass
class TeamMetrics:
    overview: TeamDay
    bottlenecks: list[Bottleneck] = field(default_factory=list)
    capacity: Capacity | None = None
    health: Health | None = None


async def team_metrics(
    *, session: AsyncSession, team_id: int, work_date: date, now: datetime
) -> TeamMetrics:
    """The overview and its drill-down: nine statements (the overview's four, the day's
    activities, the roles, the schedule, the flagged activities and who clocked)."""
    (overview,) = await team_days(session=session, team_ids=[team_id], work_date=work_date, now=now)
    members = select(Employee.id).where(Employee.team_id == team_id)
    activities = (
        await session.execute(
            dated(
                select(
                    Activity.id,
                    Activity.employee_id,
                    Activity.role_id,
                    Activity.items_count,
                    Activity.window_start,
                    Activity.window_end,
                ).where(
                    Activity.work_date == work_date,
                    Activity.employee_id.in_(members),
                    Activity.voided_at.is_(None),
                ),
                "activities",
                {work_date},
            )
        )
    ).all()
    roles = {
        role.id: role
        for role in (
            await session.scalars(select(Role).where(Role.id.in_({a.role_id for a in activities})))
        ).all()
    }
    shifts = (
        await session.execute(
            dated(
                select(ScheduledShift.employee_id, ScheduledShift.start, ScheduledShift.end).where(
                    ScheduledShift.team_id == team_id, ScheduledShift.work_date == work_date
                ),
                "scheduled_shifts",
                {work_date},
            )
        )
    ).all()
    flagged = set(
        (
            await session.scalars(
                dated(
                    select(Flag.activity_id)
                    .distinct()
                    .where(
                        Flag.team_id == team_id,
                        Flag.work_date == work_date,
                        Flag.activity_id.is_not(None),
                        Flag.status != "DISMISSED",
                    ),
                    "flags",
                    {work_date},
                )
            )
        ).all()
    )
    clocked = set(
        (
            await session.scalars(
                dated(
                    select(ClockRecord.employee_id)
                    .distinct()
                    .where(
                        ClockRecord.work_date == work_date,
                        ClockRecord.employee_id.in_(members),
                        ClockRecord.voided_at.is_(None),
                    ),
                    "clock_records",
                    {work_date},
                )
            )
        ).all()
    )
    found_bottlenecks = bottlenecks(activities, roles)
    capacity = _capacity(overview, [(r.start, r.end) for r in shifts], now)
    scheduled = {r.employee_id for r in shifts if r.employee_id is not None}
    attendance = (
        percent(len(scheduled & clocked), len(scheduled))
        if scheduled
        else percent(len(clocked), overview.headcount)
    )
    flagged_share = percent(len(flagged & {a.id for a in activities}), len(activities))
    return TeamMetrics(
        overview=overview,
        bottlenecks=found_bottlenecks,
        capacity=capacity,
        health=_health(overview, attendance, flagged_share),
    )


def bottlenecks(activities: Sequence[Any], roles: dict[int, Role]) -> list[Bottleneck]:
    """Roles under 80% of their expected rate, worst first. A role's active time is the union
    of its activity windows, per employee (overlapping windows count once)."""
    windows: dict[int, dict[int, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    items: dict[int, int] = defaultdict(int)
    for a in activities:
        windows[a.role_id][a.employee_id].append((a.window_start, a.window_end))
        items[a.role_id] += a.items_count
    found = []
    for role_id, by_employee in windows.items():
        role = roles.get(role_id)
        active = sum(minutes(union(spans)) for spans in by_employee.values())
        if role is None or role.expected_per_hour <= 0 or active <= 0:
            continue
        rate = items[role_id] * 60 / active
        if rate < BOTTLENECK_BELOW * role.expected_per_hour:
            found.append(Bottleneck(role, items[role_id], active, rate, role.expected_per_hour))
    return sorted(found, key=lambda b: (b.ratio, b.role.id))


def _capacity(overview: TeamDay, shifts: Iterable[Interval], now: datetime) -> Capacity:
    shifts = list(shifts)
    scheduled = sum(minutes([s]) for s in shifts)
    remaining = sum(minutes([(max(start, now), end)]) for start, end in shifts if end > now)
    rate = overview.items * 60 / overview.available_minutes if overview.available_minutes else None
    return Capacity(
        scheduled_minutes=scheduled,
        clocked_minutes=overview.clocked_minutes,
        remaining_scheduled_minutes=remaining,
        items_per_hour=rate,
        projected_items=overview.items + rate * remaining / 60 if rate is not None else None,
    )


def _health(overview: TeamDay, attendance: float | None, flagged: float | None) -> Health:
    """0.4·productivity + 0.3·utilization + 0.2·attendance + 0.1·(100 - % flagged), each
    capped at 100; a component without data counts 0 (and flagged without activities 0%)."""
    parts = {
        "productivity": min(overview.productivity or 0.0, 100.0),
        "utilization": min(overview.utilization or 0.0, 100.0),
        "attendance": min(attendance or 0.0, 100.0),
        "unflagged": 100.0 - (flagged or 0.0),
    }
    return Health(
        productivity=overview.productivity,
        utilization=overview.utilization,
        attendance=attendance,
        flagged_activities=flagged,
        score=sum(WEIGHTS[k] * v for k, v in parts.items()),
    )
