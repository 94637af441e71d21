"""One request straight to an ASGI app, and its answer as sent: the raw body (no client in
between decodes it) and every header."""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass

import brotli
from starlette.types import ASGIApp, Message


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    raw: bytes
    parts: int  # body messages sent

    def header(self, name: str) -> str | None:
        """The header's one value (None when absent; a repeated one fails the test)."""
        found = [value for key, value in self.headers if key == name]
        assert len(found) <= 1, f"{name} sent {len(found)} times"
        return found[0] if found else None

    @property
    def decoded(self) -> bytes:
        coding = self.header("content-encoding")
        if coding == "br":
            return bytes(brotli.decompress(self.raw))
        if coding == "gzip":
            return zlib.decompress(self.raw, wbits=16 + zlib.MAX_WBITS)
        assert coding is None, coding
        return self.raw


async def call(
    app: ASGIApp,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    query: str = "",
) -> Answer:
    sent: list[Message] = []
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client stays connected
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if body:
        raw_headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
        "query_string": query.encode(), "root_path": "", "headers": raw_headers,
        "client": ("127.0.0.1", 50000), "server": ("t", 80), "state": {},
    }  # fmt: skip
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    parts = [m for m in sent if m["type"] == "http.response.body"]
    return Answer(
        status=start["status"],
        headers=[(k.decode().lower(), v.decode()) for k, v in start["headers"]],
        raw=b"".join(m.get("body", b"") for m in parts),
        parts=len(parts),
    )
