"""Jobs as admins see them: their runs and their state; pausing one, and having every day of a
range scored again."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON

from db import models
from resolvers import jobs as resolve
from resolvers import sessions
from resolvers.context import Info
from schema.connecteam import SyncRunType
from schema.infra.payloads import Errors, JobPayloadType, PayloadErrorType, answered
from schema.infra.permissions import IsAdmin
from schema.infra.relay import Connection, connection_of
from services import jobs as job_service
from services.connecteam import runs as sync_runs

FromDate = Annotated[dt.date, strawberry.argument(name="from")]


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


@strawberry.type(name="JobControlPayload")
class JobControlPayloadType:
    job: str
    paused: bool | None
    errors: list[PayloadErrorType]


@strawberry.type
class JobQueries:
    @strawberry.field(
        description="Runs of jobs, newest first (admins).", permission_classes=[IsAdmin]
    )
    async def job_runs(
        self,
        info: Info,
        job: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[JobRunType]:
        page = await sessions.page(
            info.context, job_service.JOB_RUN_ORDER, job_service.list_runs,
            first=first, after=after, job=job,
        )  # fmt: skip
        return connection_of(page, JobRunType.from_row)

    @strawberry.field(description="The jobs' state (admins).", permission_classes=[IsAdmin])
    async def system_status(self, info: Info) -> SystemStatusType:
        states = await sessions.read(info.context, job_service.job_states)
        syncs = await sessions.read(info.context, sync_runs.latest)
        return SystemStatusType(
            connecteam_configured=info.context.settings.connecteam_api_key is not None,
            syncs=[SyncRunType.from_row(row) for row in syncs],
            queue="redis" if info.context.settings.redis_url else "in-process",
            jobs=[
                JobStateType(
                    job=job,
                    paused=paused,
                    last_run=JobRunType.from_row(run) if run is not None else None,
                )
                for job, paused, run in states
            ],
        )


@strawberry.type
class JobMutations:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="Score every day from `from` to `to` again (at most 366 days) in the "
        "worker, finalized days included: they stay final, their streaks, badges and reports "
        "follow.",
    )
    async def recalculate_scores(
        self,
        info: Info,
        from_: FromDate,
        to: dt.date,
        employee_ids: list[strawberry.ID] | None = None,  # a day is refreshed for everyone
    ) -> JobPayloadType:
        return await answered(resolve.recalculate(info.context, from_, to), JobPayloadType.of)

    @strawberry.mutation(permission_classes=[IsAdmin])
    async def set_job_paused(self, info: Info, job: str, paused: bool) -> JobControlPayloadType:
        work = sessions.change(info.context, job_service.set_paused, job=job, paused=paused)

        def payload(row: models.JobControl | None, errors: Errors) -> JobControlPayloadType:
            if row is None:
                return JobControlPayloadType(job=job[:64], paused=None, errors=errors)
            return JobControlPayloadType(job=row.job, paused=row.paused, errors=errors)

        return await answered(work, payload)
