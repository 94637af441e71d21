"""``recalculateScores``: refresh every day of a range from its activities and clock records
(admins). The days are refreshed by the worker; final days stay as they were."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from resolvers import jobs as resolve
from resolvers.context import Info
from schema.infra.payloads import PayloadErrorType, outcome

FromDate = Annotated[dt.date, strawberry.argument(name="from")]


@strawberry.type(name="JobPayload")
class JobPayloadType:
    enqueued: int = strawberry.field(
        description="Messages enqueued: one refresh per day, one sync per chunk of 31 days."
    )
    errors: list[PayloadErrorType]
    job: str | None = strawberry.field(default=None, description="The job that will run.")
    tick: str | None = strawberry.field(
        default=None, description="Its tick: what its `jobRuns` and `syncRuns` entries start with."
    )


async def recalculate_scores(
    info: Info,
    from_: FromDate,
    to: dt.date,
    employee_ids: list[strawberry.ID] | None = None,  # a day is refreshed for everyone at once
) -> JobPayloadType:
    result = await outcome(resolve.recalculate(info.context, from_, to))
    if isinstance(result, list):
        return JobPayloadType(enqueued=0, errors=result)
    return JobPayloadType(enqueued=result.enqueued, errors=[], job=result.job, tick=result.tick)
