"""What an operation may ask for, checked before it runs.

``schema.infra.limits.document``: what a document may be (directives, depth, aliases, how far its
fragments expand, repeated fields), checked once when it is parsed, before validation.
``schema.infra.limits.cost``: how many fields the chosen operation's response can hold, checked
before it executes. Every walk visits each fragment once.
"""

from schema.infra.limits.cost import MAX_COST, CostLimit, operation_cost
from schema.infra.limits.document import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_DIRECTIVES,
    MAX_DIRECTIVES_PER_LOCATION,
    MAX_INTROSPECTION_DEPTH,
    MAX_REPEATS,
    MAX_SELECTIONS,
    MAX_VALIDATION_ERRORS,
    refusal,
)

__all__ = [
    "MAX_ALIASES",
    "MAX_COST",
    "MAX_DEPTH",
    "MAX_DIRECTIVES",
    "MAX_DIRECTIVES_PER_LOCATION",
    "MAX_INTROSPECTION_DEPTH",
    "MAX_REPEATS",
    "MAX_SELECTIONS",
    "MAX_VALIDATION_ERRORS",
    "CostLimit",
    "operation_cost",
    "refusal",
]
