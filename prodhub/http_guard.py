"""What a request to ``/graphql`` must be before the GraphQL view reads it.

- **Size before parsing.** A body over ``MAX_BODY_BYTES`` is answered 413 without being read
  (by its ``Content-Length``) or as soon as the stream passes the limit (chunked bodies). A
  device may send up to ``MAX_DEVICE_BODY_BYTES``, once its key has been checked (the view
  uses that check: ``DEVICE``); a value that only looks like a key gets the common limit.
- **No compressed bodies.** ``Content-Encoding`` other than ``identity`` is 415: a small
  gzip body can inflate to gigabytes.
- **CSRF prevention, as Apollo Server does it.** A browser sends a cross-site GET or a POST
  with a "simple" content type (none, ``text/plain``, form, multipart) without a CORS
  preflight. Such requests are refused unless they carry a header no simple request may carry:
  a content type that is not simple (``application/json``: Apollo Client sends it with its
  hashed GET queries too) or a non-empty ``Apollo-Require-Preflight`` or
  ``X-Apollo-Operation-Name``. So a cross-site form or link cannot run an operation. A GET
  without a ``query`` or ``extensions`` (the GraphiQL page) is not an operation and passes.
- **Bodies arrive in time.** A body whose next part takes longer than ``BODY_IDLE_SECONDS``,
  or whose whole takes longer than ``BODY_TOTAL_SECONDS``, is answered 408: a client that
  declares 500 bytes and sends 40 does not hold a request open forever.
- **A device's key is checked in time.** The check spends from the request's budget
  (``prodhub.request_budget``); a database that fails it, or does not answer within it, is
  answered as a GraphQL error coded ``SERVICE_UNAVAILABLE`` (its body read and dropped, as a
  refusal's is), never a hang or a bare 500.
- **A refusal is read.** A client that sends its body without waiting for ``100 Continue``
  is still sending when a 413 is ready; closing the socket with its bytes unread makes the
  client's kernel see a reset, and the client never reads the 413. As nginx's lingering close
  does, what follows is read and dropped (at most ``DRAIN_MAX_BYTES``, for at most
  ``DRAIN_SECONDS``) before the answer goes out. A client that asked for ``100 Continue``
  has sent nothing yet and gets its answer at once.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable

from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prodhub.credentials import CredentialsUnchecked
from schema.infra.errors import UNAVAILABLE
from services.api_keys import PREFIX as API_KEY_PREFIX
from services.authentication import Permission, Viewer

# How a device's credentials (the request's scope, its Authorization) are checked: the
# viewer, or why it was refused; ``CredentialsUnchecked`` when they could not be.
DeviceCheck = Callable[[Scope, str], Awaitable[tuple[Viewer, str | None]]]
DEVICE = "prodhub.device"  # the scope key of the guard's check: (authorization, its result)

MAX_BODY_BYTES = 1 << 20  # 1 MiB
# A device (``Authorization: Bearer phk_...``) may send recordActivities' 10,000 items (~1.6 MB
# of JSON): its key is checked, and it may do nothing else, once the body is read.
MAX_DEVICE_BODY_BYTES = 4 << 20
BODY_IDLE_SECONDS = 10.0  # the longest wait for the next part of a body (nginx: 60 s)
BODY_TOTAL_SECONDS = 60.0  # the longest a whole body may take
DRAIN_MAX_BYTES = 8 << 20  # read and dropped from a refused body so that the client reads why
DRAIN_SECONDS = 3.0
SIMPLE_CONTENT_TYPES = {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
CSRF_REFUSAL = (
    "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
    "Send it with `Content-Type: application/json`, or with a non-empty "
    "`Apollo-Require-Preflight` header."
)


class GraphQLRequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int = MAX_BODY_BYTES,
        max_device_body_bytes: int = MAX_DEVICE_BODY_BYTES,
        devices: DeviceCheck | None = None,
    ) -> None:
        self.app = app
        self.devices = devices
        self.max_body_bytes = max_body_bytes
        self.max_device_body_bytes = max_device_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if _csrf_suspect(scope, headers):
            await refuse(send, 400, CSRF_REFUSAL)
            return
        if scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if headers.get("content-encoding", "identity").lower() != "identity":
            await refuse(send, 415, "compressed request bodies are not accepted")
            return
        try:
            limit = await self._limit(scope, headers)
        except CredentialsUnchecked as unchecked:
            if not _waits_to_continue(headers):
                await drain(receive)
            await refuse(send, 200, unchecked.message, code=UNAVAILABLE)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            if int(declared) <= DRAIN_MAX_BYTES and not _waits_to_continue(headers):
                await drain(receive)
            await refuse(send, 413, f"request bodies are limited to {limit} bytes")
            return
        try:
            body = await read_body(receive, limit)
        except BodyTimeout as late:
            await refuse(send, 408, str(late))
            return
        if body is None:
            await drain(receive)
            await refuse(send, 413, f"request bodies are limited to {limit} bytes")
            return
        await self.app(scope, replay(body, receive), send)

    async def _limit(self, scope: Scope, headers: Headers) -> int:
        """The device limit for a valid device key (checked here, the check kept in the scope
        for the view), the common one for anything else."""
        credentials = headers.getlist("authorization")
        if self.devices is None or len(credentials) != 1:
            return self.max_body_bytes
        scheme, _, token = credentials[0].partition(" ")
        if scheme.lower() != "bearer" or not token.strip().startswith(API_KEY_PREFIX):
            return self.max_body_bytes
        checked = await self.devices(scope, credentials[0])
        scope[DEVICE] = (credentials[0], checked)
        viewer, refused = checked
        # A device that records activities sends big bodies; a floor screen's key does not.
        recording = Permission.RECORD_ACTIVITIES in viewer.permissions
        return (
            self.max_device_body_bytes
            if refused is None and viewer.is_device and recording
            else (self.max_body_bytes)
        )


def _csrf_suspect(scope: Scope, headers: Headers) -> bool:
    """A GET that carries an operation (a document or a persisted query's hash), or any POST,
    whose content type a browser may send without a preflight (none, or a simple one), and
    that carries no preflight-forcing header: Apollo Server's rule."""
    if any(headers.get(name, "").strip() for name in PREFLIGHT_HEADERS):
        return False
    if scope["method"] == "GET":
        params = QueryParams(scope.get("query_string", b""))
        if "query" not in params and "extensions" not in params:
            return False
    elif scope["method"] != "POST":
        return False
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type in SIMPLE_CONTENT_TYPES or not content_type


class BodyTimeout(Exception):
    """The body did not arrive in time (answered 408)."""


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body (what came before a disconnect), or None once it passes ``limit`` (the
    rest is not read here). ``BodyTimeout`` when a part, or the whole, comes too late."""
    chunks: list[bytes] = []
    size = 0
    deadline = time.monotonic() + BODY_TOTAL_SECONDS
    while True:
        wait = min(BODY_IDLE_SECONDS, deadline - time.monotonic())
        try:
            async with asyncio.timeout(max(0.0, wait)):
                message = await receive()
        except TimeoutError:
            raise BodyTimeout(
                f"the request body did not arrive within {BODY_IDLE_SECONDS:g} s of its "
                f"last part or {BODY_TOTAL_SECONDS:g} s in all"
            ) from None
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def drain(receive: Receive) -> None:
    """Read and drop the rest of a refused body: at most ``DRAIN_MAX_BYTES``, for at most
    ``DRAIN_SECONDS``, never kept."""
    dropped = 0
    try:
        async with asyncio.timeout(DRAIN_SECONDS):
            while dropped <= DRAIN_MAX_BYTES:
                message = await receive()
                if message["type"] != "http.request":
                    return
                dropped += len(message.get("body", b""))
                if not message.get("more_body", False):
                    return
    except TimeoutError:
        return


def _waits_to_continue(headers: Headers) -> bool:
    return headers.get("expect", "").lower() == "100-continue"


def replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the client's disconnect

    return replayed


async def refuse(send: Send, status: int, reason: str, *, code: str | None = None) -> None:
    """A refusal before the body was read through: the connection ends with it (408 and 413),
    since what the client may still send is not a request."""
    error: dict[str, object] = {"message": reason}
    if code is not None:
        error["extensions"] = {"code": code}
    body = json.dumps({"errors": [error]}, separators=(",", ":")).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if status in (408, 413):
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
