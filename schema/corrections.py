"""Corrections by admins, audited with their reason, the days they touch scored again:
voiding or fixing an activity (``voidActivity``, ``correctActivity``), adding, fixing or voiding
a clock record and its breaks (``correctClockRecord``, ``voidClockRecord``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable

import strawberry

from db import models
from resolvers import corrections as resolve
from resolvers.context import Info
from schema.activities import ActivityType
from schema.clock_records import BreakInputType, ClockRecordType
from schema.infra.payloads import Errors, PayloadErrorType, answered
from schema.infra.permissions import IsAdmin
from schema.infra.relay import expect_global_id, global_id, optional_global_id
from services.corrections import ActivityFix, ClockFix, Overlaps
from services.errors import Conflict


@strawberry.type(name="ActivityPayload")
class ActivityPayloadType:
    activity: ActivityType | None
    errors: list[PayloadErrorType]

    @classmethod
    def of(cls, row: models.Activity | None, errors: Errors) -> ActivityPayloadType:
        return cls(activity=ActivityType.from_row(row) if row else None, errors=errors)


@strawberry.input(name="CorrectActivityInput", description="Fields left out stay as they are.")
class CorrectActivityInputType:
    id: strawberry.ID
    reason: str
    items_count: int | None = None
    role_key: str | None = None
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None


@strawberry.input(
    name="ClockRecordInput",
    description="With `id`: fix that record. Without: add one for `employeeCode`.",
)
class ClockRecordInputType:
    reason: str
    clock_in: dt.datetime
    clock_out: dt.datetime | None = None
    id: strawberry.ID | None = None
    employee_code: str | None = None
    breaks: list[BreakInputType] | None = strawberry.field(
        default=None,
        description="The record's breaks, each inside it, none overlapping another: given, "
        "they replace its breaks (an empty list: none); omitted, its breaks stay.",
    )


@strawberry.type(name="ClockRecordPayload")
class ClockRecordPayloadType:
    clock_record: ClockRecordType | None
    errors: list[PayloadErrorType]

    @classmethod
    def of(cls, row: models.ClockRecord | None, errors: Errors) -> ClockRecordPayloadType:
        return cls(clock_record=ClockRecordType.from_row(row) if row else None, errors=errors)


@strawberry.type
class CorrectionMutations:
    @strawberry.mutation(permission_classes=[IsAdmin])
    async def void_activity(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> ActivityPayloadType:
        """An activity stops counting; its day is scored again."""
        activity_id = expect_global_id(id, ActivityType)
        work = resolve.void_activity(info.context, activity_id, reason)
        return await answered(work, ActivityPayloadType.of)

    @strawberry.mutation(permission_classes=[IsAdmin])
    async def correct_activity(
        self, info: Info, input: CorrectActivityInputType
    ) -> ActivityPayloadType:
        """Fix an activity's count, role or window; its days are scored again."""
        fix = ActivityFix(
            activity_id=expect_global_id(input.id, ActivityType),
            reason=input.reason,
            items_count=input.items_count,
            role_key=input.role_key,
            window_start=input.window_start,
            window_end=input.window_end,
        )
        return await answered(resolve.correct_activity(info.context, fix), ActivityPayloadType.of)

    @strawberry.mutation(permission_classes=[IsAdmin])
    async def correct_clock_record(
        self, info: Info, input: ClockRecordInputType
    ) -> ClockRecordPayloadType:
        """Add a clock record or fix one, its breaks too; activities around it are dated again
        and the days it touches scored again."""
        fix = ClockFix(
            reason=input.reason,
            clock_in=input.clock_in,
            clock_out=input.clock_out,
            record_id=optional_global_id(input.id, ClockRecordType),
            employee_code=input.employee_code,
            breaks=None if input.breaks is None else [(b.start, b.end) for b in input.breaks],
        )
        work = _naming_the_other(resolve.correct_clock_record(info.context, fix))
        return await answered(work, ClockRecordPayloadType.of)

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="A wrong clock record stops counting, kept with `voidedAt` (audited with "
        "the reason); its day is scored again, and a Connecteam sync does not bring it back.",
    )
    async def void_clock_record(
        self, info: Info, id: strawberry.ID, reason: str
    ) -> ClockRecordPayloadType:
        record_id = expect_global_id(id, ClockRecordType)
        work = resolve.void_clock_record(info.context, record_id, reason)
        return await answered(work, ClockRecordPayloadType.of)


async def _naming_the_other(work: Awaitable[models.ClockRecord]) -> models.ClockRecord:
    """An overlap names the other record by the id clients know it by."""
    try:
        return await work
    except Overlaps as clash:
        shown = global_id(ClockRecordType, clash.other)
        raise Conflict(Overlaps.naming(shown), field=clash.field) from None
