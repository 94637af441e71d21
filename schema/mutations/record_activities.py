"""``recordActivities``: scanners push activity counts in batches of up to 10,000 (devices with
an INGEST key, and admins). Send the items as a variable: a document stays small."""

from __future__ import annotations

import datetime as dt

import strawberry

from resolvers import activities as resolve
from resolvers.context import Info
from services.activities import ActivityIn


@strawberry.input(name="ActivityInput")
class ActivityInputType:
    employee_code: str
    role_key: str
    items_count: int
    window_start: dt.datetime
    window_end: dt.datetime
    external_ref: str | None = strawberry.field(
        default=None, description="The device's own id for the item: a resubmission is a duplicate."
    )


@strawberry.type(name="ItemError", description="Why the item at `index` was not stored.")
class ItemErrorType:
    index: int
    field: str | None
    code: str
    message: str


@strawberry.type(name="RecordActivitiesPayload")
class RecordActivitiesPayloadType:
    accepted: int = strawberry.field(description="Items stored by this call.")
    duplicates: int = strawberry.field(description="Items whose externalRef was stored before.")
    errors: list[ItemErrorType]


async def record_activities(
    info: Info, input: list[ActivityInputType]
) -> RecordActivitiesPayloadType:
    items = [
        ActivityIn(
            employee_code=item.employee_code,
            role_key=item.role_key,
            items_count=item.items_count,
            window_start=item.window_start,
            window_end=item.window_end,
            external_ref=item.external_ref,
        )
        for item in input
    ]
    recorded = await resolve.record_activities(info.context, items)
    return RecordActivitiesPayloadType(
        accepted=recorded.accepted,
        duplicates=recorded.duplicates,
        errors=[
            ItemErrorType(index=e.index, field=e.field, code=e.code, message=e.message)
            for e in recorded.errors
        ],
    )
