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
    tick: str
    status: str = strawberry.field(description="SUCCEEDED or FAILED (a failed run is retried).")
    started_at: dt.datetime
    finished_at: dt.datetime | None
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
