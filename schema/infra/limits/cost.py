"""How many fields an operation's response can hold, estimated before it runs.

Every selected field costs 1 for each time it can appear. A connection (a field with a
``first`` or ``last`` argument) multiplies what is below it by its page size, read as the
resolvers will read it: the argument's literal, or its variable's value, or the default the
operation declares for that variable; 20 (the resolvers' default page) when no size is
given (or null); at most 100, the largest page resolvers serve. A size the estimate cannot
read (a variable with neither value nor default, a value or literal that is not a number)
counts as 100: what it cannot read must not make an operation look cheap. Other lists
multiply by their expected length, which each field declares where it is defined
(``strawberry.field(metadata=list_size(n))``); a connection's ``edges`` count 1 (its page
size already counts them), any other list ``DEFAULT_LIST_SIZE``. Introspection is not
counted: it is off in production, and GraphiQL's own query must work in development.

The probe of 30 aliases x ``employees(first: 100)`` x ``activities(first: 100)`` is ~1.2
million fields and refused; the dashboard's query at ``first: 100`` is ~12,000. A field's
cost is proportional to how many times it appears, so each fragment is costed once for each
type it is spread on, and a spread multiplies that cost: the walk is linear in the document.
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
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

MAX_COST = 50_000
MAX_PAGE = 100
DEFAULT_PAGE = 20
PAGE_ARGUMENTS = ("first", "last")
DEFAULT_LIST_SIZE = 100
EDGES = "edges"  # a connection's page size already counts its edges: each counts 1
LIST_SIZE = "list_size"


def list_size(expected: int) -> dict[str, int]:
    """The ``metadata=`` of a list field without a page size: its expected length."""
    return {LIST_SIZE: expected}


def _declared_size(field: GraphQLField) -> int | None:
    definition = (field.extensions or {}).get("strawberry-definition")
    size = (getattr(definition, "metadata", None) or {}).get(LIST_SIZE)
    return size if isinstance(size, int) else None


class CostLimit(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            cost = operation_cost(
                context.schema._schema, document, context.operation_name, context.variables or {}
            )
            if cost > MAX_COST and context.operation_type is OperationType.SUBSCRIPTION:
                raise _too_costly(cost)  # a subscription's stream ignores a result set here
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
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return _Walk(schema, fragments, _pages(operation, variables)).cost(
        operation.selection_set, root
    )


def _pages(operation: OperationDefinitionNode, given: Mapping[str, Any]) -> dict[str, Any]:
    """The variables' values: those given, else the operation's declared defaults."""
    values: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name in given:
            values[name] = given[name]
        elif isinstance(definition.default_value, IntValueNode):
            values[name] = int(definition.default_value.value)
        elif isinstance(definition.default_value, NullValueNode):
            values[name] = None
    return values


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema, self.fragments, self.variables = schema, fragments, variables
        self.costed: dict[tuple[str, str], int] = {}  # (fragment, type): the cost of one copy
        self.costing: set[str] = set()  # fragments being costed (a cycle adds nothing)

    def cost(self, selections: SelectionSetNode, parent: Any) -> int:
        """The cost of one copy of ``selections`` on ``parent``."""
        total = 0
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition else None
                total += self.cost(selection.selection_set, on or parent)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection.name.value, parent)
        return total

    def spread(self, name: str, parent: Any) -> int:
        fragment = self.fragments.get(name)
        if fragment is None or name in self.costing:
            return 0
        on = self.schema.get_type(fragment.type_condition.name.value) or parent
        key = (name, getattr(on, "name", ""))
        if key not in self.costed:
            self.costing.add(name)
            self.costed[key] = self.cost(fragment.selection_set, on)
            self.costing.discard(name)
        return self.costed[key]

    def field(self, node: FieldNode, parent: Any) -> int:
        name = node.name.value
        field = getattr(parent, "fields", {}).get(name)  # objects and interfaces have fields
        if name.startswith("__") or field is None:
            return 0
        times = self.size(node, field)
        if node.selection_set is None:
            return times
        return times * (1 + self.cost(node.selection_set, get_named_type(field.type)))

    def size(self, node: FieldNode, field: GraphQLField) -> int:
        """How many times the field's value can appear for one parent."""
        if any(name in field.args for name in PAGE_ARGUMENTS):
            given = {a.name.value: a.value for a in node.arguments or ()}
            pages = [self.page(given[name]) for name in PAGE_ARGUMENTS if name in given]
            return max((p for p in pages if p is not None), default=DEFAULT_PAGE)
        if isinstance(get_nullable_type(field.type), GraphQLList):
            declared = _declared_size(field)
            if declared is not None:
                return declared
            return 1 if node.name.value == EDGES else DEFAULT_LIST_SIZE
        return 1

    def page(self, value: ValueNode) -> int | None:
        """A page size (None: not given), MAX_PAGE when it cannot be read."""
        if isinstance(value, VariableNode):
            name = value.name.value
            if name not in self.variables:
                return MAX_PAGE
            read = self.variables[name]
        elif isinstance(value, IntValueNode):
            read = int(value.value)
        elif isinstance(value, NullValueNode):
            read = None
        else:
            return MAX_PAGE
        if read is None:
            return None
        if not isinstance(read, int) or isinstance(read, bool):
            return MAX_PAGE
        return max(0, min(read, MAX_PAGE))
