"""Compressed responses: which coding a client takes (``negotiate``, its ``Accept-Encoding``),
and the middleware that compresses what is not a cache hit (``Compression``): uncached GraphQL
answers and misses, the CSV reports, the GraphiQL page and its assets.

A response is compressed when its type is text (``COMPRESSIBLE``) and its body at least
``cache.compression.MIN_BYTES``; every such response says ``Vary: Accept-Encoding``, whether
or not this client took a coding. Smaller ones, and answers already encoded (a cache hit, in
``prodhub.graphql_requests.send_hit``), partial content and HEAD requests go as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cache import compression
from cache.compression import CODINGS, MIN_BYTES, Coding
from cache.entries import Bodies

COMPRESSIBLE = re.compile(
    rb"\s*(text/(?!event-stream)|application/(json|graphql-response\+json|javascript|xml)"
    rb"|image/svg\+xml)",
    re.IGNORECASE,
)
# RFC 9110's qvalue: 0 to 1 with at most three decimals.
QVALUE = re.compile(r"(0(\.\d{0,3})?|1(\.0{0,3})?)")
CACHED_HEADER_BYTES = 200  # a longer Accept-Encoding is read every time, never remembered
# The scope key where the GraphQL view leaves the bodies of a response it just stored, already
# compressed (``cache.entries.Bodies``): the response that computed them sends them as they are.
STORED = "prodhub.stored"


def accept_encoding(headers: Iterable[tuple[bytes, bytes]]) -> bytes | None:
    """A request's ``Accept-Encoding``, several of them as one list (RFC 9110)."""
    found = [value for name, value in headers if name == b"accept-encoding"]
    return b",".join(found) if found else None


def negotiate(accept_encoding: bytes | None) -> Coding | None:
    """The coding to send (``br`` before ``gzip`` when both are taken as gladly), or None for
    the body as it is: no header, an empty one, codings all refused with ``q=0``, or
    ``identity`` preferred."""
    if not accept_encoding:
        return None
    if len(accept_encoding) > CACHED_HEADER_BYTES:
        return _negotiate(accept_encoding)
    return _remembered(accept_encoding)


@lru_cache(maxsize=256)
def _remembered(accept_encoding: bytes) -> Coding | None:
    return _negotiate(accept_encoding)


def _negotiate(accept_encoding: bytes) -> Coding | None:
    weights: dict[str, float] = {}
    for item in accept_encoding.decode("latin-1").split(","):
        name, *params = (part.strip() for part in item.split(";"))
        name = name.lower()
        if name == "x-gzip":  # RFC 9110: the same as gzip
            name = "gzip"
        weight = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                value = value.strip()
                weight = float(value) if QVALUE.fullmatch(value) else 0.0  # unreadable: refused
        if name:
            weights[name] = weight
    anything = weights.get("*", 0.0)
    best: Coding | None = None
    best_weight = 0.0
    for coding in CODINGS:  # in order of preference: a tie keeps the first
        weight = weights.get(coding, anything)
        if weight > best_weight:
            best, best_weight = coding, weight
    if best is not None and weights.get("identity", 0.0) > best_weight:
        return None  # the client asked for the body as it is, rather
    return best


class Compression:
    """The ASGI middleware for responses that are not cache hits."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "HEAD":
            await self.app(scope, receive, send)
            return
        coding = negotiate(accept_encoding(scope["headers"]))
        await self.app(scope, receive, _Responder(scope, send, coding).send)


class _Responder:
    """One response's ``send``: the start held until the first part of the body says whether
    it is worth compressing (or, with a ``Content-Length`` under ``MIN_BYTES``, sent at once)."""

    def __init__(self, scope: Scope, send: Send, coding: Coding | None) -> None:
        self.scope = scope
        self._send = send
        self.coding = coding
        self.start: Message | None = None
        self.passing = False  # sent as it is
        self.stream: compression.Stream | None = None

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            if _as_it_is(message):
                self.passing = True
                await self._send(message)
            else:
                self.start = message
        elif kind != "http.response.body" or self.passing:
            if self.start is not None:  # a body sent some other way (a file's path): as it is
                start, self.start, self.passing = self.start, None, True
                await self._send(start)
            await self._send(message)
        elif self.start is not None:
            await self._first(message)
        else:
            await self._next(message)

    async def _first(self, message: Message) -> None:
        start, self.start = self.start, None
        assert start is not None
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if not more and len(body) < MIN_BYTES:
            self.passing = True
            await self._send(start)
            await self._send(message)
            return
        start["headers"] = raw = list(start.get("headers", ()))
        headers = MutableHeaders(raw=raw)
        if "accept-encoding" not in headers.get("vary", "").lower():
            headers.add_vary_header("Accept-Encoding")
        if self.coding is not None:
            headers["content-encoding"] = self.coding
            etag = headers.get("etag")
            if etag is not None and not etag.startswith("W/"):  # the same content, not bytes
                headers["etag"] = "W/" + etag
            if more:
                del headers["content-length"]
                self.stream = compression.Stream(self.coding)
                body = await self.stream.compressed(body, last=False)
            else:
                body = await self._compressed(body, self.coding)
                headers["content-length"] = str(len(body))
        await self._send(start)
        await self._send({**message, "body": body})

    async def _compressed(self, body: bytes, coding: Coding) -> bytes:
        stored: Bodies | None = self.scope.get(STORED)
        if stored is not None and coding in stored.encoded and stored.identity == body:
            return stored.encoded[coding]
        return await compression.compressed(body, coding)

    async def _next(self, message: Message) -> None:
        if self.stream is None:
            await self._send(message)
            return
        more = bool(message.get("more_body", False))
        body = await self.stream.compressed(message.get("body", b""), last=not more)
        await self._send({**message, "body": body})


def _as_it_is(start: Message) -> bool:
    """Whether a response is sent without looking at its body: not text, already encoded,
    partial, or declared smaller than ``MIN_BYTES``."""
    if start["status"] in (204, 206, 304):
        return True
    content_type = None
    for name, value in start.get("headers", ()):
        if name == b"content-encoding":
            return True
        if name == b"content-type":
            content_type = value
        elif name == b"content-length" and value.isdigit() and int(value) < MIN_BYTES:
            return True
    return content_type is None or COMPRESSIBLE.match(content_type) is None
