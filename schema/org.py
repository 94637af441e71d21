"""Teams and roles."""

from __future__ import annotations

import strawberry

from db import models
from schema.relay import Node, to_global_id


@strawberry.type
class Team(Node):
    key: str
    name: str
    timezone: str
    db_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Team) -> Team:
        return cls(
            id=to_global_id("Team", row.id),
            db_id=row.id,
            key=row.key,
            name=row.name,
            timezone=row.timezone,
        )


@strawberry.type
class Role(Node):
    key: str
    name: str
    points_per_item: float
    expected_per_hour: float = strawberry.field(
        description="Engineered standard: items per hour of this activity."
    )
    db_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Role) -> Role:
        return cls(
            id=to_global_id("Role", row.id),
            db_id=row.id,
            key=row.key,
            name=row.name,
            points_per_item=row.points_per_item,
            expected_per_hour=row.expected_per_hour,
        )
