"""Relay conventions: the ``Node`` interface, opaque global ids, cursor connections."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Generic, TypeVar

import strawberry

from services.errors import BadInput

T = TypeVar("T")


@strawberry.interface(description="An object with a global id, fetchable with `node(id:)`.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo


def connection(edges: list[Edge[T]], *, has_next: bool, has_previous: bool) -> Connection[T]:
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


def type_name(node_type: type[Any]) -> str:
    """The GraphQL name of a Strawberry type (``EmployeeType`` is ``Employee``)."""
    return node_type.__strawberry_definition__.name  # type: ignore[no-any-return]


def global_id(node_type: type[Any], db_id: int) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name(node_type)}:{db_id}".encode()).decode())


def from_global_id(value: str) -> tuple[str, int]:
    """``(type name, database id)``; a clear BAD_USER_INPUT error when it is not one of ours."""
    try:
        name, _, raw_id = base64.b64decode(value, validate=True).decode().partition(":")
        db_id = int(raw_id)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadInput(f"malformed id {value!r}") from None
    if not name or db_id < 1:
        raise BadInput(f"malformed id {value!r}")
    return name, db_id


def expect_global_id(value: str, node_type: type[Any]) -> int:
    found, db_id = from_global_id(value)
    if found != type_name(node_type):
        raise BadInput(f"id {value!r} is of type {found}, expected {type_name(node_type)}")
    return db_id
