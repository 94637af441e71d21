"""What an operation may ask for, checked before it runs.

``CostLimit`` estimates how many fields the response can hold. Every selected field costs 1
for each time it can appear: a field with a ``first`` argument (a connection) multiplies what
is below it by that page size (its value, from the document or the variables; 20 when not
given; at most 100, the largest page resolvers serve); other lists multiply by their expected
length (``LIST_SIZES``). Introspection is not counted: it is off in production, and
GraphiQL's own query must work in development. The probe of issue 8 — 30 aliases x
``employees(first: 100)`` x ``activities(first: 100)`` — is ~1.2 million fields and refused;
the dashboard's query at ``first: 100`` is ~12,000.

``IntrospectionDepthLimit``: Strawberry's depth limit (10) does not count introspection
fields, so ``__type { fields { type { ofType { ofType ... } } } }`` could nest without end.
This rule counts every field and allows 15 levels: the introspection query GraphiQL and
graphql-core send is 14 deep.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
)
from graphql.validation import ValidationRule
from strawberry.extensions import SchemaExtension

MAX_COST = 50_000
MAX_PAGE = 100
DEFAULT_PAGE = 20
LIST_SIZES = {  # expected lengths of list fields without a page size
    "edges": 1,  # a connection's page size already counts its edges
    "activityBreakdown": 20,  # roles worked in a day
    "clockRecords": 5,
    "breaks": 5,
    "idlePeriods": 20,
    "scores": 366,  # a range is at most 366 days
}
DEFAULT_LIST_SIZE = 100
MAX_INTROSPECTION_DEPTH = 15


class CostLimit(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            cost = operation_cost(
                context.schema._schema, document, context.operation_name, context.variables or {}
            )
            if cost > MAX_COST:
                context.result = ExecutionResult(data=None, errors=[_too_costly(cost)])
        yield


def _too_costly(cost: int) -> GraphQLError:
    return GraphQLError(
        f"the operation may return about {cost:,} fields, more than the {MAX_COST:,} "
        "allowed: ask for fewer items per page or fewer fields",
        extensions={"code": "COST_LIMIT_EXCEEDED"},
    )


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
) -> int:
    operation = get_operation_ast(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation is not None else None
    if operation is None or root is None:
        return 0
    walk = _Walk(schema, _fragments(document), variables)
    return walk.cost(operation.selection_set, root, 1, frozenset())


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables

    def cost(
        self, selections: SelectionSetNode, parent: Any, times: int, seen: frozenset[str]
    ) -> int:
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, times, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else None
                total += self.cost(selection.selection_set, on or parent, times, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    on = self.schema.get_type(fragment.type_condition.name.value) or parent
                    total += self.cost(fragment.selection_set, on, times, seen | {name})
        return total

    def field(self, node: FieldNode, parent: Any, times: int, seen: frozenset[str]) -> int:
        name = node.name.value
        field = getattr(parent, "fields", {}).get(name)  # objects and interfaces have fields
        if name.startswith("__") or field is None:
            return 0
        times *= self.size(node, field)
        if node.selection_set is None:
            return times
        return times + self.cost(node.selection_set, get_named_type(field.type), times, seen)

    def size(self, node: FieldNode, field: GraphQLField) -> int:
        """How many times the field's value can appear for one parent."""
        if "first" in field.args:
            given = next((a.value for a in node.arguments or () if a.name.value == "first"), None)
            if isinstance(given, VariableNode):
                value = self.variables.get(given.name.value)
            else:
                value = int(given.value) if isinstance(given, IntValueNode) else None
            page = value if isinstance(value, int) else DEFAULT_PAGE
            return max(0, min(page, MAX_PAGE))
        if isinstance(get_nullable_type(field.type), GraphQLList):
            return LIST_SIZES.get(node.name.value, DEFAULT_LIST_SIZE)
        return 1


class IntrospectionDepthLimit(ValidationRule):
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        fragments = _fragments(self.context.document)
        depth = _depth(fragments, node.selection_set, 0, frozenset())
        if depth > MAX_INTROSPECTION_DEPTH:
            self.report_error(
                GraphQLError(
                    f"the operation nests {depth} levels deep, more than the "
                    f"{MAX_INTROSPECTION_DEPTH} allowed",
                    node,
                    extensions={"code": "DEPTH_LIMIT_EXCEEDED"},
                )
            )


def _depth(
    fragments: Mapping[str, FragmentDefinitionNode],
    selections: SelectionSetNode,
    level: int,
    seen: frozenset[str],
) -> int:
    deepest = level
    for selection in selections.selections:
        inner: SelectionSetNode | None = None
        below, inside = level, seen
        if isinstance(selection, FieldNode):
            inner, below = selection.selection_set, level + 1
        elif isinstance(selection, InlineFragmentNode):
            inner = selection.selection_set
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                inner, inside = fragments[name].selection_set, seen | {name}
        if inner is not None:
            deepest = max(deepest, _depth(fragments, inner, below, inside))
    return deepest


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
