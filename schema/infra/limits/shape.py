"""One walk over a document, each definition once: what its operations expand to.

A fragment spread twice in each of 20 nested fragments expands to a million selections from a
document of a kilobyte; a walk that follows every spread again takes seconds. Here each
definition's own selections are read once (``Local``), then each fragment's totals
(``Reach``) are put together from its spreads' totals, fragments before those that spread
them: the work is linear in the document, whatever it expands to. Nothing recurses: a chain
of hundreds of fragments is walked like a short one. A spread of an unknown fragment or one
closing a cycle adds nothing (validation reports both).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)


@dataclass(frozen=True, slots=True)
class Spread:
    name: str
    depth: int | None  # the depth limit's count where it is spread; None: under introspection
    nesting: int  # selection sets around it, introspection's included


@dataclass(slots=True)
class Local:
    """A definition's own selections, its spreads not followed."""

    depth: int = 0  # the deepest selection, counting the fields around it but introspection's
    nesting: int = 0  # the deepest selection set, counting every field around it
    aliases: int = 0
    selections: int = 0  # fields, inline fragments and spreads
    spreads: list[Spread] = field(default_factory=list)
    directives: list[tuple[DirectiveNode, ...]] = field(default_factory=list)  # by location


@dataclass(frozen=True, slots=True)
class Reach:
    """A definition's totals, its spreads followed."""

    depth: int
    nesting: int
    aliases: int
    selections: int


def local(selections: SelectionSetNode) -> Local:
    found = Local()
    stack: list[tuple[SelectionSetNode, int | None, int]] = [(selections, 0, 0)]
    while stack:
        node, depth, nesting = stack.pop()
        if node.selections and depth is not None:
            found.depth = max(found.depth, depth)
        found.nesting = max(found.nesting, nesting)
        for selection in node.selections:
            found.selections += 1
            if selection.directives:
                found.directives.append(tuple(selection.directives))
            if isinstance(selection, FieldNode):
                found.aliases += selection.alias is not None
                if selection.selection_set is not None:
                    name = selection.name.value
                    below = None if depth is None or name.startswith("__") else depth + 1
                    stack.append((selection.selection_set, below, nesting + 1))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, depth, nesting))
            elif isinstance(selection, FragmentSpreadNode):
                found.spreads.append(Spread(selection.name.value, depth, nesting))
    return found


class Shape:
    """The document's definitions, each read once, and its fragments' totals."""

    def __init__(self, document: DocumentNode) -> None:
        self.operations: list[tuple[OperationDefinitionNode, Local]] = []
        self.fragments: dict[str, tuple[FragmentDefinitionNode, Local]] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                self.operations.append((definition, local(definition.selection_set)))
            elif isinstance(definition, FragmentDefinitionNode):
                self.fragments[definition.name.value] = (
                    definition,
                    local(definition.selection_set),
                )
        self.order = _dependencies_first({n: f[1] for n, f in self.fragments.items()})
        self.reach: dict[str, Reach] = {}
        for name in self.order:
            self.reach[name] = combine(self.fragments[name][1], self.reach)

    def operation_reach(self) -> Iterator[tuple[OperationDefinitionNode, Reach]]:
        for operation, found in self.operations:
            yield operation, combine(found, self.reach)

    def directives(self) -> Iterator[tuple[DirectiveNode, ...]]:
        """The directives of each location, definitions' and variables' included."""
        definitions = [d for d, _ in self.operations] + [d for d, _ in self.fragments.values()]
        for definition in definitions:
            if definition.directives:
                yield tuple(definition.directives)
            if isinstance(definition, OperationDefinitionNode):
                for variable in definition.variable_definitions or ():
                    if variable.directives:
                        yield tuple(variable.directives)
        for _, found in self.operations:
            yield from found.directives
        for _, found in self.fragments.values():
            yield from found.directives


def combine(found: Local, done: Mapping[str, Reach]) -> Reach:
    depth, nesting, aliases, selections = (
        found.depth,
        found.nesting,
        found.aliases,
        found.selections,
    )
    for spread in found.spreads:
        inner = done.get(spread.name)
        if inner is None:  # unknown, or closing a cycle
            continue
        if spread.depth is not None:
            depth = max(depth, spread.depth + inner.depth)
        nesting = max(nesting, spread.nesting + inner.nesting)
        aliases += inner.aliases
        selections += inner.selections
    return Reach(depth, nesting, aliases, selections)


def _dependencies_first(fragments: Mapping[str, Local]) -> list[str]:
    """The fragments, each after those it spreads (a depth-first walk without recursion;
    a spread closing a cycle is left out)."""
    order: list[str] = []
    placed: set[str] = set()
    for root in fragments:
        if root in placed:
            continue
        path = [(root, iter(fragments[root].spreads))]
        on_path = {root}
        while path:
            name, spreads = path[-1]
            for spread in spreads:
                inner = spread.name
                if inner in fragments and inner not in placed and inner not in on_path:
                    path.append((inner, iter(fragments[inner].spreads)))
                    on_path.add(inner)
                    break
            else:
                path.pop()
                on_path.discard(name)
                placed.add(name)
                order.append(name)
    return order
