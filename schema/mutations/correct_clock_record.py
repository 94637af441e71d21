"""``correctClockRecord``: add a clock record or fix one, its breaks too; activities around it
are dated again and the days it touches scored again (admins; audited with the reason)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable

import strawberry

from db.models import ClockRecord
from resolvers import corrections as resolve
from resolvers.context import Info
from schema.clock_records import BreakInputType, ClockRecordType
from schema.infra.payloads import PayloadErrorType, outcome
from schema.infra.relay import global_id, optional_global_id
from services.corrections import ClockFix, Overlaps
from services.errors import Conflict


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


async def correct_clock_record(info: Info, input: ClockRecordInputType) -> ClockRecordPayloadType:
    fix = ClockFix(
        reason=input.reason,
        clock_in=input.clock_in,
        clock_out=input.clock_out,
        record_id=optional_global_id(input.id, ClockRecordType),
        employee_code=input.employee_code,
        breaks=None if input.breaks is None else [(b.start, b.end) for b in input.breaks],
    )
    result = await outcome(_naming_the_other(resolve.correct_clock_record(info.context, fix)))
    if isinstance(result, list):
        return ClockRecordPayloadType(clock_record=None, errors=result)
    return ClockRecordPayloadType(clock_record=ClockRecordType.from_row(result), errors=[])


async def _naming_the_other(work: Awaitable[ClockRecord]) -> ClockRecord:
    """An overlap names the other record by the id clients know it by."""
    try:
        return await work
    except Overlaps as clash:
        shown = global_id(ClockRecordType, clash.other)
        raise Conflict(Overlaps.naming(shown), field=clash.field) from None
