"""What a document may be, checked once when it is parsed, before anything else reads it.

A refused document is answered with these errors alone: graphql-core's validation, the
response cache's policy and execution never see it. Each check is a walk of the document
that visits each fragment once (``schema.infra.limits.shape``), so a refusal costs no more than
reading the document, however far its fragments would expand.

- Directives: a location carries each directive once and at most
  ``MAX_DIRECTIVES_PER_LOCATION``; a document at most ``MAX_DIRECTIVES``. One error for the
  whole document, before the other checks (``__typename @aa@aa@aa...`` would otherwise be
  answered with an error per copy).
- Depth: an operation nests at most ``MAX_DEPTH`` fields, introspection fields and what is
  below them not counted (Strawberry's ``QueryDepthLimiter``, its message kept); and at most
  ``MAX_INTROSPECTION_DEPTH`` counting every field (``__type { fields { type { ofType ...``
  could nest without end; the introspection query of GraphiQL and graphql-core is 14 deep).
- Aliases: at most ``MAX_ALIASES`` in all operations, each fragment counted where it is
  spread (Strawberry's ``MaxAliasesLimiter``, its message kept).
- Expansion: the operations, each spread replaced by its fragment, hold at most
  ``MAX_SELECTIONS`` selections (fields, inline fragments, spreads), and so does each
  fragment. Without fragments the token limit keeps a document under 2,000.
- Repeats: a selection set (with its inline fragments and spread fragments) selects one
  response key at most ``MAX_REPEATS`` times; fragments of a component tree repeat ``id``
  and ``__typename`` a few times, 500 copies only make validation slow.

``MAX_VALIDATION_ERRORS``: graphql-core's validation stops after that many errors (adding one
that says so), whatever else a document gets wrong.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import DirectiveNode, DocumentNode, GraphQLError, OperationDefinitionNode

from schema.infra.limits.repeats import most_repeated
from schema.infra.limits.shape import Shape

MAX_DEPTH = 10
MAX_INTROSPECTION_DEPTH = 15
MAX_ALIASES = 30
MAX_SELECTIONS = 5_000
MAX_REPEATS = 30
MAX_DIRECTIVES_PER_LOCATION = 3
MAX_DIRECTIVES = 50
MAX_VALIDATION_ERRORS = 4


def refusal(document: DocumentNode) -> list[GraphQLError]:
    """Why the document may not run, or nothing."""
    shape = Shape(document)
    directives = _directives(shape.directives())
    if directives is not None:
        return [directives]
    errors: list[GraphQLError] = []
    reached = list(shape.operation_reach())
    for operation, reach in reached:
        if reach.depth > MAX_DEPTH:
            name = operation.name.value if operation.name else "anonymous"
            errors.append(
                GraphQLError(f"'{name}' exceeds maximum operation depth of {MAX_DEPTH}", operation)
            )
    aliases = sum(reach.aliases for _, reach in reached)
    if aliases > MAX_ALIASES:
        errors.append(GraphQLError(f"{aliases} aliases found. Allowed: {MAX_ALIASES}"))
    for operation, reach in reached:
        if reach.nesting > MAX_INTROSPECTION_DEPTH:
            errors.append(_too_deep(reach.nesting, operation))
    # A fragment no operation spreads (which validation would refuse) is bounded all the same.
    selections = max(
        sum(reach.selections for _, reach in reached),
        max((reach.selections for reach in shape.reach.values()), default=0),
    )
    if selections > MAX_SELECTIONS:
        errors.append(_too_many_selections(selections))
    if errors:
        return errors
    key, count = most_repeated(shape)  # bounded now: the expansion is
    if count > MAX_REPEATS:
        return [_repeated(key, count)]
    return []


def _directives(locations: Iterable[tuple[DirectiveNode, ...]]) -> GraphQLError | None:
    total = 0
    for directives in locations:
        repeated = _first_repeated(directive.name.value for directive in directives)
        if repeated is not None:
            return _directive_error(
                f"the directive @{repeated} is repeated on one location: a directive may "
                "appear once where it is used",
                directives,
            )
        if len(directives) > MAX_DIRECTIVES_PER_LOCATION:
            return _directive_error(
                f"a location carries {len(directives)} directives, more than the "
                f"{MAX_DIRECTIVES_PER_LOCATION} allowed",
                directives,
            )
        total += len(directives)
    if total > MAX_DIRECTIVES:
        return _directive_error(
            f"the document carries {total} directives, more than the {MAX_DIRECTIVES} allowed",
            (),
        )
    return None


def _first_repeated(names: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def _directive_error(message: str, nodes: tuple[DirectiveNode, ...]) -> GraphQLError:
    return GraphQLError(
        message, list(nodes[:1]) or None, extensions={"code": "DIRECTIVE_LIMIT_EXCEEDED"}
    )


def _too_deep(nesting: int, operation: OperationDefinitionNode) -> GraphQLError:
    return GraphQLError(
        f"the operation nests {nesting} levels deep, more than the "
        f"{MAX_INTROSPECTION_DEPTH} allowed",
        operation,
        extensions={"code": "DEPTH_LIMIT_EXCEEDED"},
    )


def _too_many_selections(selections: int) -> GraphQLError:
    return GraphQLError(
        f"the document expands to {selections:,} selections through its fragments, more "
        f"than the {MAX_SELECTIONS:,} allowed: spread fewer fragments",
        extensions={"code": "SELECTION_LIMIT_EXCEEDED"},
    )


def _repeated(key: str, count: int) -> GraphQLError:
    return GraphQLError(
        f"the field '{key}' is selected {count:,} times in one selection set, more than the "
        f"{MAX_REPEATS} allowed",
        extensions={"code": "FIELD_REPEAT_LIMIT_EXCEEDED"},
    )
