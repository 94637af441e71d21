"""Teams."""

from __future__ import annotations

import strawberry

from db import models
from schema.infra.relay import Node, global_id


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
