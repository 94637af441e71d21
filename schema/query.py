"""The root query type."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from resolvers import connecteam as connecteam_resolvers
from resolvers import daily_reports as report_resolvers
from resolvers import employees as employee_resolvers
from resolvers import flags as flag_resolvers
from resolvers import jobs as job_resolvers
from resolvers import leaderboard as board_resolvers
from resolvers import staffing as staffing_resolvers
from resolvers import team_stats as team_resolvers
from resolvers import users as user_resolvers
from resolvers.api_keys import all_api_keys
from resolvers.context import Info
from resolvers.roles import all_roles
from resolvers.teams import all_teams
from schema.analytics import AnalyticsBreakdownType, AnalyticsGroupingType, AnalyticsReportType
from schema.api_keys import ApiKeyType
from schema.connecteam import ConnecteamUserType, SyncKindType, SyncRunType
from schema.daily_reports import DailyReportType
from schema.employees import EmployeeType
from schema.flags import FlagStatusType, FlagType
from schema.infra.cache_control import cached
from schema.infra.permissions import IsAdmin, SignedIn
from schema.infra.relay import (
    Connection,
    Edge,
    Node,
    connection,
    expect_global_id,
    from_global_id,
    optional_global_id,
)
from schema.jobs import JobRunType, JobStateType, SystemStatusType
from schema.leaderboard import LeaderboardConnectionType, LeaderboardMetricType, wanted_of
from schema.nodes import resolve_node
from schema.roles import RoleType
from schema.staffing import ScheduledShiftType, StaffingHourType, StaffingPlanType
from schema.team_stats import (
    BottleneckType,
    CapacityType,
    TeamHealthType,
    TeamMetricsType,
    TeamStatsType,
)
from schema.teams import TeamType
from schema.users import UserType, ViewerType
from services.analytics import Breakdown, Grouping
from services.leaderboard import Metric

FromDay = Annotated[dt.date | None, strawberry.argument(name="from")]
FromDate = Annotated[dt.date, strawberry.argument(name="from")]


@strawberry.type
class Query:
    @strawberry.field(
        description="Who is asking; anonymous without a valid token.",
        directives=cached(300, private=True),
    )
    def viewer(self, info: Info) -> ViewerType:
        return ViewerType.of(info.context.viewer)

    @strawberry.field(
        description="Any object by its global id; null when it does not exist or the viewer "
        "may not see it.",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        name, db_id = from_global_id(id)
        return await resolve_node(info, name, db_id)

    @strawberry.field(
        description="Null when there is none or the viewer may not see it.",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def employee(self, info: Info, id: strawberry.ID) -> EmployeeType | None:
        db_id = expect_global_id(id, EmployeeType)
        row = await employee_resolvers.visible_employee(info.context, db_id)
        return EmployeeType.from_row(row) if row else None

    @strawberry.field(
        description="The employees the viewer may see, by name; page size at most 100.",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def employees(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        team_id: strawberry.ID | None = None,
        search: str | None = None,
        include_inactive: bool | None = None,
    ) -> Connection[EmployeeType]:
        page = await employee_resolvers.employee_page(
            info.context,
            first=first,
            after=after,
            team_id=optional_global_id(team_id, TeamType),
            search=search,
            include_inactive=bool(include_inactive),
        )
        edges = [Edge(cursor=c, node=EmployeeType.from_row(row)) for c, row in page.rows]
        return connection(edges, has_next=page.has_next, has_previous=page.has_previous)

    @strawberry.field(
        description="Flags to review, newest work date first: a team's (teamId) or all the "
        "viewer may see (managers: their teams'; admins: everyone's; employees: their own, "
        "with how they were resolved); page size at most 100.",
        permission_classes=[SignedIn],
        directives=cached(60),
    )
    async def flags(
        self,
        info: Info,
        status: FlagStatusType | None = None,  # type: ignore[valid-type]
        team_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[FlagType]:
        page = await flag_resolvers.flag_page(
            info.context,
            status=status,
            team_id=optional_global_id(team_id, TeamType),
            first=first,
            after=after,
        )
        edges = [Edge(cursor=c, node=FlagType.from_row(row)) for c, row in page.rows]
        return connection(edges, has_next=page.has_next, has_previous=page.has_previous)

    @strawberry.field(
        description="Employees ranked by a metric from `from` to `to` (default: today's "
        "points; with only `from`, from then to today): by POINTS or ITEMS everyone with a "
        "daily score in the period, by PRODUCTIVITY only those with at least 60 available "
        "minutes; page size at most 100.",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def leaderboard(
        self,
        info: Info,
        from_: FromDay = None,
        to: dt.date | None = None,
        team_id: strawberry.ID | None = None,
        metric: LeaderboardMetricType = Metric.POINTS,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> LeaderboardConnectionType:
        board = await board_resolvers.board_of(
            info.context,
            start=from_,
            end=to,
            team_id=optional_global_id(team_id, TeamType),
            metric=metric,
        )
        found = await board_resolvers.leaderboard_page(
            info.context, board, first=first, after=after, last=last, before=before,
            wanted=wanted_of(info),
        )  # fmt: skip
        return LeaderboardConnectionType.of(found, info.context.viewer)

    @strawberry.field(
        description="Each team's day (admins: every team; managers: theirs).",
        permission_classes=[SignedIn],
        directives=cached(60),
    )
    async def team_stats(self, info: Info, date: dt.date) -> list[TeamStatsType]:
        found = await team_resolvers.team_overviews(info.context, date)
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
        team, found = await team_resolvers.metrics(
            info.context, expect_global_id(team_id, TeamType), date
        )
        assert found.capacity is not None and found.health is not None
        return TeamMetricsType(
            overview=TeamStatsType.of(team, found.overview),
            bottlenecks=[BottleneckType.of(b) for b in found.bottlenecks],
            capacity=CapacityType.of(found.capacity),
            health=TeamHealthType.of(found.health),
        )

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
        group_by: AnalyticsGroupingType = Grouping.DAY,  # type: ignore[valid-type]
        by: AnalyticsBreakdownType = Breakdown.NONE,  # type: ignore[valid-type]
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

    @strawberry.field(permission_classes=[SignedIn], directives=cached(300))
    async def teams(self, info: Info) -> list[TeamType]:
        return [TeamType.from_row(row) for row in await all_teams(info.context)]

    @strawberry.field(description="Every device key (admins).", permission_classes=[IsAdmin])
    async def api_keys(self, info: Info) -> list[ApiKeyType]:
        return [ApiKeyType.from_row(row) for row in await all_api_keys(info.context)]

    @strawberry.field(
        description="Everyone who signs in, by email (admins); page size at most 100.",
        permission_classes=[IsAdmin],
    )
    async def users(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[UserType]:
        page = await user_resolvers.user_page(info.context, first, after)
        edges = [Edge(cursor=c, node=UserType.from_row(row)) for c, row in page.rows]
        return connection(edges, has_next=page.has_next, has_previous=page.has_previous)

    @strawberry.field(
        description="Runs of jobs, newest first (admins).", permission_classes=[IsAdmin]
    )
    async def job_runs(
        self,
        info: Info,
        job: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[JobRunType]:
        page = await job_resolvers.job_runs(info.context, job, first, after)
        edges = [Edge(cursor=c, node=JobRunType.from_row(row)) for c, row in page.rows]
        return connection(edges, has_next=page.has_next, has_previous=page.has_previous)

    @strawberry.field(
        description="Connecteam users waiting for `mapEmployee` (admins).",
        permission_classes=[IsAdmin],
    )
    async def unmatched_connecteam_users(self, info: Info) -> list[ConnecteamUserType]:
        rows = await connecteam_resolvers.listed_users(info.context)
        return [ConnecteamUserType.from_row(row) for row in rows]

    @strawberry.field(
        description="A team's scheduled shifts from `from` to `to` (work dates, at most 62 "
        "days), in order of start: every shift to its managers and admins, an employee's own "
        "to them.",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def schedule(
        self, info: Info, team_id: strawberry.ID, from_: FromDate, to: dt.date
    ) -> list[ScheduledShiftType]:
        chosen = expect_global_id(team_id, TeamType)
        rows = await staffing_resolvers.team_schedule(info.context, chosen, from_, to)
        return [ScheduledShiftType.from_row(row) for row in rows]

    @strawberry.field(
        description="A team's day per local hour: forecast items, staff needed at the roles' "
        "expected rates, staff scheduled and the gap (its managers and admins).",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def staffing_plan(
        self, info: Info, team_id: strawberry.ID, date: dt.date
    ) -> StaffingPlanType:
        chosen = expect_global_id(team_id, TeamType)
        hours = await staffing_resolvers.staffing_plan(info.context, chosen, date)
        return StaffingPlanType(date=date, hours=[StaffingHourType.of(h) for h in hours])

    @strawberry.field(
        description="A team's report of a finalized day, built at 18:30 (its managers and "
        "admins); null before. Also as CSV: `GET /reports/daily.csv?teamId=…&date=…`.",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def daily_report(
        self, info: Info, team_id: strawberry.ID, date: dt.date
    ) -> DailyReportType | None:
        chosen = expect_global_id(team_id, TeamType)
        team, row = await report_resolvers.daily_report(info.context, chosen, date)
        return DailyReportType.of(team, row) if row is not None else None

    @strawberry.field(
        description="Runs of the Connecteam syncs, newest first (admins).",
        permission_classes=[IsAdmin],
    )
    async def sync_runs(
        self,
        info: Info,
        kind: SyncKindType | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SyncRunType]:
        page = await connecteam_resolvers.sync_runs(info.context, kind, first, after)
        edges = [Edge(cursor=c, node=SyncRunType.from_row(row)) for c, row in page.rows]
        return connection(edges, has_next=page.has_next, has_previous=page.has_previous)

    @strawberry.field(description="The jobs' state (admins).", permission_classes=[IsAdmin])
    async def system_status(self, info: Info) -> SystemStatusType:
        states = await job_resolvers.job_states(info.context)
        syncs = await connecteam_resolvers.latest_syncs(info.context)
        return SystemStatusType(
            connecteam_configured=info.context.settings.connecteam_api_key is not None,
            syncs=[SyncRunType.from_row(row) for row in syncs],
            queue="redis" if info.context.settings.redis_url else "in-process",
            jobs=[
                JobStateType(
                    job=job,
                    paused=paused,
                    last_run=JobRunType.from_row(run) if run is not None else None,
                )
                for job, paused, run in states
            ],
        )

    @strawberry.field(permission_classes=[SignedIn], directives=cached(300))
    async def roles(self, info: Info) -> list[RoleType]:
        return [RoleType.from_row(row) for row in await all_roles(info.context)]
