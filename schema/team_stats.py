"""A team's day: the overview (``teamStats``) and the drill-down (``teamMetrics``)."""

from __future__ import annotations

import datetime as dt

import strawberry

from db import models
from resolvers import team_stats as resolve
from resolvers.context import Info
from schema.infra.cache_control import cached
from schema.infra.numbers import rounded
from schema.infra.permissions import SignedIn
from schema.infra.relay import expect_global_id
from schema.roles import RoleType
from schema.teams import TeamType
from services.team_stats import Bottleneck, Capacity, Health, TeamDay


@strawberry.type(name="TeamStats")
class TeamStatsType:
    team: TeamType
    date: dt.date
    headcount: int = strawberry.field(description="Active employees of the team.")
    working: int = strawberry.field(description="Employees with a score that day.")
    clocked_in_now: int
    items_processed: int
    points_earned: float
    earned_minutes: float
    available_minutes: float
    idle_minutes: float
    productivity: float | None = strawberry.field(description="Σ earned / Σ available, percent.")
    utilization: float | None = strawberry.field(
        description="Σ active time inside available time / Σ available, percent."
    )
    open_flags: int

    @classmethod
    def of(cls, team: models.Team, day: TeamDay) -> TeamStatsType:
        return cls(
            team=TeamType.from_row(team),
            date=day.work_date,
            headcount=day.headcount,
            working=day.working,
            clocked_in_now=day.clocked_in_now,
            items_processed=day.items,
            points_earned=round(day.points, 2),
            earned_minutes=round(day.earned_minutes, 2),
            available_minutes=round(day.available_minutes, 2),
            idle_minutes=round(day.idle_minutes, 2),
            productivity=rounded(day.productivity),
            utilization=rounded(day.utilization),
            open_flags=day.open_flags,
        )


@strawberry.type(name="Bottleneck", description="A role under 80% of its expected rate.")
class BottleneckType:
    role: RoleType
    items_processed: int
    active_minutes: float = strawberry.field(description="The union of the role's windows.")
    actual_per_hour: float
    expected_per_hour: float
    rate_percent: float = strawberry.field(description="Actual / expected rate, percent.")

    @classmethod
    def of(cls, found: Bottleneck) -> BottleneckType:
        return cls(
            role=RoleType.from_row(found.role),
            items_processed=found.items,
            active_minutes=round(found.active_minutes, 2),
            actual_per_hour=round(found.actual_per_hour, 2),
            expected_per_hour=found.expected_per_hour,
            rate_percent=round(found.ratio * 100, 1),
        )


@strawberry.type(name="Capacity")
class CapacityType:
    scheduled_minutes: float
    clocked_minutes: float
    remaining_scheduled_minutes: float = strawberry.field(
        description="Scheduled time still ahead (after now)."
    )
    items_per_hour: float | None = strawberry.field(description="Items per available hour.")
    projected_items: float | None = strawberry.field(
        description="Items so far plus the current rate over the remaining scheduled time."
    )

    @classmethod
    def of(cls, found: Capacity) -> CapacityType:
        return cls(
            scheduled_minutes=round(found.scheduled_minutes, 2),
            clocked_minutes=round(found.clocked_minutes, 2),
            remaining_scheduled_minutes=round(found.remaining_scheduled_minutes, 2),
            items_per_hour=rounded(found.items_per_hour, 2),
            projected_items=rounded(found.projected_items),
        )


@strawberry.type(
    name="TeamHealth",
    description="0.4·productivity + 0.3·utilization + 0.2·attendance + 0.1·(100 - % of the "
    "day's activities flagged), each capped at 100; a component without data counts 0.",
)
class TeamHealthType:
    score: float
    productivity: float | None
    utilization: float | None
    attendance: float | None = strawberry.field(
        description="Scheduled employees who clocked in, percent (without a schedule: "
        "employees who clocked in of the active headcount)."
    )
    flagged_activities_percent: float | None

    @classmethod
    def of(cls, found: Health) -> TeamHealthType:
        return cls(
            score=round(found.score, 1),
            productivity=rounded(found.productivity),
            utilization=rounded(found.utilization),
            attendance=rounded(found.attendance),
            flagged_activities_percent=rounded(found.flagged_activities),
        )


@strawberry.type(name="TeamMetrics")
class TeamMetricsType:
    overview: TeamStatsType
    bottlenecks: list[BottleneckType] = strawberry.field(description="Worst first.")
    capacity: CapacityType
    health: TeamHealthType


@strawberry.type
class TeamStatsQueries:
    @strawberry.field(
        description="Each team's day (admins: every team; managers: theirs).",
        permission_classes=[SignedIn],
        directives=cached(60),
    )
    async def team_stats(self, info: Info, date: dt.date) -> list[TeamStatsType]:
        found = await resolve.team_overviews(info.context, date)
        return [TeamStatsType.of(team, day) for team, day in found]

    @strawberry.field(
        description="A team's day in depth: overview, bottlenecks, capacity, health "
        "(default: today in the team's timezone).",
        permission_classes=[SignedIn],
        directives=cached(60),
    )
    async def team_metrics(
        self, info: Info, team_id: strawberry.ID, date: dt.date | None = None
    ) -> TeamMetricsType:
        team, found = await resolve.metrics(info.context, expect_global_id(team_id, TeamType), date)
        assert found.capacity is not None and found.health is not None
        return TeamMetricsType(
            overview=TeamStatsType.of(team, found.overview),
            bottlenecks=[BottleneckType.of(b) for b in found.bottlenecks],
            capacity=CapacityType.of(found.capacity),
            health=TeamHealthType.of(found.health),
        )
