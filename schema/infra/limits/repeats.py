"""How often one response key is selected in one selection set.

``{ __typename __typename ... }`` 500 times is a 6 KB document, and graphql-core compares the
fields of one response key pairwise (to check they can be merged): 390 copies of
``viewer { email }`` took 0.7 s to validate. The keys of a selection set are counted through
its inline fragments and the fragments it spreads; each fragment's keys are counted once,
before those of the fragments that spread it. Only asked of a document whose expansion is
already bounded (``Reach.selections``), so the counts stay small.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping

from graphql import (
    ExecutableDefinitionNode,
    FieldNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from schema.infra.limits.shape import Shape


def most_repeated(shape: Shape) -> tuple[str, int]:
    """The response key selected most often in one selection set, and how often."""
    tops: dict[str, Counter[str]] = {}  # each fragment's own selection set
    worst = ("", 0)
    definitions: list[tuple[str | None, ExecutableDefinitionNode]] = [
        (name, shape.fragments[name][0]) for name in shape.order
    ]
    definitions += [(None, operation) for operation, _ in shape.operations]
    for name, definition in definitions:
        for counts in _counts(definition.selection_set, tops):
            if name is not None:
                tops.setdefault(name, counts)  # the first is the fragment's own
            for key, count in counts.items():
                if count > worst[1]:
                    worst = (key, count)
    return worst


def _counts(
    selections: SelectionSetNode, tops: Mapping[str, Counter[str]]
) -> Iterator[Counter[str]]:
    """The response keys of each selection set under ``selections`` (itself first), through
    inline fragments and the spread fragments' counts in ``tops``."""
    pending = [selections]
    while pending:
        counts: Counter[str] = Counter()
        merged = [pending.pop()]
        while merged:
            for selection in merged.pop().selections:
                if isinstance(selection, FieldNode):
                    counts[(selection.alias or selection.name).value] += 1
                    if selection.selection_set is not None:
                        pending.append(selection.selection_set)
                elif isinstance(selection, InlineFragmentNode):
                    merged.append(selection.selection_set)
                elif isinstance(selection, FragmentSpreadNode):
                    counts.update(tops.get(selection.name.value, {}))
        yield counts
