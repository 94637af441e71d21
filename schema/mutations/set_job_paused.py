"""``setJobPaused``: pause or resume a periodic job (admins; audited)."""

from __future__ import annotations

import strawberry

from resolvers import jobs as resolve
from resolvers.context import Info
from schema.infra.payloads import PayloadErrorType, outcome


@strawberry.type(name="JobControlPayload")
class JobControlPayloadType:
    job: str
    paused: bool | None
    errors: list[PayloadErrorType]


async def set_job_paused(info: Info, job: str, paused: bool) -> JobControlPayloadType:
    result = await outcome(resolve.set_paused(info.context, job, paused))
    if isinstance(result, list):
        return JobControlPayloadType(job=job[:64], paused=None, errors=result)
    return JobControlPayloadType(job=result.job, paused=result.paused, errors=[])
