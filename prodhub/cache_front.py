"""The response cache's front door: a request seen before is answered from the cache before
routing, the request guard and the GraphQL view.

The first time, the whole way computes the request's cache key: the viewer from the token,
the document (a persisted query's from the registry), the operation's cache policy, the
variables (``GraphQLApp._lookup``), and tells this layer. Every input of that computation is
in the request's method, query string, body and a few headers (``DECIDING``: the credentials,
the content type and encoding, the CSRF preflight headers), so a request with the same ones
has the same key for as long as its token is valid: this layer remembers the key by them
(a process-local LRU) and, the next time, asks the cache directly. What it remembers is only
*which* entry; whether the entry is still valid is asked of the cache every time, so a write
in any process is visible at the very next read as before.

A miss, a request not seen yet, an expired, revoked or refused token, a token whose user's
stamp this process has not read within ``revocation.STALE_SECONDS``, an API key (checked
against the database every time) and a body without ``Content-Length`` or over
``MAX_BODY_BYTES`` go the whole way, with the body read here handed on; a lookup made here
is handed on too, so a miss does not ask Redis twice. More than one ``Authorization`` header
is a 400 here as in the view.
"""

from __future__ import annotations

from hashlib import blake2b

from cachetools import LRUCache
from starlette.types import ASGIApp, Receive, Scope, Send

from prodhub.compression import negotiate
from prodhub.credentials import ONE_AUTHORIZATION
from prodhub.graphql_app import GraphQLApp
from prodhub.graphql_requests import ROUTED, Routed, send_hit
from prodhub.http_guard import BodyTimeout, read_body, refuse, replay
from prodhub.request_log import Operation, note_remembered, noted_operation
from services import api_keys

PATH = "/graphql"
DECIDING = frozenset(
    {
        b"authorization",
        b"content-type",
        b"content-encoding",
        b"apollo-require-preflight",
        b"x-apollo-operation-name",
    }
)
MAX_BODY_BYTES = 64 << 10  # a dashboard's query with its variables is a few KB
REMEMBERED = 4096  # requests whose keys are kept: about 200 bytes each


class CacheFront:
    def __init__(self, app: ASGIApp, *, graphql: GraphQLApp, remembered: int = REMEMBERED):
        self.app = app
        self.graphql = graphql
        # The request's key, and its operation for the log line of a hit.
        self._keys: LRUCache[bytes, tuple[str, Operation | None]] = LRUCache(maxsize=remembered)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or method not in ("GET", "POST")
            or self.graphql.cache is None
        ):
            await self.app(scope, receive, send)
            return
        authorization = None
        accepted = None  # Accept-Encoding: not in the key, a hit is sent in the coding it names
        credentials = 0
        deciding: list[tuple[bytes, bytes]] = []
        length = -1
        for name, value in scope["headers"]:
            if name in DECIDING:
                deciding.append((name, value))
                if name == b"authorization":
                    authorization = value.decode("latin-1")
                    credentials += 1
            elif name == b"content-length" and value.isdigit():
                length = int(value)
            elif name == b"accept-encoding":  # several: one list (RFC 9110)
                accepted = value if accepted is None else accepted + b"," + value
        if credentials > 1:  # which one would the view read? The same answer everywhere: none
            await refuse(send, 400, ONE_AUTHORIZATION)
            return
        if method == "POST" and not 0 <= length <= MAX_BODY_BYTES:
            await self.app(scope, receive, send)
            return
        if authorization is not None and api_keys.is_api_key(authorization.partition(" ")[2]):
            await self.app(scope, receive, send)
            return
        try:
            body = await read_body(receive, length) if method == "POST" else b""
        except BodyTimeout as late:
            await refuse(send, 408, str(late))
            return
        if body is None:  # more than it declared (a server in front would not pass that)
            await refuse(send, 413, f"the body is longer than its Content-Length, {length}")
            return
        request = _digest(method, scope["query_string"], body, deciding)
        routed = Routed()
        key, operation = self._keys.get(request, (None, None))
        if key is not None and await self._valid_viewer(authorization):
            routed.lookup = await self.graphql.cache.lookup(key)
            if routed.lookup is not None and routed.lookup.entry is not None:
                note_remembered(operation)
                now_ms = round(self.graphql.clock().timestamp() * 1000)
                await send_hit(send, routed.lookup.entry, now_ms, negotiate(accepted))
                return
        scope[ROUTED] = routed
        await self.app(scope, replay(body, receive) if method == "POST" else receive, send)
        if routed.key is not None:
            self._keys[request] = (routed.key, noted_operation())

    async def _valid_viewer(self, authorization: str | None) -> bool:
        """Whether the token is still good (the view's own check: a signature verified once
        per process, its expiry against the clock, and its user's stamp against the stamps in
        memory; when those are stale, the request goes the whole way, which reads them)."""
        _, refused = await self.graphql.viewer(
            authorization, self.graphql.clock(), read_stamps=False
        )
        return refused is None


def _digest(method: str, query: bytes, body: bytes, headers: list[tuple[bytes, bytes]]) -> bytes:
    """What decides a request's key, in 32 bytes (a GET's query string may be 20 KB)."""
    digest = blake2b(method.encode(), digest_size=32)
    for part in (query, body, *(b"%s:%s" % pair for pair in headers)):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()
