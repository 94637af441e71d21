"""``correctClockRecord``: add a clock record or fix one; activities around it are dated again
and the days it touches scored again (admins; audited with the reason)."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers import corrections as resolve
from resolvers.context import Info
from schema.clock_records import ClockRecordType
from schema.payloads import PayloadErrorType, outcome
from schema.relay import optional_global_id
from services.corrections import ClockFix


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
    )
    result = await outcome(resolve.correct_clock_record(info.context, fix))
    if isinstance(result, list):
        return ClockRecordPayloadType(clock_record=None, errors=result)
    return ClockRecordPayloadType(clock_record=ClockRecordType.from_row(result), errors=[])
