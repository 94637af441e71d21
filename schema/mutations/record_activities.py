"""``recordActivities``: scanners push activity counts in batches of up to 10,000 (devices with
an INGEST key, and admins). Send the items as a variable: a document stays small."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from graphql import GraphQLResolveInfo, GraphQLSchema

from resolvers import activities as resolve
from resolvers.context import Context, Info
from schema.infra.permissions import MayRecordActivities
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
    """Declares the field (its arguments, type and permission in the schema); at run time
    ``install_fast_path`` answers it, so through ``build_schema`` this body is never reached."""
    raise RuntimeError("recordActivities is answered by install_fast_path (schema/build.py)")


def install_fast_path(schema: GraphQLSchema) -> None:
    """Answer ``recordActivities`` from graphql-core's coerced input directly.

    graphql-core has already checked every item against ``ActivityInput`` (types, required
    fields, the DateTime scalar) when the resolver runs; Strawberry would then build an
    ``ActivityInputType`` per item and convert each field again, which for 10,000 items costs
    0.3 s of a 0.75 s call (docs/PERFORMANCE.md). The schema, its validation and the
    permission check are the same; only that second conversion is skipped.
    """
    mutation = schema.mutation_type
    assert mutation is not None
    mutation.fields["recordActivities"].resolve = _fast


async def _fast(
    _root: object, info: GraphQLResolveInfo[Any], input: list[dict[str, Any]]
) -> RecordActivitiesPayloadType:
    context: Context = info.context
    MayRecordActivities().has_permission(None, info)  # type: ignore[arg-type]  # raises if not
    items = [
        ActivityIn(
            employee_code=item["employeeCode"],
            role_key=item["roleKey"],
            items_count=item["itemsCount"],
            window_start=item["windowStart"],
            window_end=item["windowEnd"],
            external_ref=item.get("externalRef"),
        )
        for item in input
    ]
    recorded = await resolve.record_activities(context, items)
    return RecordActivitiesPayloadType(
        accepted=recorded.accepted,
        duplicates=recorded.duplicates,
        errors=[
            ItemErrorType(index=e.index, field=e.field, code=e.code, message=e.message)
            for e in recorded.errors
        ],
    )
