"""What every mutation payload shares: expected failures as typed errors with a stable code."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import strawberry

from services.errors import UserError

T = TypeVar("T")


@strawberry.type(name="PayloadError", description="An expected failure, with a stable code.")
class PayloadErrorType:
    field: str | None = strawberry.field(description="The input field at fault, if one is.")
    code: str
    message: str

    @classmethod
    def of(cls, error: UserError) -> PayloadErrorType:
        return cls(field=error.field, code=error.code, message=error.message)


async def outcome(work: Awaitable[T]) -> T | list[PayloadErrorType]:
    """The result of ``work``, or its expected failure as payload errors (its transaction
    rolled back: nothing is half-written)."""
    try:
        return await work
    except UserError as refused:
        return [PayloadErrorType.of(refused)]
