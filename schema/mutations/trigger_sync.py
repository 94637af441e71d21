"""``triggerSync``: run a Connecteam sync now (admins): a full users sync, or the time clock
over a range (a backfill, in chunks of at most 31 days). Refused while one of the kind is
queued or running."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from resolvers import connecteam as resolve
from resolvers.context import Info
from schema.connecteam import SyncKindType
from schema.infra.payloads import outcome
from schema.mutations.recalculate_scores import JobPayloadType


async def trigger_sync(
    info: Info,
    kind: SyncKindType,  # type: ignore[valid-type]
    from_: Annotated[dt.date | None, strawberry.argument(name="from")] = None,
    to: dt.date | None = None,
) -> JobPayloadType:
    result = await outcome(resolve.trigger_sync(info.context, kind, from_, to))
    if isinstance(result, list):
        return JobPayloadType(enqueued=0, errors=result)
    return JobPayloadType(enqueued=result.enqueued, errors=[], job=result.job, tick=result.tick)
