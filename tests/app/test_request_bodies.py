"""Request bodies on a real socket: a refused body is read and dropped so that the client gets
its 413, and a body that stops arriving is answered 408 instead of holding the request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import uvicorn

from core.settings import Settings
from prodhub import http_guard
from prodhub.app import create_app
from prodhub.http_guard import MAX_BODY_BYTES

LIMIT = f'{{"errors":[{{"message":"request bodies are limited to {MAX_BODY_BYTES} bytes"}}]}}'


@asynccontextmanager
async def serving(tmp_path: Path) -> AsyncIterator[int]:
    """The app on a free loopback port, as ``prodhub serve`` runs it; the port."""
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'bodies.db'}")
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers a flag, not an event)
        await asyncio.sleep(0.01)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        await task
        await config.loaded_app.app.state.resources.aclose()


def head(length: int, *extra: str) -> bytes:
    lines = ["POST /graphql HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
             f"Content-Length: {length}", *extra]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def answer(reader: asyncio.StreamReader) -> tuple[str, bytes]:
    """The status line and body of the response (the server closes after it)."""
    raw = await asyncio.wait_for(reader.read(), timeout=10)
    status, _, rest = raw.partition(b"\r\n")
    return status.decode(), rest.partition(b"\r\n\r\n")[2]


async def test_a_client_sending_a_too_large_body_reads_its_413(tmp_path: Path) -> None:
    body = b" " * (2 << 20)  # 2 MiB, sent without waiting for 100 Continue

    async with serving(tmp_path) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head(len(body)) + body[: 64 << 10])
        await writer.drain()
        await asyncio.sleep(0.3)  # the answer is ready by now; the rest follows it
        writer.write(body[64 << 10 :])
        await writer.drain()
        status, text = await answer(reader)
        writer.close()

    assert (status, text.decode()) == ("HTTP/1.1 413 Request Entity Too Large", LIMIT)


async def test_a_client_waiting_to_continue_gets_its_413_without_sending(tmp_path: Path) -> None:
    async with serving(tmp_path) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.monotonic()
        writer.write(head(2 << 20, "Expect: 100-continue"))
        await writer.drain()
        status, text = await answer(reader)
        waited = time.monotonic() - started
        writer.close()

    assert (status, text.decode()) == ("HTTP/1.1 413 Request Entity Too Large", LIMIT)
    assert waited < http_guard.DRAIN_SECONDS  # nothing was waited for


async def test_a_body_that_stops_arriving_is_answered_408(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_guard, "BODY_IDLE_SECONDS", 0.5)

    async with serving(tmp_path) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.monotonic()
        writer.write(head(500) + b'{"query": "{ viewer { authenticated } }"')  # 40 of 500
        await writer.drain()
        status, text = await answer(reader)
        waited = time.monotonic() - started
        writer.close()

    assert status == "HTTP/1.1 408 Request Timeout"
    assert text == (
        b'{"errors":[{"message":"the request body did not arrive within 0.5 s of its last part'
        b' or 60 s in all"}]}'
    )
    assert 0.5 <= waited < 3


async def test_a_body_that_trickles_past_the_total_time_is_answered_408(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_guard, "BODY_TOTAL_SECONDS", 1.0)

    async with serving(tmp_path) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.monotonic()
        writer.write(head(500))
        first = b""
        for _ in range(30):  # a byte every 0.1 s: never idle for long, never done
            writer.write(b" ")
            await writer.drain()
            try:
                first = await asyncio.wait_for(reader.read(1), timeout=0.1)
                break  # answered: send no more
            except TimeoutError:
                continue
        status = (first + await asyncio.wait_for(reader.read(), 10)).partition(b"\r\n")[0]
        waited = time.monotonic() - started
        writer.close()

    assert status == b"HTTP/1.1 408 Request Timeout"
    assert 1.0 <= waited < 2.5
