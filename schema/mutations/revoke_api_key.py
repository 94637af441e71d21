"""``revokeApiKey``: a device's key stops working at once (admins; audited)."""

from __future__ import annotations

import strawberry

from resolvers import api_keys as resolve
from resolvers.context import Info
from schema.api_keys import ApiKeyType
from schema.infra.payloads import PayloadErrorType, outcome
from schema.infra.relay import expect_global_id


@strawberry.type(name="ApiKeyPayload")
class ApiKeyPayloadType:
    api_key: ApiKeyType | None
    errors: list[PayloadErrorType]


async def revoke_api_key(info: Info, id: strawberry.ID) -> ApiKeyPayloadType:
    key_id = expect_global_id(id, ApiKeyType)
    result = await outcome(resolve.revoke_api_key(info.context, key_id))
    if isinstance(result, list):
        return ApiKeyPayloadType(api_key=None, errors=result)
    return ApiKeyPayloadType(api_key=ApiKeyType.from_row(result), errors=[])
