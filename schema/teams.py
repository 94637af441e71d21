"""Teams: the list, and an admin's upsert."""

from __future__ import annotations

from typing import Any

import strawberry

from db import models
from loaders.base import MISSING, known
from resolvers import sessions
from resolvers.context import Info
from schema.infra.cache_control import cached
from schema.infra.nodes import NodeKind
from schema.infra.payloads import Errors, PayloadErrorType, answered
from schema.infra.permissions import IsAdmin, SignedIn
from schema.infra.relay import Node, global_id
from services import teams as team_service
from services.upserts import Upserted


@strawberry.type(name="Team")
class TeamType(Node):
    key: str
    name: str
    timezone: str
    db_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Team) -> TeamType:
        return cls(
            id=global_id(cls, row.id),
            db_id=row.id,
            key=row.key,
            name=row.name,
            timezone=row.timezone,
        )

    @classmethod
    def by_id(cls, info: Info, team_id: int | None) -> Any:
        """The team of ``team_id`` (None: null): at once when the request holds it already,
        else through the loader (an awaitable)."""
        if team_id is None:
            return None
        row = known(info.context.loaders.by_id(models.Team), team_id)
        if row is not MISSING:
            return cls.from_row(row) if row else None
        return _loaded(cls, info, team_id)


async def _loaded(cls: type[TeamType], info: Info, team_id: int) -> TeamType | None:
    row = await info.context.loaders.by_id(models.Team).load(team_id)
    return cls.from_row(row) if row else None


NODES = (NodeKind(TeamType, models.Team),)


@strawberry.input(name="TeamInput")
class TeamInputType:
    key: str
    name: str
    timezone: str | None = strawberry.field(
        default=None, description="IANA name; default: the company's timezone."
    )


@strawberry.type(name="TeamPayload")
class TeamPayloadType:
    team: TeamType | None
    created: bool = strawberry.field(description="Whether the key was new.")
    errors: list[PayloadErrorType]

    @classmethod
    def of(cls, found: Upserted[models.Team] | None, errors: Errors) -> TeamPayloadType:
        if found is None:
            return cls(team=None, created=False, errors=errors)
        return cls(team=TeamType.from_row(found.row), created=found.created, errors=errors)


@strawberry.type
class TeamQueries:
    @strawberry.field(permission_classes=[SignedIn], directives=cached(300))
    async def teams(self, info: Info) -> list[TeamType]:
        rows = await sessions.listed(info.context, team_service.list_teams, models.Team)
        return [TeamType.from_row(row) for row in rows]


@strawberry.type
class TeamMutations:
    @strawberry.mutation(permission_classes=[IsAdmin])
    async def upsert_team(self, info: Info, input: TeamInputType) -> TeamPayloadType:
        ctx = info.context
        team = team_service.TeamIn(key=input.key, name=input.name, timezone=input.timezone)
        work = sessions.change(
            ctx, team_service.upsert_team, team=team, company_timezone=ctx.settings.timezone
        )
        return await answered(work, TeamPayloadType.of)
