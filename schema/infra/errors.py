"""What a client sees of an error: expected failures with their code, everything else masked."""

from __future__ import annotations

from graphql import GraphQLError
from strawberry.extensions import MaskErrors

from db.outages import database_unavailable
from services.errors import UserError

MAX_MESSAGE_CHARS = 300
UNAVAILABLE = "SERVICE_UNAVAILABLE"
UNAVAILABLE_MESSAGE = "the database is unavailable; try again in a few seconds"


class PublicErrors(MaskErrors):
    """Every error leaves with ``extensions.code``:

    - a ``UserError`` raised while executing keeps its message and its code;
    - an error about the request itself (no path: syntax, validation, variable values) keeps
      its message, coded ``GRAPHQL_PARSE_FAILED``, ``BAD_USER_INPUT`` or
      ``GRAPHQL_VALIDATION_FAILED`` as Apollo Server codes them;
    - the database failing (down, restarting, unreachable: ``database_unavailable``) is
      ``UNAVAILABLE_MESSAGE``, code ``SERVICE_UNAVAILABLE``: the client may try again;
    - any other exception raised while executing becomes "Unexpected error.", code
      ``INTERNAL_SERVER_ERROR``, its details only in the log;
    - no message is longer than ``MAX_MESSAGE_CHARS``: one that echoes what the client sent
      (a field or operation name can be as long as the document) keeps a short prefix.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda _: True)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, UserError):
            return _coded(error, original.code, original.message)
        if error.path is None:
            code = (error.extensions or {}).get("code") or request_error_code(error.message)
            return _coded(error, code)
        if database_unavailable(original):
            return _coded(error, UNAVAILABLE, UNAVAILABLE_MESSAGE)
        return _coded(super().anonymise_error(error), "INTERNAL_SERVER_ERROR")


def bounded(message: str) -> str:
    """A message cut to ``MAX_MESSAGE_CHARS``, whatever it echoes."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[: MAX_MESSAGE_CHARS - 1] + "…"


def request_error_code(message: str) -> str:
    """The code of an error about the request itself, by the phase that found it."""
    if message.startswith("Syntax Error"):
        return "GRAPHQL_PARSE_FAILED"
    if message.startswith("Variable '$"):
        return "BAD_USER_INPUT"
    return "GRAPHQL_VALIDATION_FAILED"


def _coded(error: GraphQLError, code: str, message: str | None = None) -> GraphQLError:
    return GraphQLError(
        bounded(message if message is not None else error.message),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={**(error.extensions or {}), "code": code},
    )
