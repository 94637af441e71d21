"""Every HTTP request's id, and the one log line of each GraphQL request.

**The request id** is the client's ``X-Request-ID`` when it is 1 to ``MAX_ID_CHARS`` of
``[A-Za-z0-9._:-]`` (what a proxy or a client library sends: a UUID, a trace id), otherwise
one made here; it is returned in ``X-Request-ID`` on every response (a cached hit, a 4xx of the
request guard, a 503, a 500 alike), bound in structlog's context variables for every line
logged while the request runs, and sent with the jobs the request enqueues
(``prodhub.job_context``).

**The GraphQL line** (``graphql request``), logged when the response is sent: the operation's
name and type, the viewer's role (never a credential or a variable's value), how the response
cache answered (``hit``, ``miss``, ``none``), the SQL statements the request sent (counted by
a listener on every engine: an integer increment each), the duration, the status and the
outcome (``ok``, or the errors' codes). The layers that know a field note it on the request's
``GraphQLRecord`` (``current()``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from typing import Any

from graphql import DefinitionNode, OperationDefinitionNode
from sqlalchemy import event
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, reset_contextvars

from prodhub.graphql_requests import CACHE_HEADER
from services.authentication import Viewer

log = logging.getLogger("prodhub.requests")

HEADER = "x-request-id"
MAX_ID_CHARS = 128
SAFE_ID = re.compile(rb"[A-Za-z0-9._:-]{1,%d}" % MAX_ID_CHARS)
REQUEST_ID = "prodhub.request_id"  # the scope key of the request's id
GRAPHQL_PATH = "/graphql"
_HEADER = HEADER.encode()
_CACHE_HEADER = CACHE_HEADER.encode()


@dataclass(slots=True)
class Operation:
    """What a GraphQL request asked, as its log line names it."""

    name: str | None = None
    type: str | None = None
    role: str | None = None


@dataclass(slots=True)
class GraphQLRecord:
    operation: Operation = field(default_factory=Operation)
    statements: int = 0
    codes: list[str] = field(default_factory=list)


_current: ContextVar[GraphQLRecord | None] = ContextVar("prodhub_graphql_record", default=None)


def current() -> GraphQLRecord | None:
    """The GraphQL request being answered (None outside one)."""
    return _current.get()


def request_id_of(header: bytes | None) -> str:
    """The client's id when it is safe to log and pass on; otherwise a new one."""
    if header is not None and SAFE_ID.fullmatch(header):
        return header.decode("ascii")
    return uuid.uuid4().hex


class RequestLogging:
    """ASGI middleware, outermost: the request id, and the GraphQL request's line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        count_statements()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for name, value in scope["headers"]:
            if name == _HEADER:
                given = value
                break
        request_id = scope[REQUEST_ID] = request_id_of(given)
        id_header = (_HEADER, request_id.encode())
        status, cache, started = 0, "none", time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status, cache
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                for name, value in headers:
                    if name == _CACHE_HEADER:
                        cache = value.decode("latin-1")
                message = {**message, "headers": [*headers, id_header]}
            await send(message)

        bound = bind_contextvars(request_id=request_id)
        record = GraphQLRecord() if scope["path"] == GRAPHQL_PATH else None
        token = _current.set(record)
        try:
            await self.app(scope, receive, sending)
        except Exception:
            if status == 0:  # answered here, so that even a 500 carries the id
                status = 500
                await _internal_error(send, id_header)
            raise
        finally:
            if record is not None:
                _log_graphql(record, status, cache, time.perf_counter() - started)
            _current.reset(token)
            reset_contextvars(**bound)


def _log_graphql(record: GraphQLRecord, status: int, cache: str, seconds: float) -> None:
    operation = record.operation
    if record.codes:
        outcome = ",".join(sorted(set(record.codes)))
    else:
        outcome = "ok" if status < 400 else f"http {status}"
    fields: dict[str, Any] = {
        "operation": operation.name,
        "operation_type": operation.type,
        "role": operation.role,
        "cache": cache,
        "sql_statements": record.statements,
        "duration_ms": round(seconds * 1000, 1),
        "status": status,
        "outcome": outcome,
    }
    log.info("graphql request", extra=fields)


async def _internal_error(send: Send, id_header: tuple[bytes, bytes]) -> None:
    body = b"Internal Server Error"
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        id_header,
    ]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _count(*_: Any) -> None:
    record = _current.get()
    if record is not None:
        record.statements += 1


def count_statements() -> None:
    """Count what every engine of this process sends into the running GraphQL request's
    record (a listener on the Engine class: every engine, made now or later)."""
    if not event.contains(Engine, "before_cursor_execute", _count):
        event.listen(Engine, "before_cursor_execute", _count)


MAX_NAME_CHARS = 100


def note_viewer(viewer: Viewer, refused: str | None) -> None:
    """The request's viewer, by role: ``ADMIN``, ``MANAGER``, ``EMPLOYEE``, ``DEVICE`` (an API
    key), ``ANONYMOUS``, or ``REFUSED`` (credentials that were not accepted)."""
    record = _current.get()
    if record is None:
        return
    if refused is not None:
        role = "REFUSED"
    elif viewer.role is not None:
        role = viewer.role.value
    else:
        role = "DEVICE" if viewer.is_device else "ANONYMOUS"
    record.operation.role = role


def note_operation(definitions: Iterable[DefinitionNode], name: str | None) -> None:
    """The operation a document runs (by ``name``, or its only one): its name as the
    document spells it, and its type."""
    record = _current.get()
    if record is None:
        return
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if name is not None:
        operations = [o for o in operations if o.name is not None and o.name.value == name]
    if len(operations) != 1:
        return
    chosen = operations[0]
    record.operation.type = chosen.operation.value
    if chosen.name is not None:
        record.operation.name = chosen.name.value[:MAX_NAME_CHARS]


def note_codes(codes: Iterable[str]) -> None:
    """The codes of the errors the response carries."""
    record = _current.get()
    if record is not None:
        record.codes.extend(codes)


def noted_operation() -> Operation | None:
    """A copy of what the running request noted of its operation."""
    record = _current.get()
    return replace(record.operation) if record is not None else None


def note_remembered(operation: Operation | None) -> None:
    """A cached answer's operation, as the request that computed it noted it."""
    record = _current.get()
    if record is not None and operation is not None:
        record.operation = operation
