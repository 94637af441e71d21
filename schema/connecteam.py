"""Connecteam as admins see it: users waiting for a mapping and mapping one, the syncs' runs,
and asking for a sync now."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from db import models
from resolvers import connecteam as resolve
from resolvers import sessions
from resolvers.context import Info
from schema.employees import EmployeePayloadType, EmployeeType
from schema.infra.payloads import JobPayloadType, answered
from schema.infra.permissions import IsAdmin
from schema.infra.relay import Connection, connection_of, expect_global_id
from services.connecteam import roster, runs
from services.connecteam.runs import SyncKind

# strawberry.enum makes the class itself the GraphQL enum; the alias keeps the *Type name.
strawberry.enum(SyncKind, name="SyncKind")
SyncKindType = SyncKind


@strawberry.type(
    name="ConnecteamUser",
    description="A Connecteam user no employee could be chosen for automatically.",
)
class ConnecteamUserType:
    user_id: str = strawberry.field(description="Connecteam's id, for `mapEmployee`.")
    full_name: str
    email: str | None
    unmatched: str | None = strawberry.field(
        description="Why: NO_MATCH, SEVERAL_MATCHES (several employees fit) or CONTESTED "
        "(the employee that fits fits another user too)."
    )

    @classmethod
    def from_row(cls, row: models.ConnecteamUser) -> ConnecteamUserType:
        return cls(
            user_id=row.user_id, full_name=row.full_name, email=row.email, unmatched=row.unmatched
        )


@strawberry.type(name="SyncRun", description="One run of a Connecteam sync.")
class SyncRunType:
    kind: SyncKindType
    key: str | None = strawberry.field(
        description="The job's tick (with a backfill chunk's first date): its `jobRuns` entry."
    )
    status: str = strawberry.field(description="QUEUED, RUNNING, SUCCEEDED or FAILED.")
    range_start: dt.date | None = strawberry.field(description="The work dates it read.")
    range_end: dt.date | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    attempts: int = strawberry.field(description="Deliveries so far (a failed one is retried).")
    counts: JSON = strawberry.field(
        description="API calls, shifts or users read, rows created, updated and deleted…"
    )
    error: str | None = strawberry.field(description="Why the last attempt failed.")

    @classmethod
    def from_row(cls, row: models.SyncRun) -> SyncRunType:
        counts: Any = row.counts
        return cls(
            kind=SyncKind(row.kind), key=row.key, status=row.status, range_start=row.range_start,
            range_end=row.range_end, started_at=row.started_at, finished_at=row.finished_at,
            attempts=row.attempts, counts=counts, error=row.error,
        )  # fmt: skip


@strawberry.type
class ConnecteamQueries:
    @strawberry.field(
        description="Connecteam users waiting for `mapEmployee` (admins).",
        permission_classes=[IsAdmin],
    )
    async def unmatched_connecteam_users(self, info: Info) -> list[ConnecteamUserType]:
        rows = await sessions.read(info.context, roster.listed_users)
        return [ConnecteamUserType.from_row(row) for row in rows]

    @strawberry.field(
        description="Runs of the Connecteam syncs, newest first (admins).",
        permission_classes=[IsAdmin],
    )
    async def sync_runs(
        self,
        info: Info,
        kind: SyncKindType | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SyncRunType]:
        page = await sessions.page(
            info.context, runs.SYNC_RUN_ORDER, runs.list_runs,
            first=first, after=after, kind=kind.value if kind else None,
        )  # fmt: skip
        return connection_of(page, SyncRunType.from_row)


@strawberry.type
class ConnecteamMutations:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Sync Connecteam now: USERS (a full run), TIME_CLOCK from `from` to `to` "
        "(default yesterday and today; at most 366 days) or SCHEDULES (default the next 14 "
        "days; at most 92). Refused while one of the kind is queued or running.",
    )
    async def trigger_sync(
        self,
        info: Info,
        kind: SyncKindType,
        from_: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
        to: dt.date | None = None,
    ) -> JobPayloadType:
        return await answered(
            resolve.trigger_sync(info.context, kind, from_, to), JobPayloadType.of
        )

    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="This employee is that Connecteam user from now on (audited).",
    )
    async def map_employee(
        self, info: Info, employee_id: strawberry.ID, connecteam_user_id: str
    ) -> EmployeePayloadType:
        chosen = expect_global_id(employee_id, EmployeeType)
        work = sessions.change(
            info.context, roster.map_employee, employee_id=chosen, user_id=connecteam_user_id
        )
        return await answered(work, EmployeePayloadType.of)
