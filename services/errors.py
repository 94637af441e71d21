"""Expected failures, each with a stable code a client can act on.

Services and resolvers raise them; the GraphQL layer shows them with ``extensions.code`` and
masks every other exception.
"""

from __future__ import annotations


class UserError(Exception):
    """A request that cannot be served as asked; its message is safe to show. ``field`` names
    the input field at fault, when one is."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadInput(UserError):
    code = "BAD_USER_INPUT"


class BadCursor(UserError):
    """A cursor this server did not make for this list (forged, altered or from another list)."""

    code = "BAD_CURSOR"


class NotFound(UserError):
    """What the input refers to does not exist."""

    code = "NOT_FOUND"


class Conflict(UserError):
    """The change conflicts with what is there: a uniqueness rule (an email, a key, a code
    already taken), or a state that no longer allows it (a flag already resolved, a sync
    already running)."""

    code = "CONFLICT"


class Unauthenticated(UserError):
    """No valid credentials: sign in (again)."""

    code = "UNAUTHENTICATED"


class Forbidden(UserError):
    """Signed in, but not allowed to do this."""

    code = "FORBIDDEN"


class JobsOff(UserError):
    code = "JOBS_OFF"

    def __init__(
        self, message: str = "no worker runs jobs for this server: give it PRODHUB_REDIS_URL"
    ) -> None:
        super().__init__(message)


class NotFinal(UserError):
    """A day whose scores are not final yet, asked for what only a finalized day has."""

    code = "NOT_FINAL"
