"""The employee node and everything a dashboard or a phone asks about one employee; the
list; an admin's upsert and anyone's leaderboard choice."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry

from db import models
from loaders.activities import RoleTotalsByEmployeeDateLoader
from loaders.base import MISSING, known
from loaders.clock_records import ClockRecordsByEmployeeDateLoader, OpenClockRecordByEmployeeLoader
from loaders.explanations import ExplanationByEmployeeDateLoader
from loaders.gamification import BadgesByEmployeeLoader, StreakByEmployeeLoader
from loaders.scores import (
    IdlePeriodsByEmployeeDateLoader,
    ScoreByEmployeeDateLoader,
    ScoresByEmployeeRangeLoader,
)
from resolvers import activities as activity_resolvers
from resolvers import employees as resolve
from resolvers import sessions
from resolvers.context import Info
from schema.activities import ActivityType, RoleTotalType
from schema.clock_records import ClockRecordType
from schema.explanations import ScoreExplanationType
from schema.gamification import AchievementType, StreakType
from schema.infra.cache_control import cached
from schema.infra.limits.cost import list_size
from schema.infra.nodes import NodeKind
from schema.infra.payloads import Errors, PayloadErrorType, answered
from schema.infra.permissions import IsAdmin, SignedIn
from schema.infra.relay import (
    Connection,
    Node,
    connection_of,
    expect_global_id,
    global_id,
    optional_global_id,
)
from schema.roles import RoleType
from schema.scores import DailyScoreType, IdlePeriodType
from schema.teams import TeamType
from services import employees as employee_service
from services.authentication import Viewer
from services.errors import Forbidden
from services.gamification import shown_by_name
from services.upserts import Upserted

FromDate = Annotated[dt.date, strawberry.argument(name="from")]
FromInstant = Annotated[dt.datetime | None, strawberry.argument(name="from")]
HIDDEN_PROGRESS = (
    "when the employee opted out of leaderboards and the viewer is neither an admin nor them."
)
# Every field of an employee's own data can be refused for one row of a list the viewer sees
# only partly (a colleague on a leaderboard): so each is nullable, and a refusal is null with
# a FORBIDDEN error at its path, while the rest of the answer stands.
OWN_DATA = "null, with a FORBIDDEN error, when the employee's own data is not the viewer's to see."


@strawberry.type(name="Employee")
class EmployeeType(Node):
    code: str = strawberry.field(description="The badge code; empty when not the viewer's to see.")
    name: str
    email: str | None
    active: bool
    leaderboard_opt_out: bool = strawberry.field(
        description="Whether the employee chose not to appear by name on leaderboards."
    )
    db_id: strawberry.Private[int]
    team_id: strawberry.Private[int | None]
    default_role_id: strawberry.Private[int | None]
    # Whether the viewer may see this employee's own data (scores, activities, clock, ...):
    # not when met on a leaderboard without being theirs to see.
    detailed: strawberry.Private[bool] = True

    @classmethod
    def from_row(cls, row: models.Employee) -> EmployeeType:
        """An employee the viewer may see (``Viewer.may_see_employee``)."""
        return cls(
            id=global_id(cls, row.id),
            db_id=row.id,
            code=row.code,
            name=row.name,
            email=row.email,
            active=row.active,
            leaderboard_opt_out=row.leaderboard_opt_out,
            team_id=row.team_id,
            default_role_id=row.default_role_id,
        )

    @classmethod
    def seen_by(cls, row: models.Employee, viewer: Viewer) -> EmployeeType:
        """An employee met in a list of others (a leaderboard, a report): their own data and
        contact only to a viewer who may see them."""
        shown = cls.from_row(row)
        shown.detailed = viewer.may_see_employee(row.id, row.team_id)
        if not shown.detailed:
            shown.code, shown.email = "", None
        return shown

    def own_data(self) -> None:
        """An employee's own data (scores, activities, clock records) is only for a viewer who
        may see that employee; others meet employees on leaderboards, which show no more.
        (Checked in each such resolver: a permission class costs a wrapper per call.)"""
        if not self.detailed:
            raise Forbidden("this employee's own data is not yours to see")

    @strawberry.field(graphql_type=TeamType | None)
    def team(self, info: Info) -> Any:
        """At once when the request already holds the team (a page loaded it in bulk), else
        through the loader."""
        if self.team_id is None:
            return None
        row = known(info.context.loaders.by_id(models.Team), self.team_id)
        if row is not MISSING:
            return TeamType.from_row(row) if row else None
        return self._team(info, self.team_id)

    @staticmethod
    async def _team(info: Info, team_id: int) -> TeamType | None:
        row = await info.context.loaders.by_id(models.Team).load(team_id)
        return TeamType.from_row(row) if row else None

    @strawberry.field
    async def default_role(self, info: Info) -> RoleType | None:
        if self.default_role_id is None:
            return None
        row = await info.context.loaders.by_id(models.Role).load(self.default_role_id)
        return RoleType.from_row(row) if row else None

    @strawberry.field(
        description=f"The day's score; default: today in the team's timezone; {OWN_DATA}",
        graphql_type=DailyScoreType | None,
    )
    def score(self, info: Info, date: dt.date | None = None) -> Any:
        self.own_data()
        if date is not None:
            row = known(info.context.loaders.of(ScoreByEmployeeDateLoader), (self.db_id, date))
            if row is not MISSING:
                return DailyScoreType.from_row(row) if row else None
        return self._score(info, date)

    async def _score(self, info: Info, date: dt.date | None) -> DailyScoreType | None:
        day = await resolve.work_date(info.context, self.team_id, date)
        row = await info.context.loaders.of(ScoreByEmployeeDateLoader).load((self.db_id, day))
        return DailyScoreType.from_row(row) if row else None

    @strawberry.field(
        description="How the day's score was reached, with the standards it was computed "
        "with; default: today in the team's timezone; null when there is no score that day "
        f"or it was computed before standards were recorded; {OWN_DATA}"
    )
    async def score_explanation(
        self, info: Info, date: dt.date | None = None
    ) -> ScoreExplanationType | None:
        self.own_data()
        day = await resolve.work_date(info.context, self.team_id, date)
        found = await info.context.loaders.of(ExplanationByEmployeeDateLoader).load(
            (self.db_id, day)
        )
        return ScoreExplanationType.of(day, found.explanation, found.agrees) if found else None

    @strawberry.field(
        description=f"Daily scores from `from` to `to`; {OWN_DATA}",
        metadata=list_size(366),  # a range is at most 366 days
    )
    async def scores(self, info: Info, from_: FromDate, to: dt.date) -> list[DailyScoreType] | None:
        self.own_data()
        start, end = resolve.score_range(from_, to)
        rows = await info.context.loaders.of(ScoresByEmployeeRangeLoader).load(
            (self.db_id, start, end)
        )
        return [DailyScoreType.from_row(row) for row in rows]

    @strawberry.field(description=f"Activities, oldest first; {OWN_DATA}")
    async def activities(
        self,
        info: Info,
        from_: FromInstant = None,
        to: dt.datetime | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ActivityType] | None:
        self.own_data()
        page = await activity_resolvers.activity_page(
            info.context, self.db_id, start=from_, end=to, first=first, after=after
        )
        return connection_of(page, ActivityType.from_row)

    @strawberry.field(
        description=f"Items and points per role for the day; {OWN_DATA}",
        graphql_type=list[RoleTotalType] | None,
        metadata=list_size(20),  # roles worked in a day
    )
    def activity_breakdown(self, info: Info, date: dt.date | None = None) -> Any:
        self.own_data()
        if date is not None:
            rows = known(
                info.context.loaders.of(RoleTotalsByEmployeeDateLoader), (self.db_id, date)
            )
            if rows is not MISSING:
                return [RoleTotalType.from_row(row) for row in rows]
        return self._activity_breakdown(info, date)

    async def _activity_breakdown(self, info: Info, date: dt.date | None) -> list[RoleTotalType]:
        day = await resolve.work_date(info.context, self.team_id, date)
        rows = await info.context.loaders.of(RoleTotalsByEmployeeDateLoader).load((self.db_id, day))
        return [RoleTotalType.from_row(row) for row in rows]

    @strawberry.field(description=f"The day's clock records; {OWN_DATA}", metadata=list_size(5))
    async def clock_records(
        self, info: Info, date: dt.date | None = None
    ) -> list[ClockRecordType] | None:
        self.own_data()
        day = await resolve.work_date(info.context, self.team_id, date)
        rows = await info.context.loaders.of(ClockRecordsByEmployeeDateLoader).load(
            (self.db_id, day)
        )
        return [ClockRecordType.from_row(row) for row in rows]

    @strawberry.field(
        description=f"Whether a clock record is open; {OWN_DATA}", directives=cached(60)
    )
    async def is_clocked_in(self, info: Info) -> bool | None:
        self.own_data()
        return (
            await info.context.loaders.of(OpenClockRecordByEmployeeLoader).load(self.db_id)
            is not None
        )

    @strawberry.field(description=f"The day's idle periods; {OWN_DATA}", metadata=list_size(20))
    async def idle_periods(
        self, info: Info, date: dt.date | None = None
    ) -> list[IdlePeriodType] | None:
        self.own_data()
        day = await resolve.work_date(info.context, self.team_id, date)
        rows = await info.context.loaders.of(IdlePeriodsByEmployeeDateLoader).load(
            (self.db_id, day)
        )
        return [IdlePeriodType.from_row(row) for row in rows]

    def _progress_hidden(self, info: Info) -> bool:
        """Streaks and badges rank and reward: ``shown_by_name`` decides who may see them."""
        viewer = info.context.viewer
        return not shown_by_name(viewer, employee_id=self.db_id, opted_out=self.leaderboard_opt_out)

    @strawberry.field(description=f"Null {HIDDEN_PROGRESS} Also {OWN_DATA}")
    async def streak(self, info: Info) -> StreakType | None:
        self.own_data()
        if self._progress_hidden(info):
            return None
        row = await info.context.loaders.of(StreakByEmployeeLoader).load(self.db_id)
        return StreakType.of(row, info.context.settings.productivity_goal)

    @strawberry.field(
        description=f"Badges earned, oldest first; null {HIDDEN_PROGRESS} Also {OWN_DATA}"
    )
    async def achievements(self, info: Info) -> list[AchievementType] | None:
        self.own_data()
        if self._progress_hidden(info):
            return None
        rows = await info.context.loaders.of(BadgesByEmployeeLoader).load(self.db_id)
        return [AchievementType.from_row(row) for row in rows]


NODES = (NodeKind(EmployeeType, models.Employee, owner=lambda row: row.id),)


@strawberry.input(name="EmployeeInput")
class EmployeeInputType:
    code: str = strawberry.field(description="The badge code, unique.")
    name: str
    email: str | None = None
    team_key: str | None = None
    default_role_key: str | None = None
    active: bool = True


@strawberry.type(name="EmployeePayload")
class EmployeePayloadType:
    employee: EmployeeType | None
    created: bool = strawberry.field(description="Whether the code was new.")
    errors: list[PayloadErrorType]

    @classmethod
    def of(cls, row: models.Employee | None, errors: Errors) -> EmployeePayloadType:
        """A change of an employee that exists."""
        return cls(
            employee=EmployeeType.from_row(row) if row else None, created=False, errors=errors
        )

    @classmethod
    def upserted(
        cls, found: Upserted[models.Employee] | None, errors: Errors
    ) -> EmployeePayloadType:
        if found is None:
            return cls.of(None, errors)
        return cls(employee=EmployeeType.from_row(found.row), created=found.created, errors=errors)


@strawberry.type
class EmployeeQueries:
    @strawberry.field(
        description="Null when there is none or the viewer may not see it.",
        permission_classes=[SignedIn],
        directives=cached(300),
    )
    async def employee(self, info: Info, id: strawberry.ID) -> EmployeeType | None:
        db_id = expect_global_id(id, EmployeeType)
        row = await resolve.visible_employee(info.context, db_id)
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
        page = await resolve.employee_page(
            info.context,
            first=first,
            after=after,
            team_id=optional_global_id(team_id, TeamType),
            search=search,
            include_inactive=bool(include_inactive),
        )
        return connection_of(page, EmployeeType.from_row)


@strawberry.type
class EmployeeMutations:
    @strawberry.mutation(permission_classes=[IsAdmin])
    async def upsert_employee(self, info: Info, input: EmployeeInputType) -> EmployeePayloadType:
        employee = employee_service.EmployeeIn(
            code=input.code,
            name=input.name,
            email=input.email,
            team_key=input.team_key,
            default_role_key=input.default_role_key,
            active=input.active,
        )
        work = sessions.change(info.context, employee_service.upsert_employee, employee=employee)
        return await answered(work, EmployeePayloadType.upserted)

    @strawberry.mutation(
        permission_classes=[SignedIn],
        description="Whether an employee appears by name on leaderboards: your own choice "
        "(admins: anyone's, with `employeeId`).",
    )
    async def set_leaderboard_opt_out(
        self, info: Info, opt_out: bool, employee_id: strawberry.ID | None = None
    ) -> EmployeePayloadType:
        chosen = optional_global_id(employee_id, EmployeeType)
        work = resolve.set_leaderboard_opt_out(info.context, chosen, opt_out)
        return await answered(work, EmployeePayloadType.of)
