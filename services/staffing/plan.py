"""A team's staffing plan for a day, per local hour, in three statements.

- **Forecast items** of an hour: the mean, over the same weekday of the last 4 weeks, of the
  items the team's employees recorded in that local hour (by each activity's start), per role.
  Summed in SQL per role and hour: the hours' bounds are computed here, in the team's zone,
  and handed to the database as a CASE (no timezone function in SQL).
- **Staff needed**: Σ over roles of forecast items / the role's expected items per hour, in
  people for that hour.
- **Staff scheduled**: the people-hours the team's scheduled shifts cover in that hour.
- **Gap**: scheduled - needed (negative: short of people).

A local hour that happens twice (the fall-back day) is forecast from the same hour label.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cache.tags import dated
from db.models import Activity, Employee, Role, ScheduledShift

WEEKS = 4
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class StaffingHour:
    start: datetime  # UTC
    hour: int  # the local hour, 0-23
    forecast_items: float
    staff_needed: float
    staff_scheduled: float

    @property
    def gap(self) -> float:
        return round(self.staff_scheduled - self.staff_needed, 2)


def local_hours(day: date, zone: ZoneInfo) -> list[datetime]:
    """The day's hours as UTC instants (23 or 25 on a DST day)."""
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return [start + n * HOUR for n in range(round((end - start) / HOUR))]


async def staffing_plan(
    *, session: AsyncSession, team_id: int, day: date, timezone: str
) -> list[StaffingHour]:
    zone = ZoneInfo(timezone)
    past = [day - timedelta(weeks=n) for n in range(1, WEEKS + 1)]
    began = Activity.window_start
    label = case(
        *(
            (and_(began >= h, began < h + HOUR), h.astimezone(zone).hour)
            for d in past
            for h in local_hours(d, zone)
        ),
        else_=None,
    ).label("hour")
    recorded = (
        await session.execute(
            dated(
                select(Activity.role_id, label, func.sum(Activity.items_count))
                .join(Employee, Employee.id == Activity.employee_id)
                .where(
                    Employee.team_id == team_id,
                    Activity.work_date.in_(past),
                    Activity.voided_at.is_(None),
                )
                .group_by(Activity.role_id, label),
                "activities",
                past,
            )
        )
    ).all()
    rates = dict((await session.execute(select(Role.id, Role.expected_per_hour))).all())
    hours = local_hours(day, zone)
    shifts = (
        await session.execute(
            dated(
                select(ScheduledShift.start, ScheduledShift.end).where(
                    ScheduledShift.team_id == team_id,
                    ScheduledShift.work_date.between(day - timedelta(days=1), day),
                    ScheduledShift.end > hours[0],
                    ScheduledShift.start < hours[-1] + HOUR,
                ),
                "scheduled_shifts",
                (day - timedelta(days=1), day),
            )
        )
    ).all()
    items: dict[int, float] = defaultdict(float)
    needed: dict[int, float] = defaultdict(float)
    for role_id, hour, total in recorded:
        if hour is None:  # started outside its work date's calendar day
            continue
        mean = float(total) / WEEKS
        items[hour] += mean
        rate = rates.get(role_id) or 0.0
        if rate > 0:
            needed[hour] += mean / rate
    plan = []
    for start in hours:
        end = start + HOUR
        covered = sum(
            max(timedelta(0), min(end, s.end) - max(start, s.start)) / HOUR for s in shifts
        )
        hour = start.astimezone(zone).hour
        plan.append(
            StaffingHour(start, hour, round(items[hour], 2), round(needed[hour], 2),
                         round(covered, 2))
        )  # fmt: skip
    return plan
