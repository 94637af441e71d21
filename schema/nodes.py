"""``node(id:)``: every Node type, found through its by-id loader."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from resolvers.errors import BadInputError
from schema.activity import Activity, ClockRecord
from schema.context import Info
from schema.employee import Employee
from schema.org import Role, Team
from schema.relay import Node

NODE_TYPES: dict[str, tuple[Callable[[Info], Any], Callable[[Any], Node]]] = {
    "Employee": (lambda info: info.context.loaders.employee_by_id, Employee.from_row),
    "Team": (lambda info: info.context.loaders.team_by_id, Team.from_row),
    "Role": (lambda info: info.context.loaders.role_by_id, Role.from_row),
    "Activity": (lambda info: info.context.loaders.activity_by_id, Activity.from_row),
    "ClockRecord": (lambda info: info.context.loaders.clock_record_by_id, ClockRecord.from_row),
}


async def resolve_node(info: Info, type_name: str, db_id: int) -> Node | None:
    if type_name not in NODE_TYPES:
        raise BadInputError(f"no node type {type_name!r}")
    loader_of, to_type = NODE_TYPES[type_name]
    load: Callable[[int], Awaitable[Any]] = loader_of(info).load
    row = await load(db_id)
    return to_type(row) if row is not None else None
