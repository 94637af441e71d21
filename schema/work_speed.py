"""Work-speed exports: an employee's own record of how their work was measured, day by day,
for up to 90 days (also as CSV: ``GET /exports/work-speed.csv``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from db import models
from resolvers import work_speed as resolve
from resolvers.context import Info
from schema.employees import EmployeeType
from schema.flags import FlagRuleType, FlagStatusType, FlagType
from schema.infra.limits.cost import list_size
from schema.infra.payloads import Errors, PayloadErrorType, answered
from schema.infra.permissions import SignedIn
from schema.infra.relay import expect_global_id, global_id
from schema.scores import DailyScoreType, IdlePeriodType
from services.errors import BadInput
from services.flags import FlagRule, FlagStatus
from services.work_speed.days import ExportDay, FlagRow, RoleDay, Window
from services.work_speed.requests import MAX_DAYS

FromDate = Annotated[dt.date, strawberry.argument(name="from")]


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@strawberry.type(
    name="WorkSpeedWindow",
    description="A stretch of one role's work: its activities' windows merged where they "
    "overlap or touch, with the items done in it.",
)
class WorkSpeedWindowType:
    start: dt.datetime
    end: dt.datetime
    minutes: float
    items: int
    rate_per_hour: float | None = strawberry.field(description="Items per hour over the window.")

    @classmethod
    def of(cls, w: Window) -> WorkSpeedWindowType:
        return cls(start=w.start, end=w.end, minutes=round(w.minutes, 2), items=w.items,
                   rate_per_hour=_rate(w.rate_per_hour))  # fmt: skip


@strawberry.type(
    name="WorkSpeedRole", description="A role's work on the day, beside the standards applied."
)
class WorkSpeedRoleType:
    key: str
    name: str
    points_per_item: float = strawberry.field(description="The standard applied.")
    expected_per_hour: float = strawberry.field(
        description="The standard applied: items per hour (0: none, so no earned minutes)."
    )
    items: int
    points: float
    earned_minutes: float = strawberry.field(description="The items' time at the standard.")
    active_minutes: float = strawberry.field(description="The windows' length.")
    rate_per_hour: float | None = strawberry.field(
        description="Items per hour of active time: the rate achieved."
    )
    windows: list[WorkSpeedWindowType] = strawberry.field(metadata=list_size(10))

    @classmethod
    def of(cls, r: RoleDay) -> WorkSpeedRoleType:
        s = r.standard
        return cls(
            key=s.key, name=s.name, points_per_item=s.points_per_item,
            expected_per_hour=s.expected_per_hour, items=r.items, points=round(r.points, 2),
            earned_minutes=round(r.earned_minutes, 2), active_minutes=round(r.active_minutes, 2),
            rate_per_hour=_rate(r.rate_per_hour),
            windows=[WorkSpeedWindowType.of(w) for w in r.windows],
        )  # fmt: skip


@strawberry.type(name="WorkSpeedFlag", description="A review flag of the day, and how it ended.")
class WorkSpeedFlagType:
    id: strawberry.ID = strawberry.field(description="The Flag's id.")
    rule: FlagRuleType
    status: FlagStatusType
    details: JSON = strawberry.field(description="What the rule saw (rates, minutes, ids).")
    raised_at: dt.datetime
    resolved_by: str | None = strawberry.field(description="The email of who resolved it.")
    resolved_at: dt.datetime | None
    resolution_note: str | None

    @classmethod
    def of(cls, f: FlagRow) -> WorkSpeedFlagType:
        details: Any = f.details  # the JSON scalar's annotation is not a type mypy knows
        return cls(
            id=global_id(FlagType, f.id), rule=FlagRule(f.rule), status=FlagStatus(f.status),
            details=details, raised_at=f.raised_at, resolved_by=f.resolved_by,
            resolved_at=f.resolved_at, resolution_note=f.resolution_note,
        )  # fmt: skip


@strawberry.type(name="WorkSpeedDay")
class WorkSpeedDayType:
    date: dt.date
    idle_threshold_minutes: float = strawberry.field(
        description="The standard applied: a gap in available time this long or longer is idle."
    )
    productivity_goal: float = strawberry.field(
        description="The standard applied: the productivity (percent) a day aims at."
    )
    score: DailyScoreType | None = strawberry.field(
        description="The day's score as stored; null on a day not scored yet."
    )
    roles: list[WorkSpeedRoleType] = strawberry.field(metadata=list_size(5))
    idle_periods: list[IdlePeriodType] = strawberry.field(metadata=list_size(20))
    flags: list[WorkSpeedFlagType] = strawberry.field(metadata=list_size(10))

    @classmethod
    def of(cls, day: ExportDay) -> WorkSpeedDayType:
        return cls(
            date=day.work_date,
            idle_threshold_minutes=day.idle_threshold_minutes,
            productivity_goal=day.productivity_goal,
            score=DailyScoreType.from_row(day.score) if day.score is not None else None,
            roles=[WorkSpeedRoleType.of(r) for r in day.roles],
            idle_periods=[IdlePeriodType.from_row(p) for p in day.idle_periods],
            flags=[WorkSpeedFlagType.of(f) for f in day.flags],
        )


@strawberry.type(name="WorkSpeedExport")
class WorkSpeedExportType:
    employee: EmployeeType
    from_: dt.date = strawberry.field(name="from")
    to: dt.date
    days: list[WorkSpeedDayType] = strawberry.field(
        description="Each day of the period with a score, work, idle time or flags, in order.",
        metadata=list_size(MAX_DAYS),
    )


@strawberry.type(name="WorkSpeedExportPayload")
class WorkSpeedExportPayloadType:
    export: WorkSpeedExportType | None
    errors: list[PayloadErrorType]

    @classmethod
    def of(cls, export: WorkSpeedExportType | None, errors: Errors) -> WorkSpeedExportPayloadType:
        return cls(export=export, errors=errors)


@strawberry.type
class WorkSpeedQueries:
    @strawberry.field(
        description=f"An employee's work-speed data, day by day, from `from` to `to` (at most "
        f"{MAX_DAYS} days, none after today): per role the items, activity windows, rates and "
        "the standards applied, the day's score, idle periods and flags with their "
        "resolutions. For the employee themselves, their team's managers and admins; every "
        "export is audited. Refusals are payload errors (`FORBIDDEN`, `NOT_FOUND`, "
        "`BAD_USER_INPUT` with the field). Also as CSV: "
        "`GET /exports/work-speed.csv?employeeId=…&from=…&to=…`.",
        permission_classes=[SignedIn],
    )
    async def work_speed_export(
        self, info: Info, employee_id: strawberry.ID, from_: FromDate, to: dt.date
    ) -> WorkSpeedExportPayloadType:
        async def work() -> WorkSpeedExportType:
            try:
                chosen = expect_global_id(employee_id, EmployeeType)
            except BadInput as wrong:
                raise BadInput(wrong.message, field="employeeId") from None
            row, days = await resolve.export(info.context, chosen, from_, to)
            return _export(info, row, from_, to, days)

        return await answered(work(), WorkSpeedExportPayloadType.of)


def _export(
    info: Info, row: models.Employee, first: dt.date, last: dt.date, days: list[ExportDay]
) -> WorkSpeedExportType:
    return WorkSpeedExportType(
        employee=EmployeeType.seen_by(row, info.context.viewer), from_=first, to=last,
        days=[WorkSpeedDayType.of(d) for d in days],
    )  # fmt: skip
