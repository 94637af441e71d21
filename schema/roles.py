"""Roles: activity types with their points and engineered standard."""

from __future__ import annotations

import strawberry

from db import models
from schema.relay import Node, global_id


@strawberry.type(name="Role")
class RoleType(Node):
    key: str
    name: str
    points_per_item: float
    expected_per_hour: float = strawberry.field(
        description="Engineered standard: items per hour of this activity."
    )
    db_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Role) -> RoleType:
        return cls(
            id=global_id(cls, row.id),
            db_id=row.id,
            key=row.key,
            name=row.name,
            points_per_item=row.points_per_item,
            expected_per_hour=row.expected_per_hour,
        )
