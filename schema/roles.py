"""Roles: activity types with their points and engineered standard."""

from __future__ import annotations

from functools import lru_cache

import strawberry

from db import models
from schema.infra.relay import Node, global_id


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
        """A role as the API shows it: one object for the same values, however many times a
        response names it (a breakdown names each role once per employee)."""
        return _role_type(row.id, row.key, row.name, row.points_per_item, row.expected_per_hour)


@lru_cache(maxsize=1024)
def _role_type(
    db_id: int, key: str, name: str, points_per_item: float, expected_per_hour: float
) -> RoleType:
    return RoleType(
        id=global_id(RoleType, db_id),
        db_id=db_id,
        key=key,
        name=name,
        points_per_item=points_per_item,
        expected_per_hour=expected_per_hour,
    )
