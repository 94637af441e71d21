"""``voidActivity``: an activity stops counting; its day is scored again (admins; audited)."""

from __future__ import annotations

import strawberry

from resolvers import corrections as resolve
from resolvers.context import Info
from schema.activities import ActivityType
from schema.infra.payloads import PayloadErrorType, outcome
from schema.infra.relay import expect_global_id


@strawberry.type(name="ActivityPayload")
class ActivityPayloadType:
    activity: ActivityType | None
    errors: list[PayloadErrorType]


async def void_activity(info: Info, id: strawberry.ID, reason: str) -> ActivityPayloadType:
    activity_id = expect_global_id(id, ActivityType)
    result = await outcome(resolve.void_activity(info.context, activity_id, reason))
    if isinstance(result, list):
        return ActivityPayloadType(activity=None, errors=result)
    return ActivityPayloadType(activity=ActivityType.from_row(result), errors=[])
