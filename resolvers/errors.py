"""Errors a client may see. Anything else raised while resolving is masked."""

from __future__ import annotations

from graphql import GraphQLError


class PublicError(GraphQLError):
    """An expected failure with a stable ``extensions.code``; shown to the client as it is."""

    code = "ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message, extensions={"code": self.code})


class BadInputError(PublicError):
    code = "BAD_USER_INPUT"


def should_mask(error: GraphQLError) -> bool:
    """Mask errors raised while executing, unless they are ``PublicError``s.

    Errors without a path (syntax, validation, variable coercion) describe the request itself
    and are safe to show.
    """
    if error.path is None:
        return False
    return not isinstance(error.original_error, PublicError)
