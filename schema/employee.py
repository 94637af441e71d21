"""The employee node and everything a dashboard or a phone asks about one employee."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from db import models
from resolvers import employees as resolve
from schema.activity import Activity, ClockRecord, RoleTotal
from schema.context import Info
from schema.org import Role, Team
from schema.relay import Connection, Edge, Node, connection, to_global_id
from schema.scores import DailyScore, IdlePeriod

FromDate = Annotated[dt.date, strawberry.argument(name="from")]
FromInstant = Annotated[dt.datetime | None, strawberry.argument(name="from")]


@strawberry.type
class Employee(Node):
    code: str
    name: str
    email: str | None
    active: bool
    db_id: strawberry.Private[int]
    team_id: strawberry.Private[int | None]
    default_role_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Employee) -> Employee:
        return cls(
            id=to_global_id("Employee", row.id),
            db_id=row.id,
            code=row.code,
            name=row.name,
            email=row.email,
            active=row.active,
            team_id=row.team_id,
            default_role_id=row.default_role_id,
        )

    @strawberry.field
    async def team(self, info: Info) -> Team | None:
        if self.team_id is None:
            return None
        row = await info.context.loaders.team_by_id.load(self.team_id)
        return Team.from_row(row) if row else None

    @strawberry.field
    async def default_role(self, info: Info) -> Role | None:
        if self.default_role_id is None:
            return None
        row = await info.context.loaders.role_by_id.load(self.default_role_id)
        return Role.from_row(row) if row else None

    @strawberry.field(description="The day's score; default: today in the team's timezone.")
    async def score(self, info: Info, date: dt.date | None = None) -> DailyScore | None:
        day = await resolve.work_date(info.context, self.team_id, date)
        row = await info.context.loaders.score_by_employee_date.load((self.db_id, day))
        return DailyScore.from_row(row) if row else None

    @strawberry.field
    async def scores(self, info: Info, from_: FromDate, to: dt.date) -> list[DailyScore]:
        start, end = resolve.score_range(from_, to)
        rows = await info.context.loaders.scores_by_employee_range.load((self.db_id, start, end))
        return [DailyScore.from_row(row) for row in rows]

    @strawberry.field
    async def activities(
        self,
        info: Info,
        from_: FromInstant = None,
        to: dt.datetime | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Activity]:
        page = await resolve.activity_page(
            info.context, self.db_id, start=from_, end=to, first=first, after=after
        )
        edges = [Edge(cursor=c, node=Activity.from_row(row)) for c, row in page.rows]
        return connection(edges, has_next=page.has_next, has_previous=page.has_previous)

    @strawberry.field(description="Items and points per role for the day.")
    async def activity_breakdown(self, info: Info, date: dt.date | None = None) -> list[RoleTotal]:
        day = await resolve.work_date(info.context, self.team_id, date)
        rows = await info.context.loaders.role_totals_by_employee_date.load((self.db_id, day))
        return [RoleTotal.from_row(row) for row in rows]

    @strawberry.field
    async def clock_records(self, info: Info, date: dt.date | None = None) -> list[ClockRecord]:
        day = await resolve.work_date(info.context, self.team_id, date)
        rows = await info.context.loaders.clock_records_by_employee_date.load((self.db_id, day))
        return [ClockRecord.from_row(row) for row in rows]

    @strawberry.field
    async def is_clocked_in(self, info: Info) -> bool:
        return await info.context.loaders.open_clock_record_by_employee.load(self.db_id) is not None

    @strawberry.field
    async def idle_periods(self, info: Info, date: dt.date | None = None) -> list[IdlePeriod]:
        day = await resolve.work_date(info.context, self.team_id, date)
        rows = await info.context.loaders.idle_periods_by_employee_date.load((self.db_id, day))
        return [IdlePeriod.from_row(row) for row in rows]
