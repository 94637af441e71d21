"""``upsertTeam``: create a team, or change the one with this key (admins; audited)."""

from __future__ import annotations

import strawberry

from resolvers import teams as resolve
from resolvers.context import Info
from schema.infra.payloads import PayloadErrorType, outcome
from schema.teams import TeamType
from services.teams import TeamIn


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


async def upsert_team(info: Info, input: TeamInputType) -> TeamPayloadType:
    team = TeamIn(key=input.key, name=input.name, timezone=input.timezone)
    result = await outcome(resolve.upsert_team(info.context, team))
    if isinstance(result, list):
        return TeamPayloadType(team=None, created=False, errors=result)
    return TeamPayloadType(team=TeamType.from_row(result.row), created=result.created, errors=[])
