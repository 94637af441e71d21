"""Daily reports: a team's finalized day, as it was built."""

from __future__ import annotations

import datetime as dt

import strawberry

from db import models
from resolvers import daily_reports as resolve
from resolvers.context import Info
from schema.employees import EmployeeType
from schema.infra.cache_control import cached
from schema.infra.permissions import SignedIn
from schema.infra.relay import expect_global_id
from schema.team_stats import BottleneckType, TeamStatsType
from schema.teams import TeamType
from services import daily_reports, team_stats
from services.gamification import ANONYMOUS_NAME, named_to


@strawberry.type(name="ReportPerformer", description="One of the day's best, by points.")
class ReportPerformerType:
    rank: int
    items_processed: int
    points_earned: float
    productivity: float | None
    employee_id: strawberry.Private[int]

    @strawberry.field(
        description='The employee\'s name, or "Anonymous" when they opted out of leaderboards '
        "(then their name is shown to admins and themselves only)."
    )
    async def display_name(self, info: Info) -> str:
        row = await self._named(info)
        return row.name if row else ANONYMOUS_NAME

    @strawberry.field(
        description="Null when the employee opted out of leaderboards and the viewer is neither "
        "an admin nor them: the entry then carries nothing that identifies them."
    )
    async def employee(self, info: Info) -> EmployeeType | None:
        row = await self._named(info)
        return EmployeeType.seen_by(row, info.context.viewer) if row else None

    async def _named(self, info: Info) -> models.Employee | None:
        """The performer, if the viewer may know who it is."""
        row = await info.context.loaders.by_id(models.Employee).load(self.employee_id)
        return row if row is not None and named_to(info.context.viewer, row) else None


@strawberry.type(name="FlagCount")
class FlagCountType:
    rule: str
    count: int


@strawberry.type(name="DailyReport", description="Built after finalization, then kept.")
class DailyReportType:
    date: dt.date
    built_at: dt.datetime
    totals: TeamStatsType
    top_performers: list[ReportPerformerType]
    flags: list[FlagCountType] = strawberry.field(description="Raised that day, by rule.")
    row: strawberry.Private[models.DailyReport]

    @strawberry.field(description="Roles under 80% of their expected rate, worst first.")
    async def bottlenecks(self, info: Info) -> list[BottleneckType]:
        kept = self.row.content["bottlenecks"]
        roles = await info.context.loaders.by_id(models.Role).load_many(
            [b["role_id"] for b in kept]
        )
        return [
            BottleneckType.of(
                team_stats.Bottleneck(role, b["items"], b["active_minutes"], b["actual_per_hour"],
                                      b["expected_per_hour"])
            )
            for b, role in zip(kept, roles, strict=True)
            if role is not None
        ]  # fmt: skip

    @classmethod
    def of(cls, team: models.Team, row: models.DailyReport) -> DailyReportType:
        top = row.content["top_performers"]
        return cls(
            date=row.work_date,
            built_at=row.built_at,
            totals=TeamStatsType.of(team, daily_reports.totals_of(row)),
            top_performers=[
                ReportPerformerType(rank=n, items_processed=p["items"], points_earned=p["points"],
                                    productivity=p["productivity"], employee_id=p["employee_id"])
                for n, p in enumerate(top, 1)
            ],
            flags=[FlagCountType(rule=r, count=n) for r, n in row.content["flags"].items()],
            row=row,
        )  # fmt: skip


@strawberry.type
class DailyReportQueries:
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
        team, row = await resolve.daily_report(info.context, chosen, date)
        return DailyReportType.of(team, row) if row is not None else None
