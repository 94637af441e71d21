"""``correctActivity``: fix an activity's count, role or window; its days are scored again
(admins; audited with the reason)."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers import corrections as resolve
from resolvers.context import Info
from schema.activities import ActivityType
from schema.infra.payloads import outcome
from schema.infra.relay import expect_global_id
from schema.mutations.void_activity import ActivityPayloadType
from services.corrections import ActivityFix


@strawberry.input(name="CorrectActivityInput", description="Fields left out stay as they are.")
class CorrectActivityInputType:
    id: strawberry.ID
    reason: str
    items_count: int | None = None
    role_key: str | None = None
    window_start: dt.datetime | None = None
    window_end: dt.datetime | None = None


async def correct_activity(info: Info, input: CorrectActivityInputType) -> ActivityPayloadType:
    fix = ActivityFix(
        activity_id=expect_global_id(input.id, ActivityType),
        reason=input.reason,
        items_count=input.items_count,
        role_key=input.role_key,
        window_start=input.window_start,
        window_end=input.window_end,
    )
    result = await outcome(resolve.correct_activity(info.context, fix))
    if isinstance(result, list):
        return ActivityPayloadType(activity=None, errors=result)
    return ActivityPayloadType(activity=ActivityType.from_row(result), errors=[])
