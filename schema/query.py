"""The root query type."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from resolvers import employees as employee_resolvers
from resolvers import jobs as job_resolvers
from resolvers import leaderboard as board_resolvers
from resolvers.api_keys import all_api_keys
from resolvers.context import Info
from resolvers.roles import all_roles
from resolvers.teams import all_teams
from schema.api_keys import ApiKeyType
from schema.employees import EmployeeType
from schema.jobs import JobRunType, JobStateType, SystemStatusType
from schema.leaderboard import LeaderboardConnectionType, LeaderboardMetricType
from schema.nodes import resolve_node
from schema.permissions import IsAdmin, SignedIn
from schema.relay import Connection, Edge, Node, connection, expect_global_id, from_global_id
from schema.roles import RoleType
from schema.teams import TeamType
from schema.users import ViewerType
from services.leaderboard import Metric

FromDay = Annotated[dt.date | None, strawberry.argument(name="from")]


@strawberry.type
class Query:
    @strawberry.field(description="Who is asking; anonymous without a valid token.")
    def viewer(self, info: Info) -> ViewerType:
        return ViewerType.of(info.context.viewer)

    @strawberry.field(
        description="Any object by its global id; null when it does not exist or the viewer "
        "may not see it.",
        permission_classes=[SignedIn],
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        name, db_id = from_global_id(id)
        return await resolve_node(info, name, db_id)

    @strawberry.field(
        description="Null when there is none or the viewer may not see it.",
        permission_classes=[SignedIn],
    )
    async def employee(self, info: Info, id: strawberry.ID) -> EmployeeType | None:
        db_id = expect_global_id(id, EmployeeType)
        row = await employee_resolvers.visible_employee(info.context, db_id)
        return EmployeeType.from_row(row) if row else None

    @strawberry.field(
        description="The employees the viewer may see, by name; page size at most 100.",
        permission_classes=[SignedIn],
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
            team_id=expect_global_id(team_id, TeamType) if team_id is not None else None,
            search=search,
            include_inactive=bool(include_inactive),
        )
        edges = [Edge(cursor=c, node=EmployeeType.from_row(row)) for c, row in page.rows]
        return connection(edges, has_next=page.has_next, has_previous=page.has_previous)

    @strawberry.field(
        description="Employees ranked by a metric over a period (default: today's points); "
        "page size at most 100.",
        permission_classes=[SignedIn],
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
            team_id=expect_global_id(team_id, TeamType) if team_id is not None else None,
            metric=metric,
        )
        found = await board_resolvers.leaderboard_page(
            info.context, board, first=first, after=after, last=last, before=before
        )
        return LeaderboardConnectionType.of(found)

    @strawberry.field(permission_classes=[SignedIn])
    async def teams(self, info: Info) -> list[TeamType]:
        return [TeamType.from_row(row) for row in await all_teams(info.context)]

    @strawberry.field(description="Every device key (admins).", permission_classes=[IsAdmin])
    async def api_keys(self, info: Info) -> list[ApiKeyType]:
        return [ApiKeyType.from_row(row) for row in await all_api_keys(info.context)]

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

    @strawberry.field(description="The jobs' state (admins).", permission_classes=[IsAdmin])
    async def system_status(self, info: Info) -> SystemStatusType:
        states = await job_resolvers.job_states(info.context)
        return SystemStatusType(
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

    @strawberry.field(permission_classes=[SignedIn])
    async def roles(self, info: Info) -> list[RoleType]:
        return [RoleType.from_row(row) for row in await all_roles(info.context)]
