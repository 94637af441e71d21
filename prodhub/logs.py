"""Log lines for every process (serve, worker, scheduler, the CLI): one event a line, JSON in
production (``PRODHUB_LOG_FORMAT``, ``PRODHUB_LOG_LEVEL``).

The code logs with the standard library (``logging.getLogger(__name__)``, fields in
``extra``), and so do uvicorn, Dramatiq and SQLAlchemy; one handler on the root logger renders
every record through structlog's ``ProcessorFormatter``: a timestamp, the level, the logger,
the fields, and what is bound in structlog's context variables (the request's or the job's
``request_id``). Python's warnings are logged too.

A traceback is rendered once, in its line. A failure that only says a server is unreachable
(the database or Redis down: ``db.outages.database_unavailable``) is one line with its
``code`` and ``error``: an outage is not a bug, and its traceback, once per failed request,
would bury everything else.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from structlog.types import EventDict, Processor, WrappedLogger

from core.settings import Settings
from db.outages import database_unavailable
from schema.infra.errors import UNAVAILABLE

HANDLER_NAME = "prodhub"  # the root handler this module installs (and replaces)


def configure_logging(
    settings: Settings, *, stream: TextIO | None = None, level: str = "INFO"
) -> logging.Handler:
    """Route every log record of this process through structlog to ``stream`` (stderr), at
    ``PRODHUB_LOG_LEVEL`` or else ``level``; called once per process, early (calling it again
    replaces the handler). Returns the handler."""
    renderer: Processor = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if settings.logs_as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
    ]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _without_copies],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            outages_in_one_line,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level or level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "dramatiq"):
        # Their own handlers (uvicorn's default configuration) would print a second line.
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, WithoutQuery) for f in access.filters):
        access.addFilter(WithoutQuery())
    logging.captureWarnings(True)
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return handler


def _without_copies(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """The event once: not uvicorn's copy with terminal colors, nor the copy another handler's
    formatter left on the record."""
    event.pop("color_message", None)
    event.pop("message", None)
    return event


def outages_in_one_line(_: WrappedLogger, __: str, event: EventDict) -> EventDict:
    """A record whose exception says the database or Redis cannot be reached: its code and
    the exception's first line instead of the traceback."""
    exc_info = event.get("exc_info")
    if exc_info is None or exc_info is False:
        return event
    error = exc_info if isinstance(exc_info, BaseException) else None
    if isinstance(exc_info, tuple):
        error = exc_info[1]
    elif exc_info is True:
        error = sys.exc_info()[1]
    if error is not None and is_outage(error):
        del event["exc_info"]
        event.setdefault("code", UNAVAILABLE)
        event["error"] = one_line(error)
    return event


def is_outage(error: BaseException) -> bool:
    """The database or Redis could not be reached, here or at the root of ``error``."""
    seen: BaseException | None = error
    for _ in range(5):  # an exception chained to the driver's, or the driver's itself
        if seen is None:
            return False
        if database_unavailable(seen) or isinstance(seen, RedisConnectionError | RedisTimeoutError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def one_line(error: BaseException) -> str:
    """An exception's type and the first line of its message, at most 200 characters."""
    message = str(error).strip().splitlines()
    text = f"{type(error).__name__}: {message[0]}" if message else type(error).__name__
    return text if len(text) <= 200 else text[:199] + "…"


class WithoutQuery(logging.Filter):
    """uvicorn's access line without the query string: a GET operation carries its
    variables there, and their values are nobody's business in a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        args: Any = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].partition("?")[0], args[3], args[4])
        return True
