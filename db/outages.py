"""Whether a failure says the database cannot be used now, rather than that a statement is
wrong: what the GraphQL layer answers ``SERVICE_UNAVAILABLE`` (try again) instead of masking
it as an unexpected error."""

from __future__ import annotations

from sqlalchemy import exc

# MySQL's and MariaDB's codes of a server that cannot be reached or went away: it refused or
# dropped the connection (2002, 2003, 2006, 2013, 2055), is shutting down (1053), killed it
# (1927), has no room for it (1040), or the network failed it (1158-1161, 2014, 2045, 4031).
CONNECTION_FAILURES = frozenset(
    {1040, 1053, 1158, 1159, 1160, 1161, 1927, 2002, 2003, 2006, 2013, 2014, 2045, 2055, 4031}
)


def database_unavailable(error: BaseException | None) -> bool:
    """A connection that could not be made or was lost (one SQLAlchemy invalidated, or one of
    MySQL's ``CONNECTION_FAILURES``), or a pool with no connection to give within its
    timeout."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, exc.TimeoutError | exc.DisconnectionError):
        return True
    if not isinstance(error, exc.OperationalError | exc.InterfaceError | exc.InternalError):
        return False
    arguments: tuple[object, ...] = getattr(error.orig, "args", ())
    return bool(arguments) and arguments[0] in CONNECTION_FAILURES
