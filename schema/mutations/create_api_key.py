"""``createApiKey``: a key for a device (admins; audited). Its secret is in this payload only."""

from __future__ import annotations

import strawberry

from resolvers import api_keys as resolve
from resolvers.context import Info
from schema.api_keys import ApiKeyScopeType, ApiKeyType
from schema.infra.payloads import PayloadErrorType, outcome
from services.api_keys import ApiKeyScope


@strawberry.type(name="CreateApiKeyPayload")
class CreateApiKeyPayloadType:
    api_key: ApiKeyType | None
    secret: str | None = strawberry.field(
        description="Send as `Authorization: Bearer <secret>`. Shown once: store it now."
    )
    errors: list[PayloadErrorType]


async def create_api_key(
    info: Info,
    name: str,
    scope: ApiKeyScopeType,  # type: ignore[valid-type]
) -> CreateApiKeyPayloadType:
    result = await outcome(resolve.create_api_key(info.context, name, ApiKeyScope(scope)))
    if isinstance(result, list):
        return CreateApiKeyPayloadType(api_key=None, secret=None, errors=result)
    return CreateApiKeyPayloadType(
        api_key=ApiKeyType.from_row(result.row), secret=result.secret, errors=[]
    )
