"""A websocket message is read into memory whole before anything can look at it: ``prodhub
serve`` takes one of 64 KiB at most (a subscribe's document is refused past 20,000 characters
anyway), not uvicorn's default 16 MiB, and closes the connection on a larger one (1009)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError

from bench.faults import processes
from prodhub.graphql_requests import WS_MAX_MESSAGE_BYTES
from tests.helpers import Backend
from tests.helpers_live import PROTOCOL


async def test_a_message_over_the_bound_closes_the_connection(
    backend: Backend, tmp_path: Path
) -> None:
    if backend.name != "sqlite":
        pytest.skip("uvicorn's websocket bound: one backend shows it")
    web = processes.serve({"PRODHUB_DATABASE_URL": backend.settings.database_url}, tmp_path)
    try:
        await asyncio.to_thread(web.wait_ready)
        url = web.url.replace("http://", "ws://") + "/graphql"
        init = orjson.dumps({"type": "connection_init", "payload": {}}).decode()
        async with connect(url, subprotocols=[PROTOCOL]) as fitting:
            await fitting.send(init + " " * (WS_MAX_MESSAGE_BYTES - len(init)))
            acked = orjson.loads(await asyncio.wait_for(fitting.recv(), 10))
        async with connect(url, subprotocols=[PROTOCOL]) as oversized:
            await oversized.send(init + " " * WS_MAX_MESSAGE_BYTES)
            with pytest.raises(ConnectionClosedError) as closed:
                await asyncio.wait_for(oversized.recv(), 10)
    finally:
        web.process.stop()

    assert acked == {"type": "connection_ack"}
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009  # message too big
