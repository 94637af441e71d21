"""API keys of devices (admins only): the list, creating one, revoking one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import strawberry

from db import models
from resolvers import sessions
from resolvers.context import Info
from schema.infra.nodes import NodeKind
from schema.infra.payloads import Errors, PayloadErrorType, answered
from schema.infra.permissions import IsAdmin
from schema.infra.relay import Node, expect_global_id, global_id
from schema.teams import TeamType
from services import api_keys as key_service
from services.api_keys import ApiKeyScope, NewApiKey

# strawberry.enum makes the class itself the GraphQL enum; the alias keeps the *Type name.
strawberry.enum(ApiKeyScope, name="ApiKeyScope")
ApiKeyScopeType = ApiKeyScope


@strawberry.type(name="ApiKey", description="A device's key; its secret is shown only once.")
class ApiKeyType(Node):
    name: str
    scope: ApiKeyScopeType
    created_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None = strawberry.field(
        description="Updated at most once a minute."
    )
    team_id: strawberry.Private[int | None]

    @strawberry.field(
        graphql_type=TeamType | None,
        description="A DISPLAY key's team, whose leaderboard it shows; null for other keys.",
    )
    def team(self, info: Info) -> Any:
        return TeamType.by_id(info, self.team_id)

    @classmethod
    def from_row(cls, row: models.ApiKey) -> ApiKeyType:
        return cls(
            id=global_id(cls, row.id),
            name=row.name,
            scope=ApiKeyScope(row.scope),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
            last_used_at=row.last_used_at,
            team_id=row.team_id,
        )


NODES = (NodeKind(ApiKeyType, models.ApiKey, admin_only=True),)


@strawberry.type(name="CreateApiKeyPayload")
class CreateApiKeyPayloadType:
    api_key: ApiKeyType | None
    secret: str | None = strawberry.field(
        description="Send as `Authorization: Bearer <secret>`. Shown once: store it now."
    )
    errors: list[PayloadErrorType]

    @classmethod
    def of(cls, new: NewApiKey | None, errors: Errors) -> CreateApiKeyPayloadType:
        if new is None:
            return cls(api_key=None, secret=None, errors=errors)
        return cls(api_key=ApiKeyType.from_row(new.row), secret=new.secret, errors=errors)


@strawberry.type(name="ApiKeyPayload")
class ApiKeyPayloadType:
    api_key: ApiKeyType | None
    errors: list[PayloadErrorType]

    @classmethod
    def of(cls, row: models.ApiKey | None, errors: Errors) -> ApiKeyPayloadType:
        return cls(api_key=ApiKeyType.from_row(row) if row else None, errors=errors)


@strawberry.type
class ApiKeyQueries:
    @strawberry.field(description="Every device key (admins).", permission_classes=[IsAdmin])
    async def api_keys(self, info: Info) -> list[ApiKeyType]:
        rows = await sessions.read(info.context, key_service.list_api_keys)
        return [ApiKeyType.from_row(row) for row in rows]


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(
        permission_classes=[IsAdmin],
        description="A device's key (audited). INGEST: `recordActivities` only, no team. "
        "DISPLAY (a floor screen): the leaderboard of `teamId`, which it needs, and nothing else.",
    )
    async def create_api_key(
        self,
        info: Info,
        name: str,
        scope: ApiKeyScopeType,
        team_id: strawberry.ID | None = None,
    ) -> CreateApiKeyPayloadType:
        async def work() -> NewApiKey:
            team = None if team_id is None else expect_global_id(team_id, TeamType, field="teamId")
            return await sessions.change(
                info.context, key_service.create_api_key,
                name=name, scope=ApiKeyScope(scope), team_id=team,
            )  # fmt: skip

        return await answered(work(), CreateApiKeyPayloadType.of)

    @strawberry.mutation(permission_classes=[IsAdmin])
    async def revoke_api_key(self, info: Info, id: strawberry.ID) -> ApiKeyPayloadType:
        key_id = expect_global_id(id, ApiKeyType)
        ctx = info.context
        work = sessions.change(ctx, key_service.revoke_api_key, key_id=key_id, now=ctx.now)
        return await answered(work, ApiKeyPayloadType.of)
