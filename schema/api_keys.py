"""API keys of devices (admins only)."""

from __future__ import annotations

import datetime as dt

import strawberry

from db import models
from schema.infra.relay import Node, global_id
from services.api_keys import ApiKeyScope

ApiKeyScopeType = strawberry.enum(ApiKeyScope, name="ApiKeyScope")


@strawberry.type(name="ApiKey", description="A device's key; its secret is shown only once.")
class ApiKeyType(Node):
    name: str
    scope: ApiKeyScopeType  # type: ignore[valid-type]
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None = strawberry.field(
        description="Updated at most once a minute."
    )

    @classmethod
    def from_row(cls, row: models.ApiKey) -> ApiKeyType:
        return cls(
            id=global_id(cls, row.id),
            name=row.name,
            scope=ApiKeyScope(row.scope),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
        )
