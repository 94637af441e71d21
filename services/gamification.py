"""Streaks and badges, settled when a day is finalized.

A **streak** counts consecutive worked days (a final score with clocked time or items) at or
above the productivity goal; days not worked do not break it. ``current`` ends at the
latest finalized day, ``longest`` is the best run ever. Both are recomputed from the whole
finalized history of the employees the day touched, in one statement (gaps and islands: a
running count of missed days numbers the runs), so finalizing a day twice, or days out of
order, gives the same rows.

**Badges** are awarded once each (a unique key per employee and badge; inserting one again
is ignored): FIRST_SHIFT, ITEMS_1K/10K/100K (items over finalized days), STREAK_5/10/30
(longest streak), TOP_OF_TEAM (rank 1 of the team's POINTS board for a finalized day).

**Opting out** (``Employee.leaderboard_opt_out``): on every surface that ranks or rewards
people (leaderboards, a daily report's top performers in GraphQL and CSV, streaks and
badges), an employee who opted out is shown to nobody but admins and themselves
(``shown_by_name``). To everyone else their entry carries nothing that identifies them:
no name, code, email or id, and no employee through which one could be fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Integer, Table, and_, case, cast, delete, func, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from db.models import Badge, DailyScore, Employee, Streak
from services.authentication import Viewer

STREAKS: Table = Streak.__table__  # type: ignore[assignment]
BADGES: Table = Badge.__table__  # type: ignore[assignment]


class BadgeCode(StrEnum):
    FIRST_SHIFT = "FIRST_SHIFT"
    ITEMS_1K = "ITEMS_1K"
    ITEMS_10K = "ITEMS_10K"
    ITEMS_100K = "ITEMS_100K"
    STREAK_5 = "STREAK_5"
    STREAK_10 = "STREAK_10"
    STREAK_30 = "STREAK_30"
    TOP_OF_TEAM = "TOP_OF_TEAM"


ITEM_BADGES = ((1_000, BadgeCode.ITEMS_1K), (10_000, BadgeCode.ITEMS_10K),
               (100_000, BadgeCode.ITEMS_100K))  # fmt: skip
STREAK_BADGES = ((5, BadgeCode.STREAK_5), (10, BadgeCode.STREAK_10), (30, BadgeCode.STREAK_30))

DESCRIPTIONS = {
    BadgeCode.FIRST_SHIFT: "Worked a first finalized day",
    BadgeCode.ITEMS_1K: "1,000 items processed",
    BadgeCode.ITEMS_10K: "10,000 items processed",
    BadgeCode.ITEMS_100K: "100,000 items processed",
    BadgeCode.STREAK_5: "5 worked days in a row at the goal",
    BadgeCode.STREAK_10: "10 worked days in a row at the goal",
    BadgeCode.STREAK_30: "30 worked days in a row at the goal",
    BadgeCode.TOP_OF_TEAM: "First in the team's points for a day",
}


ANONYMOUS_NAME = "Anonymous"


def shown_by_name(viewer: Viewer, *, employee_id: int, opted_out: bool) -> bool:
    """Whether ``viewer`` may learn who this employee is where people are ranked or rewarded:
    anyone who may see the surface, unless the employee opted out; then only admins and the
    employee themself (whatever their role: a manager linked to their own employee record
    too). What it reads of the viewer, its cache scope holds."""
    return not opted_out or viewer.is_admin or employee_id == viewer.employee_id


def named_to(viewer: Viewer, employee: Employee) -> bool:
    """``shown_by_name`` of an employee's row."""
    return shown_by_name(viewer, employee_id=employee.id, opted_out=employee.leaderboard_opt_out)


@dataclass(frozen=True, slots=True)
class Standing:
    employee_id: int
    current: int
    longest: int
    last_worked: date | None
    items_total: int


@dataclass(frozen=True)
class Settled:
    streaks: int  # rows written
    badges: int  # newly awarded


