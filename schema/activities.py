"""Activities, and the day's totals per role; scanners recording them (``recordActivities``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from graphql import GraphQLResolveInfo, GraphQLSchema

from db import models
from loaders.activities import RoleTotal
from resolvers import activities as resolve
from resolvers.context import Context, Info
from schema.infra.nodes import NodeKind
from schema.infra.permissions import MayRecordActivities
from schema.infra.relay import Node, global_id
from schema.roles import RoleType
from services.activities import ActivityIn


@strawberry.type(name="Activity")
class ActivityType(Node):
    items_count: int
    window_start: dt.datetime
    window_end: dt.datetime
    work_date: dt.date
    source: str
    external_ref: str | None
    voided_at: dt.datetime | None
    role_id: strawberry.Private[int]

    @strawberry.field
    async def role(self, info: Info) -> RoleType:
        row = await info.context.loaders.by_id(models.Role).load(self.role_id)
        assert row is not None, "activities reference existing roles (foreign key)"
        return RoleType.from_row(row)

    @classmethod
    def from_row(cls, row: models.Activity) -> ActivityType:
        return cls(
            id=global_id(cls, row.id),
            items_count=row.items_count,
            window_start=row.window_start,
            window_end=row.window_end,
            work_date=row.work_date,
            source=row.source,
            external_ref=row.external_ref,
            voided_at=row.voided_at,
            role_id=row.role_id,
        )


@strawberry.type(name="RoleTotal", description="Items and points of one role on one work date.")
class RoleTotalType:
    role: RoleType
    items: int
    activities: int
    points: float
    earned_minutes: float

    @classmethod
    def from_row(cls, row: RoleTotal) -> RoleTotalType:
        return cls(
            role=RoleType.from_row(row.role),
            items=row.items,
            activities=row.activities,
            points=round(row.points, 2),
            earned_minutes=round(row.earned_minutes, 2),
        )


NODES = (NodeKind(ActivityType, models.Activity, owner=lambda row: row.employee_id),)


# ``recordActivities``: scanners push activity counts in batches of up to 10,000 (devices with
# an INGEST key, and admins). Send the items as a variable: a document stays small.


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


@strawberry.type
class ActivityMutations:
    @strawberry.mutation(
        permission_classes=[MayRecordActivities],
        description="Up to 10,000 activity counts; each invalid item is reported by its index.",
    )
    async def record_activities(
        self, info: Info, input: list[ActivityInputType]
    ) -> RecordActivitiesPayloadType:
        """Declares the field (its arguments, type and permission in the schema); at run
        time ``install_fast_path`` answers it, so through ``build_schema`` this body is never
        reached."""
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
