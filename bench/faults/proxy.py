"""A loopback TCP proxy in front of a real server that fails on demand, the way networks do.

- ``refuse()``: stop listening and reset (RST) every live connection: clients see "connection
  refused" (a server or host that is down);
- ``black_hole()``: every connection, live or new, stops carrying data; new ones are still
  accepted (a partition: packets dropped, clients wait for their timeouts);
- ``freeze()``: the live connections stop carrying data; new ones work (a NAT or firewall
  that forgot idle connections);
- ``close_all()``: close every live connection gracefully, as a server that restarts does;
- ``restore()``: back to normal. Data held by a black hole or a freeze is delivered then, as
  TCP retransmits it after a partition heals.

It runs on the event loop it is started on; ``ProxyThread`` runs it on a loop of its own for
callers that block (a benchmark driving subprocesses).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

CHUNK = 1 << 16
LINGER_ZERO = struct.pack("ii", 1, 0)  # close() sends RST
T = TypeVar("T")


@dataclass(eq=False)
class _Link:
    """One client connection and its upstream; ``held`` data waits for ``restore``."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    held: bool = False
    waiting: list[tuple[asyncio.StreamWriter, bytes]] = field(default_factory=list)

    def close(self, *, abort: bool) -> None:
        """Gracefully (FIN), or by a reset (RST: zero linger), as a host that went away."""
        for end in (self.client, self.upstream):
            if end is None or end.transport.is_closing():
                continue
            if abort:
                sock = end.get_extra_info("socket")
                if sock is not None:
                    with contextlib.suppress(OSError, ValueError):
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER_ZERO)
                end.transport.abort()
            else:
                end.close()


class FaultProxy:
    def __init__(self, host: str, port: int, *, listen_port: int = 0) -> None:
        self.target = (host, port)
        self.port = listen_port
        self.mode = "pass"
        self.accepted = 0  # connections accepted since the start
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def live(self) -> int:
        return len(self._links)

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def refuse(self) -> None:
        self.mode = "refuse"
        await self._stop_listening()
        for link in list(self._links):
            link.close(abort=True)

    def black_hole(self) -> None:
        self.mode = "black-hole"
        for link in self._links:
            link.held = True

    def freeze(self) -> None:
        """Live connections go silent; new ones pass."""
        self.mode = "pass"
        for link in self._links:
            link.held = True

    def close_all(self) -> None:
        for link in list(self._links):
            link.close(abort=False)

    async def restore(self) -> None:
        self.mode = "pass"
        for link in list(self._links):
            link.held = False
            for sink, data in link.waiting:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    sink.write(data)
            link.waiting.clear()
        if self._server is None:
            await self.start()

    async def stop(self) -> None:
        """Refuse, and wait until every connection's task has ended."""
        await self.refuse()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        link = _Link(writer, held=self.mode == "black-hole")
        self._links.add(link)
        try:
            up_reader, link.upstream = await asyncio.open_connection(*self.target)
            await asyncio.gather(
                self._pipe(link, reader, link.upstream), self._pipe(link, up_reader, writer)
            )
        except (ConnectionError, OSError):
            pass
        except asyncio.CancelledError:
            pass  # stopped: this connection's task ends here (asyncio logs a cancelled one)
        finally:
            self._links.discard(link)
            link.close(abort=True)

    async def _pipe(
        self, link: _Link, source: asyncio.StreamReader, sink: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(CHUNK):
                if link.held:
                    link.waiting.append((sink, data))
                    continue
                sink.write(data)
                await sink.drain()
            if not link.held:
                sink.close()  # the other side finished: pass its FIN on
        link.close(abort=False)


class ProxyThread:
    """A ``FaultProxy`` on an event loop of its own, driven from blocking code."""

    def __init__(self, host: str, port: int, *, listen_port: int = 0) -> None:
        self.proxy = FaultProxy(host, port, listen_port=listen_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.port = self._run(self.proxy.start())

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=10)

    def refuse(self) -> None:
        self._run(self.proxy.refuse())

    def _call(self, change: Callable[[], None]) -> None:
        async def on_loop() -> None:
            change()

        self._run(on_loop())

    def black_hole(self) -> None:
        self._call(self.proxy.black_hole)

    def freeze(self) -> None:
        self._call(self.proxy.freeze)

    def close_all(self) -> None:
        self._call(self.proxy.close_all)

    def restore(self) -> None:
        self._run(self.proxy.restore())

    def stop(self) -> None:
        self._run(self.proxy.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()  # its self-pipe's sockets too
