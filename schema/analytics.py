"""``analytics``: sums of daily scores per day, week or month, per team or employee."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from db import models
from resolvers import team_stats as team_resolvers
from resolvers.context import Info
from schema.employees import EmployeeType
from schema.infra.cache_control import cached
from schema.infra.numbers import rounded
from schema.infra.permissions import SignedIn
from schema.infra.relay import optional_global_id
from schema.teams import TeamType
from services.analytics import Breakdown, Grouping, Point, Report, period_end
from services.team_stats import percent

# strawberry.enum makes the class itself the GraphQL enum; the alias keeps the *Type name.
strawberry.enum(Grouping, name="AnalyticsGrouping")
AnalyticsGroupingType = Grouping
strawberry.enum(Breakdown, name="AnalyticsBreakdown")
AnalyticsBreakdownType = Breakdown


@strawberry.type(name="AnalyticsPoint")
class AnalyticsPointType:
    period_start: dt.date
    period_end: dt.date
    employee_days: int = strawberry.field(description="Daily scores summed.")
    items_processed: int
    points_earned: float
    earned_minutes: float
    available_minutes: float
    idle_minutes: float
    productivity: float | None = strawberry.field(description="Σ earned / Σ available, percent.")
    utilization: float | None
    team_id: strawberry.Private[int | None]
    employee_id: strawberry.Private[int | None]

    @strawberry.field(description="With breakdown TEAM.")
    async def team(self, info: Info) -> TeamType | None:
        if self.team_id is None:
            return None
        row = await info.context.loaders.by_id(models.Team).load(self.team_id)
        return TeamType.from_row(row) if row else None

    @strawberry.field(description="With breakdown EMPLOYEE.")
    async def employee(self, info: Info) -> EmployeeType | None:
        if self.employee_id is None:
            return None
        row = await info.context.loaders.by_id(models.Employee).load(self.employee_id)
        return EmployeeType.seen_by(row, info.context.viewer) if row else None

    @classmethod
    def of(cls, point: Point, start: dt.date, end: dt.date) -> AnalyticsPointType:
        return cls(
            period_start=start,
            period_end=end,
            employee_days=point.employee_days,
            items_processed=point.items,
            points_earned=round(point.points, 2),
            earned_minutes=round(point.earned_minutes, 2),
            available_minutes=round(point.available_minutes, 2),
            idle_minutes=round(point.idle_minutes, 2),
            productivity=rounded(percent(point.earned_minutes, point.available_minutes)),
            utilization=rounded(percent(point.active_available_minutes, point.available_minutes)),
            team_id=point.team_id,
            employee_id=point.employee_id,
        )


@strawberry.type(name="AnalyticsReport")
class AnalyticsReportType:
    from_: dt.date = strawberry.field(name="from")
    to: dt.date
    group_by: AnalyticsGroupingType
    by: AnalyticsBreakdownType
    totals: AnalyticsPointType = strawberry.field(description="The whole range.")
    series: list[AnalyticsPointType] = strawberry.field(
        description="By period (then team or employee); periods are clipped to the range."
    )

    @classmethod
    def of(
        cls, report: Report, start: dt.date, end: dt.date, grouping: Grouping, by: Breakdown
    ) -> AnalyticsReportType:
        series = []
        for point in report.series:
            assert point.period_start is not None
            first = max(point.period_start, start)
            last = min(period_end(point.period_start, grouping), end)
            series.append(AnalyticsPointType.of(point, first, last))
        return cls(
            from_=start,
            to=end,
            group_by=grouping,
            by=by,
            totals=AnalyticsPointType.of(report.totals, start, end),
            series=series,
        )


FromDate = Annotated[dt.date, strawberry.argument(name="from")]


@strawberry.type
class AnalyticsQueries:
    @strawberry.field(
        description="Sums of daily scores from `from` to `to` (at most 366 days) per day, "
        "week or month, for everyone the viewer may see, a team or an employee; `by` splits "
        "each period per team or employee (at most 5,000 points).",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def analytics(
        self,
        info: Info,
        from_: FromDate,
        to: dt.date,
        team_id: strawberry.ID | None = None,
        employee_id: strawberry.ID | None = None,
        group_by: AnalyticsGroupingType = Grouping.DAY,
        by: AnalyticsBreakdownType = Breakdown.NONE,
    ) -> AnalyticsReportType:
        report = await team_resolvers.analytics_report(
            info.context,
            start=from_,
            end=to,
            team_id=optional_global_id(team_id, TeamType),
            employee_id=optional_global_id(employee_id, EmployeeType),
            grouping=group_by,
            breakdown=by,
        )
        return AnalyticsReportType.of(report, from_, to, group_by, by)
