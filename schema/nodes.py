"""The one registry of Node types: ``node(id:)``, the schema's types and loading all use it.

Adding a Node type means adding its line here: it is loaded by ``Loaders.by_id(model)`` and
built by its ``from_row``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from db import models
from resolvers.context import Info
from schema.activities import ActivityType
from schema.clock_records import ClockRecordType
from schema.employees import EmployeeType
from schema.relay import Node, type_name
from schema.roles import RoleType
from schema.teams import TeamType
from services.errors import BadInput


@dataclass(frozen=True)
class NodeKind:
    node_type: type[Node]
    model: type[Any]

    def from_row(self, row: Any) -> Node:
        build: Callable[[Any], Node] = self.node_type.from_row  # type: ignore[attr-defined]
        return build(row)


NODE_KINDS = (
    NodeKind(EmployeeType, models.Employee),
    NodeKind(TeamType, models.Team),
    NodeKind(RoleType, models.Role),
    NodeKind(ActivityType, models.Activity),
    NodeKind(ClockRecordType, models.ClockRecord),
)
_BY_NAME = {type_name(kind.node_type): kind for kind in NODE_KINDS}


async def resolve_node(info: Info, name: str, db_id: int) -> Node | None:
    kind = _BY_NAME.get(name)
    if kind is None:
        raise BadInput(f"no node type {name!r}")
    row = await info.context.loaders.by_id(kind.model).load(db_id)
    return kind.from_row(row) if row is not None else None
