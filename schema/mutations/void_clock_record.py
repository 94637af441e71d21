"""``voidClockRecord``: a wrong clock record stops counting, kept with when and why; the
activities it held are dated again and its day scored again (admins; audited with the reason).
A voided Connecteam record stays void: the sync does not bring the shift back."""

from __future__ import annotations

import strawberry

from resolvers import corrections as resolve
from resolvers.context import Info
from schema.clock_records import ClockRecordType
from schema.infra.payloads import outcome
from schema.infra.relay import expect_global_id
from schema.mutations.correct_clock_record import ClockRecordPayloadType


async def void_clock_record(info: Info, id: strawberry.ID, reason: str) -> ClockRecordPayloadType:
    record_id = expect_global_id(id, ClockRecordType)
    result = await outcome(resolve.void_clock_record(info.context, record_id, reason))
    if isinstance(result, list):
        return ClockRecordPayloadType(clock_record=None, errors=result)
    return ClockRecordPayloadType(clock_record=ClockRecordType.from_row(result), errors=[])
