"""The Node registry's machinery: ``node(id:)`` finds a row by the kind its global id names.

Each domain declares its Node types next to them (``NODES`` in ``schema/<domain>.py``: a
``NodeKind`` each, its rows loaded by ``Loaders.by_id(model)`` and built by its
``from_row``); ``schema.build`` collects them into the schema's ``node`` field and types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import strawberry

from resolvers.context import Info
from resolvers.employees import visible_employee
from schema.infra.cache_control import cached
from schema.infra.permissions import SignedIn
from schema.infra.relay import Node, from_global_id, type_name
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


def node_queries(kinds: Iterable[NodeKind]) -> type:
    """The root ``node`` field over these kinds."""
    by_name = {type_name(kind.node_type): kind for kind in kinds}

    @strawberry.type
    class NodeQueries:
        @strawberry.field(
            description="Any object by its global id; null when it does not exist or the "
            "viewer may not see it.",
            permission_classes=[SignedIn],
            directives=cached(300),
        )
        async def node(self, info: Info, id: strawberry.ID) -> Node | None:
            name, db_id = from_global_id(id)
            return await resolve_node(info, by_name, name, db_id)

    return NodeQueries


async def resolve_node(
    info: Info, kinds: Mapping[str, NodeKind], name: str, db_id: int
) -> Node | None:
    kind = kinds.get(name)
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