async def settle_day(
    *, session: AsyncSession, work_date: date, goal: float, now: datetime
) -> Settled:
    """Streaks and badges of everyone with a final score on ``work_date``, in the caller's
    transaction: six statements whatever the number of employees (who has a final score
    that day, their history, the day's team leaders, the streaks deleted and inserted, the
    badges inserted)."""
    standings = await _standings(session, work_date, goal)
    if not standings:
        return Settled(0, 0)
    leaders = await _team_leaders(session, work_date)
    ids = [s.employee_id for s in standings]
    await session.execute(delete(STREAKS).where(STREAKS.c.employee_id.in_(ids)))
    await session.execute(
        insert(STREAKS),
        [
            {"employee_id": s.employee_id, "current": s.current, "longest": s.longest,
             "last_worked": s.last_worked, "items_total": s.items_total, "updated_at": now}
            for s in standings
        ],
    )  # fmt: skip
    awards = [
        {"employee_id": employee_id, "badge": badge.value, "work_date": work_date,
         "awarded_at": now}
        for employee_id, badge in sorted(_badges(standings, leaders))
    ]  # fmt: skip
    if not awards:
        return Settled(len(standings), 0)
    statement = insert(BADGES).prefix_with("IGNORE", dialect="mysql")
    result = await session.execute(statement.prefix_with("OR IGNORE", dialect="sqlite"), awards)
    return Settled(len(standings), result.rowcount)  # type: ignore[attr-defined]


def _badges(standings: Sequence[Standing], leaders: set[int]) -> set[tuple[int, BadgeCode]]:
    earned: set[tuple[int, BadgeCode]] = set()
    for s in standings:
        if s.last_worked is not None:
            earned.add((s.employee_id, BadgeCode.FIRST_SHIFT))
        earned |= {(s.employee_id, b) for n, b in ITEM_BADGES if s.items_total >= n}
        earned |= {(s.employee_id, b) for n, b in STREAK_BADGES if s.longest >= n}
    earned |= {(employee_id, BadgeCode.TOP_OF_TEAM) for employee_id in leaders}
    return earned


async def _standings(session: AsyncSession, work_date: date, goal: float) -> list[Standing]:
    s = DailyScore
    touched = select(s.employee_id).where(s.work_date == work_date, s.is_final.is_(True))
    good = case((s.productivity >= goal, 1), else_=0)
    days = (
        select(
            s.employee_id,
            s.work_date,
            s.items_processed.label("item_count"),
            good.label("good"),
            # Runs are numbered by the misses so far: a miss starts a new run (of 0 good days).
            func.sum(1 - good)
            .over(partition_by=s.employee_id, order_by=s.work_date, rows=(None, 0))
            .label("run"),
        )
        .where(
            s.employee_id.in_(touched),
            s.is_final.is_(True),
            or_(s.clocked_minutes > 0, s.items_processed > 0),
        )
        .cte("days")
    )
    runs = (
        select(days.c.employee_id, days.c.run, func.sum(days.c.good).label("length"))
        .group_by(days.c.employee_id, days.c.run)
        .cte("runs")
    )
    totals = (
        select(
            days.c.employee_id,
            func.max(days.c.run).label("last_run"),
            func.max(days.c.work_date).label("last_worked"),
            cast(func.sum(days.c.item_count), Integer).label("items_total"),
        )
        .group_by(days.c.employee_id)
        .cte("totals")
    )
    best = (
        select(runs.c.employee_id, func.max(runs.c.length).label("longest"))
        .group_by(runs.c.employee_id)
        .cte("best")
    )
    last = aliased(runs, name="last_run")
    statement = (
        select(
            totals.c.employee_id,
            last.c.length,
            best.c.longest,
            totals.c.last_worked,
            totals.c.items_total,
        )
        .join(
            last, and_(last.c.employee_id == totals.c.employee_id, last.c.run == totals.c.last_run)
        )
        .join(best, best.c.employee_id == totals.c.employee_id)
    )
    found = {
        row.employee_id: Standing(
            row.employee_id, int(row.length), int(row.longest), row.last_worked,
            int(row.items_total or 0),
        )
        for row in await session.execute(statement)
    }  # fmt: skip
    # Employees whose finalized days include none worked: a row of zeros.
    for employee_id in (await session.scalars(touched)).all():
        found.setdefault(employee_id, Standing(employee_id, 0, 0, None, 0))
    return [found[k] for k in sorted(found)]


async def _team_leaders(session: AsyncSession, work_date: date) -> set[int]:
    """Rank 1 of each team's POINTS board for the day (ties all lead), with points > 0."""
    s, other = DailyScore, aliased(DailyScore)
    best = (
        select(func.max(other.points_earned))
        .where(other.work_date == work_date, other.team_id == s.team_id)
        .scalar_subquery()
    )
    statement = select(s.employee_id).where(
        s.work_date == work_date,
        s.is_final.is_(True),
        s.team_id.is_not(None),
        s.points_earned > 0,
        s.points_earned == best,
    )
    return set((await session.scalars(statement)).all())
