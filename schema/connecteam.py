"""Connecteam as admins see it: users waiting for a mapping, and the syncs' runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from db import models
from services.connecteam.runs import SyncKind

SyncKindType = strawberry.enum(SyncKind, name="SyncKind")


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
    kind: SyncKindType  # type: ignore[valid-type]
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
