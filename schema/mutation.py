"""The root mutation type: every mutation, each from its own module."""

from __future__ import annotations

import strawberry

from schema.mutations.correct_activity import correct_activity
from schema.mutations.correct_clock_record import ClockRecordPayloadType, correct_clock_record
from schema.mutations.create_api_key import CreateApiKeyPayloadType, create_api_key
from schema.mutations.login import LoginPayloadType, login
from schema.mutations.recalculate_scores import JobPayloadType, recalculate_scores
from schema.mutations.record_activities import RecordActivitiesPayloadType, record_activities
from schema.mutations.revoke_api_key import ApiKeyPayloadType, revoke_api_key
from schema.mutations.set_job_paused import JobControlPayloadType, set_job_paused
from schema.mutations.upsert_employee import EmployeePayloadType, upsert_employee
from schema.mutations.upsert_role import RolePayloadType, upsert_role
from schema.mutations.upsert_team import TeamPayloadType, upsert_team
from schema.mutations.void_activity import ActivityPayloadType, void_activity
from schema.permissions import IsAdmin, MayRecordActivities


@strawberry.type
class Mutation:
    login: LoginPayloadType = strawberry.mutation(
        resolver=login, description="A token for `Authorization: Bearer <token>`."
    )
    upsert_team: TeamPayloadType = strawberry.mutation(
        resolver=upsert_team, permission_classes=[IsAdmin]
    )
    upsert_role: RolePayloadType = strawberry.mutation(
        resolver=upsert_role, permission_classes=[IsAdmin]
    )
    upsert_employee: EmployeePayloadType = strawberry.mutation(
        resolver=upsert_employee, permission_classes=[IsAdmin]
    )
    create_api_key: CreateApiKeyPayloadType = strawberry.mutation(
        resolver=create_api_key, permission_classes=[IsAdmin]
    )
    revoke_api_key: ApiKeyPayloadType = strawberry.mutation(
        resolver=revoke_api_key, permission_classes=[IsAdmin]
    )
    record_activities: RecordActivitiesPayloadType = strawberry.mutation(
        resolver=record_activities,
        permission_classes=[MayRecordActivities],
        description="Up to 10,000 activity counts; each invalid item is reported by its index.",
    )
    void_activity: ActivityPayloadType = strawberry.mutation(
        resolver=void_activity, permission_classes=[IsAdmin]
    )
    correct_activity: ActivityPayloadType = strawberry.mutation(
        resolver=correct_activity, permission_classes=[IsAdmin]
    )
    correct_clock_record: ClockRecordPayloadType = strawberry.mutation(
        resolver=correct_clock_record, permission_classes=[IsAdmin]
    )
    recalculate_scores: JobPayloadType = strawberry.mutation(
        resolver=recalculate_scores,
        permission_classes=[IsAdmin],
        description="Refresh every day from `from` to `to` (at most 366 days) in the worker.",
    )
    set_job_paused: JobControlPayloadType = strawberry.mutation(
        resolver=set_job_paused, permission_classes=[IsAdmin]
    )
