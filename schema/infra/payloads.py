"""What mutation payloads share: expected failures as typed errors with a stable code, and
building a payload from a result or from such a failure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

import strawberry

from services.errors import UserError

T = TypeVar("T")
P = TypeVar("P")


@strawberry.type(name="PayloadError", description="An expected failure, with a stable code.")
class PayloadErrorType:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: str
    message: str

    @classmethod
    def of(cls, error: UserError) -> PayloadErrorType:
        return cls(field=error.field, code=error.code, message=error.message)


Errors = list[PayloadErrorType]


async def answered(work: Awaitable[T], payload: Callable[[T | None, Errors], P]) -> P:
    """``payload(result, [])`` of what ``work`` returns; or, when it fails as expected (its
    transaction rolled back: nothing is half-written), ``payload(None, errors)``. Each payload
    type's ``of`` is such a ``payload``."""
    try:
        result = await work
    except UserError as refused:
        return payload(None, [PayloadErrorType.of(refused)])
    return payload(result, [])


class Enqueued(Protocol):
    """What a mutation that enqueues a job learns: the job, its tick, how many messages."""

    @property
    def job(self) -> str: ...
    @property
    def tick(self) -> str: ...
    @property
    def enqueued(self) -> int: ...


@strawberry.type(name="JobPayload")
class JobPayloadType:
    # The answer of every mutation that has the worker do something (a recalculation, a
    # sync): what was enqueued.
    enqueued: int = strawberry.field(
        description="Messages enqueued: one refresh per day, one sync per chunk of 31 days."
    )
    errors: list[PayloadErrorType]
    job: str | None = strawberry.field(default=None, description="The job that will run.")
    tick: str | None = strawberry.field(
        default=None, description="Its tick: what its `jobRuns` and `syncRuns` entries start with."
    )

    @classmethod
    def of(cls, sent: Enqueued | None, errors: Errors) -> JobPayloadType:
        if sent is None:
            return cls(enqueued=0, errors=errors)
        return cls(enqueued=sent.enqueued, errors=errors, job=sent.job, tick=sent.tick)
