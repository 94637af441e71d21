"""The root mutation type: every mutation, each from its own module."""

from __future__ import annotations

from typing import Any

import strawberry

from schema.infra.permissions import IsAdmin, MayRecordActivities, SignedIn
from schema.mutations.change_password import change_password
from schema.mutations.correct_activity import correct_activity
from schema.mutations.correct_clock_record import ClockRecordPayloadType, correct_clock_record
from schema.mutations.create_api_key import CreateApiKeyPayloadType, create_api_key
from schema.mutations.create_user import UserPayloadType, create_user
from schema.mutations.login import LoginPayloadType, login
from schema.mutations.map_employee import map_employee
from schema.mutations.recalculate_scores import JobPayloadType, recalculate_scores
from schema.mutations.record_activities import RecordActivitiesPayloadType, record_activities
from schema.mutations.resolve_flag import FlagPayloadType, resolve_flag
from schema.mutations.revoke_api_key import ApiKeyPayloadType, revoke_api_key
from schema.mutations.set_job_paused import JobControlPayloadType, set_job_paused
from schema.mutations.set_leaderboard_opt_out import set_leaderboard_opt_out
from schema.mutations.set_password import set_password
from schema.mutations.trigger_sync import trigger_sync
from schema.mutations.update_user import update_user
from schema.mutations.upsert_employee import EmployeePayloadType, upsert_employee
from schema.mutations.upsert_role import RolePayloadType, upsert_role
from schema.mutations.upsert_team import TeamPayloadType, upsert_team
from schema.mutations.void_activity import ActivityPayloadType, void_activity
from schema.mutations.void_clock_record import void_clock_record


def for_admins(resolver: Any, description: str | None = None) -> Any:
    return strawberry.mutation(
        resolver=resolver, permission_classes=[IsAdmin], description=description
    )


@strawberry.type
class Mutation:
    login: LoginPayloadType = strawberry.mutation(
        resolver=login, description="A token for `Authorization: Bearer <token>`."
    )
    upsert_team: TeamPayloadType = for_admins(upsert_team)
    upsert_role: RolePayloadType = for_admins(upsert_role)
    upsert_employee: EmployeePayloadType = for_admins(upsert_employee)
    create_api_key: CreateApiKeyPayloadType = for_admins(create_api_key)
    revoke_api_key: ApiKeyPayloadType = for_admins(revoke_api_key)
    record_activities: RecordActivitiesPayloadType = strawberry.mutation(
        resolver=record_activities,
        permission_classes=[MayRecordActivities],
        description="Up to 10,000 activity counts; each invalid item is reported by its index.",
    )
    void_activity: ActivityPayloadType = for_admins(void_activity)
    correct_activity: ActivityPayloadType = for_admins(correct_activity)
    correct_clock_record: ClockRecordPayloadType = for_admins(correct_clock_record)
    void_clock_record: ClockRecordPayloadType = for_admins(
        void_clock_record,
        "A wrong clock record stops counting, kept with `voidedAt` (audited with the reason); "
        "its day is scored again, and a Connecteam sync does not bring it back.",
    )
    recalculate_scores: JobPayloadType = for_admins(
        recalculate_scores,
        "Score every day from `from` to `to` again (at most 366 days) in the worker, finalized "
        "days included: they stay final, their streaks, badges and reports follow.",
    )
    set_job_paused: JobControlPayloadType = for_admins(set_job_paused)
    resolve_flag: FlagPayloadType = strawberry.mutation(
        resolver=resolve_flag,
        permission_classes=[SignedIn],
        description="Close an open flag as RESOLVED or DISMISSED, with a note (audited): "
        "admins any flag, managers their teams' (others: FORBIDDEN); the score refresh leaves "
        "it closed.",
    )
    trigger_sync: JobPayloadType = for_admins(
        trigger_sync,
        "Sync Connecteam now: USERS (a full run), TIME_CLOCK from `from` to `to` (default "
        "yesterday and today; at most 366 days) or SCHEDULES (default the next 14 days; at "
        "most 92). Refused while one of the kind is queued or running.",
    )
    map_employee: EmployeePayloadType = for_admins(
        map_employee, "This employee is that Connecteam user from now on (audited)."
    )
    set_leaderboard_opt_out: EmployeePayloadType = strawberry.mutation(
        resolver=set_leaderboard_opt_out,
        permission_classes=[SignedIn],
        description="Whether an employee appears by name on leaderboards: your own choice "
        "(admins: anyone's, with `employeeId`).",
    )
    create_user: UserPayloadType = for_admins(
        create_user, "A user who signs in: an ADMIN, a MANAGER of `teamIds`, or an EMPLOYEE "
        "who is `employeeId` (audited).",
    )  # fmt: skip
    update_user: UserPayloadType = for_admins(
        update_user, "Change a user (audited); a change of role, teams, employee record or "
        "`active` ends their tokens.",
    )  # fmt: skip
    set_password: UserPayloadType = for_admins(
        set_password, "Give a user a new password (audited); their tokens end."
    )
    change_password: UserPayloadType = strawberry.mutation(
        resolver=change_password,
        permission_classes=[SignedIn],
        description="Your new password, given your current one (audited). Every token of "
        "yours ends with it, this one too: sign in again.",
    )
