"""Jobs as admins see them: their runs and their state."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry
from strawberry.scalars import JSON

from db import models
from schema.connecteam import SyncRunType


@strawberry.type(name="JobRun", description="One run of a job for one tick.")
class JobRunType:
    job: str
    tick: str = strawberry.field(
        description="The tick the run is for, what it computes as of: the scheduler's slot in "
        "company time (`2026-11-20T06:05`) or a write's instant in UTC (`…Z`), then the work "
        "date when the job has one. A catch-up run is for a tick long past."
    )
    status: str = strawberry.field(description="SUCCEEDED or FAILED (a failed run is retried).")
    started_at: dt.datetime = strawberry.field(
        description="When the run (its latest attempt) really started, by the wall clock."
    )
    finished_at: dt.datetime | None = strawberry.field(
        description="When it really finished, by the wall clock."
    )
    duration_ms: int | None
    counts: JSON
    error: str | None

    @classmethod
    def from_row(cls, row: models.JobRun) -> JobRunType:
        counts: Any = row.counts
        return cls(
            job=row.job,
            tick=row.tick,
            status=row.status,
            started_at=row.started_at,
            finished_at=row.finished_at,
            duration_ms=row.duration_ms,
            counts=counts,
            error=row.error,
        )


@strawberry.type(name="JobState")
class JobStateType:
    job: str
    paused: bool
    last_run: JobRunType | None


@strawberry.type(name="SystemStatus")
class SystemStatusType:
    queue: str = strawberry.field(description="`redis`, or `in-process` (the embedded default).")
    jobs: list[JobStateType]
    connecteam_configured: bool
    syncs: list[SyncRunType] = strawberry.field(description="The latest run of each sync.")
