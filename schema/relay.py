"""Relay conventions: the ``Node`` interface, opaque global ids, cursor connections."""

from __future__ import annotations

import base64
import binascii
from typing import Generic, TypeVar

import strawberry

from resolvers.errors import BadInputError

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


def to_global_id(type_name: str, db_id: int) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{db_id}".encode()).decode())


def from_global_id(global_id: str) -> tuple[str, int]:
    """``(type name, database id)``; a clear BAD_USER_INPUT error when it is not one of ours."""
    try:
        type_name, _, raw_id = base64.b64decode(global_id, validate=True).decode().partition(":")
        db_id = int(raw_id)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadInputError(f"malformed id {global_id!r}") from None
    if not type_name or db_id < 1:
        raise BadInputError(f"malformed id {global_id!r}")
    return type_name, db_id


def expect_global_id(global_id: str, type_name: str) -> int:
    found, db_id = from_global_id(global_id)
    if found != type_name:
        raise BadInputError(f"id {global_id!r} is of type {found}, expected {type_name}")
    return db_id
