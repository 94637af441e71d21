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
from resolvers.employees import visible_employee
from schema.activities import ActivityType
from schema.api_keys import ApiKeyType
from schema.clock_records import ClockRecordType
from schema.employees import EmployeeType
from schema.flags import FlagType
from schema.infra.relay import Node, type_name
from schema.roles import RoleType
from schema.teams import TeamType
from schema.users import UserType
from services.errors import BadInput


@dataclass(frozen=True)
class NodeKind:
    node_type: type[Node]
    model: type[Any]
    # The employee whose data a row is: the viewer must be allowed to see them. None for
    # reference data (teams, roles), which every signed-in viewer sees.
    owner: Callable[[Any], int] | None = None
    admin_only: bool = False  # to anyone else, such a node does not exist

    def from_row(self, row: Any) -> Node:
        build: Callable[[Any], Node] = self.node_type.from_row  # type: ignore[attr-defined]
        return build(row)


NODE_KINDS = (
    NodeKind(EmployeeType, models.Employee, owner=lambda row: row.id),
    NodeKind(TeamType, models.Team),
    NodeKind(RoleType, models.Role),
    NodeKind(ActivityType, models.Activity, owner=lambda row: row.employee_id),
    NodeKind(ClockRecordType, models.ClockRecord, owner=lambda row: row.employee_id),
    NodeKind(ApiKeyType, models.ApiKey, admin_only=True),
    NodeKind(FlagType, models.Flag, owner=lambda row: row.employee_id),
    NodeKind(UserType, models.User, admin_only=True),
)
_BY_NAME = {type_name(kind.node_type): kind for kind in NODE_KINDS}


async def resolve_node(info: Info, name: str, db_id: int) -> Node | None:
    kind = _BY_NAME.get(name)
    if kind is None:
        raise BadInput(f"no node type {name!r}")
    viewer = info.context.viewer
    if kind.admin_only and not viewer.is_admin:
        return None
    row = await info.context.loaders.by_id(kind.model).load(db_id)
    if row is None:
        return None
    if kind.owner is not None and await visible_employee(info.context, kind.owner(row)) is None:
        return None  # to this viewer, it does not exist
    return kind.from_row(row)
