"""``resolveFlag``: an admin, or a manager of the flag's team, closes an open flag as RESOLVED
or DISMISSED, with a note (audited). The score refresh leaves a closed flag alone."""

from __future__ import annotations

import strawberry

from resolvers import flags as resolve
from resolvers.context import Info
from schema.flags import FlagResolutionType, FlagType
from schema.infra.payloads import PayloadErrorType, outcome
from schema.infra.relay import expect_global_id


@strawberry.type(name="FlagPayload")
class FlagPayloadType:
    flag: FlagType | None
    errors: list[PayloadErrorType]


async def resolve_flag(
    info: Info,
    id: strawberry.ID,
    resolution: FlagResolutionType,  # type: ignore[valid-type]
    note: str | None = None,
) -> FlagPayloadType:
    flag_id = expect_global_id(id, FlagType)
    result = await outcome(resolve.resolve_flag(info.context, flag_id, resolution, note))
    if isinstance(result, list):
        return FlagPayloadType(flag=None, errors=result)
    return FlagPayloadType(flag=FlagType.from_row(result), errors=[])
