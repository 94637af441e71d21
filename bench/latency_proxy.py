"""A TCP proxy that adds network latency, to model a database on another host.

    python -m bench.latency_proxy --port 40001 --target 127.0.0.1:3306 --rtt-ms 0.5

Every chunk is forwarded half the round-trip time after it arrived, in both directions and in
order, like a link with that RTT and ample bandwidth. Threads and ``time.sleep`` keep the
delay precise to tens of microseconds (an asyncio timer rounds up to whole milliseconds).
The kernel's netem would do the same, but it is not available in every sandbox. The
benchmark measures the latency this really adds and reports that, not the configured value.
"""

from __future__ import annotations

import argparse
import contextlib
import queue
import socket
import threading
import time

CHUNK = 1 << 16


def _forward(source: socket.socket, sink: socket.socket, delay: float) -> None:
    pending: queue.SimpleQueue[tuple[float, bytes]] = queue.SimpleQueue()

    def send() -> None:
        with contextlib.suppress(OSError):  # the other side went away: nothing left to do
            while True:
                due, data = pending.get()
                wait = due - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                if not data:
                    sink.shutdown(socket.SHUT_WR)
                    return
                sink.sendall(data)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    try:
        while data := source.recv(CHUNK):
            pending.put((time.perf_counter() + delay, data))
    except OSError:
        pass
    pending.put((time.perf_counter() + delay, b""))
    sender.join()


def _connect(client: socket.socket, target: tuple[str, int], delay: float) -> None:
    server = socket.create_connection(target)
    for s in (client, server):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    threading.Thread(target=_forward, args=(server, client, delay), daemon=True).start()
    with contextlib.suppress(OSError):
        _forward(client, server, delay)


def serve(port: int, target: tuple[str, int], rtt_ms: float) -> None:
    listener = socket.create_server(("127.0.0.1", port))
    while True:
        client, _ = listener.accept()
        threading.Thread(target=_connect, args=(client, target, rtt_ms / 2000), daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--target", required=True, help="host:port on loopback")
    parser.add_argument("--rtt-ms", type=float, required=True)
    args = parser.parse_args()
    host, _, target_port = args.target.rpartition(":")
    serve(args.port, (host, int(target_port)), args.rtt_ms)


if __name__ == "__main__":
    main()
