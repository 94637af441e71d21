"""Relay conventions: the ``Node`` interface, opaque global ids, cursor connections."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from resolvers.pagination import Page
from services.errors import BadInput

T = TypeVar("T")
R = TypeVar("R")

MAX_DB_ID = 2**63 - 1  # BIGINT
_GLOBAL_ID = re.compile(r"(?P<type>[A-Za-z][A-Za-z0-9]{0,63}):(?P<id>[1-9][0-9]{0,18})")


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


def connection_of(page: Page[R], node: Callable[[R], T]) -> Connection[T]:
    """A resolver's page as a connection, each row shown as ``node(row)``."""
    edges = [Edge(cursor=cursor, node=node(row)) for cursor, row in page.rows]
    return Connection(edges=edges, page_info=page_info(page, edges))


def page_info(page: Page[Any], edges: list[Any]) -> PageInfo:
    """The page's ``PageInfo``; ``edges`` are its rows as shown, each with its ``cursor``."""
    return PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )


def type_name(node_type: type[Any]) -> str:
    """The GraphQL name of a Strawberry type (``EmployeeType`` is ``Employee``)."""
    return node_type.__strawberry_definition__.name  # type: ignore[no-any-return]


def global_id(node_type: type[Any], db_id: int) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name(node_type)}:{db_id}".encode()).decode())


def from_global_id(value: str) -> tuple[str, int]:
    """``(type name, database id)``; a clear BAD_USER_INPUT error when it is not one of ours:
    exactly ``base64("<TypeName>:<id>")``, the id in ASCII digits and within 64 bits."""
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, ValueError):
        decoded = ""
    match = _GLOBAL_ID.fullmatch(decoded)
    if match is None or int(match["id"]) > MAX_DB_ID:
        raise BadInput(f"malformed id {shown(value)}")
    return match["type"], int(match["id"])


def expect_global_id(value: str, node_type: type[Any], *, field: str | None = None) -> int:
    """The database id of a global id of ``node_type``; ``BadInput`` (at ``field``) if not one."""
    try:
        found, db_id = from_global_id(value)
    except BadInput as malformed:
        raise BadInput(malformed.message, field=field) from None
    if found != type_name(node_type):
        raise BadInput(
            f"id {shown(value)} is of type {found}, expected {type_name(node_type)}", field=field
        )
    return db_id


def optional_global_id(value: str | None, node_type: type[Any]) -> int | None:
    """``expect_global_id`` for an optional argument: None stays None."""
    return None if value is None else expect_global_id(value, node_type)


def shown(value: str, limit: int = 40) -> str:
    """A value as an error message may echo it: quoted, and cut short."""
    return repr(value if len(value) <= limit else value[:limit] + "…")
