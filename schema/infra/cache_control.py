"""Cache hints in the manner of Apollo's ``@cacheControl``, and an operation's cache policy.

A field (or an object type, for every field returning it) may carry
``@cacheControl(maxAge: N, scope: PUBLIC | PRIVATE)``. An operation's policy is read from its
document, once per document: its max age is the smallest hint among the fields it selects,
and it is PRIVATE (kept per viewer) if any of them is. A root field without a hint (its own
or its type's) makes the operation uncacheable; deeper fields without one inherit. Mutations
are never cached.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_named_type,
    visit,
)
from strawberry.schema_directive import Location

from cache import Policy


@strawberry.enum(name="CacheControlScope")
class CacheScope(Enum):
    PUBLIC = "PUBLIC"
    PRIVATE = "PRIVATE"


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION, Location.OBJECT],
    name="cacheControl",
    description="How long a response with this field may be cached, and by whom.",
)
class CacheControl:
    max_age: int | None = None
    scope: CacheScope | None = None


def cached(max_age: int, *, private: bool = False) -> list[object]:
    """The ``directives=`` of a field with this hint."""
    return [CacheControl(max_age=max_age, scope=CacheScope.PRIVATE if private else None)]


def _hint(extensions: dict[str, Any] | None) -> CacheControl | None:
    definition = (extensions or {}).get("strawberry-definition")
    for directive in getattr(definition, "directives", None) or []:
        if isinstance(directive, CacheControl):
            return directive
    return None


class _PolicyVisitor(Visitor):
    def __init__(self, type_info: TypeInfo, root: Any) -> None:
        super().__init__()
        self.type_info = type_info
        self.root = root
        self.max_age: int | None = None
        self.private = False
        self.uncacheable = False

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        field = self.type_info.get_field_def()
        if field is None or node.name.value == "__typename":
            return
        returned = get_named_type(field.type)
        hint = _hint(field.extensions) or _hint(getattr(returned, "extensions", None))
        if hint is None or hint.max_age is None:
            if self.type_info.get_parent_type() is self.root:
                self.uncacheable = True
        else:
            self.max_age = hint.max_age if self.max_age is None else min(self.max_age, hint.max_age)
        if hint is not None and hint.scope is CacheScope.PRIVATE:
            self.private = True


def policy_of(
    schema: GraphQLSchema, document: DocumentNode, operation_name: str | None
) -> Policy | None:
    """The operation's policy; None when it may not be cached (or is not one query)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name and o.name.value == operation_name)
    ]
    if len(chosen) != 1 or chosen[0].operation is not OperationType.QUERY:
        return None
    type_info = TypeInfo(schema)
    found = _PolicyVisitor(type_info, schema.query_type)
    visit(document, TypeInfoVisitor(type_info, found))
    if found.uncacheable or not found.max_age:
        return None
    return Policy(max_age=found.max_age, private=found.private)
