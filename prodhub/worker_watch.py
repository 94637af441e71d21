"""The watchdog of a ``prodhub worker`` process, and what it tells ``/metrics`` through Redis.

A Dramatiq worker whose consumer or worker thread died goes on heartbeating (its other
threads do), so the messages it holds are never taken over by another worker, and nothing
runs the dead thread's queue. The watchdog checks, every ``EVERY_SECONDS``:

- that every consumer thread and every worker thread is alive;
- that the process's own Dramatiq heartbeat in Redis moves while Redis answers: consumers
  that are alive but stuck let it go stale, and after ``heartbeat_timeout`` another worker
  takes their messages over anyway.

Either failing, the process logs why and exits at once with ``EXIT_STUCK`` (no graceful stop:
that would wait for the jobs of a worker that no longer works). Its supervisor starts it
again; the broker's maintenance gives its messages to the other workers once its heartbeat is
older than the broker's ``heartbeat_timeout``; a job cut off leaves its day as it was (one
transaction) and is retried.

While healthy the watchdog writes its own heartbeat to ``WORKERS`` (a sorted set: process,
time), and every start of a worker counts in ``STARTS``, every exit of its own in ``EXITS``:
``prodhub/metrics.py`` reads them at each scrape.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

WORKERS = "prodhub:workers:heartbeats"  # sorted set: process -> its last healthy check (s)
STARTS = "prodhub:workers:starts"  # counter: worker processes started
EXITS = "prodhub:workers:exits"  # counter: worker processes the watchdog ended
EVERY_SECONDS = 2.0
STALE_SECONDS = 30.0  # half the broker's heartbeat_timeout: before others take our messages
FORGET_SECONDS = 24 * 3600  # heartbeats of processes gone this long are dropped
EXIT_STUCK = 70  # EX_SOFTWARE: the supervisor starts another


class _Alive(Protocol):
    def is_alive(self) -> bool: ...


class WatchedWorker(Protocol):
    consumers: dict[str, Any]
    workers: list[Any]


def process_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def dead_threads(worker: WatchedWorker) -> list[str]:
    """The names of the worker's threads that are no longer alive."""
    dead = [f"consumer of {queue}" for queue, t in worker.consumers.items() if not t.is_alive()]
    dead += [f"worker thread {i}" for i, t in enumerate(worker.workers) if not t.is_alive()]
    return dead


def stale_heartbeat(now: float, answered_since: float | None, beat: float | None) -> bool:
    """Whether the process's Dramatiq heartbeat (``beat``, seconds, None if absent) is stale
    although Redis has answered every check since ``answered_since``: after an outage the
    consumers get a moment to beat again before they are judged."""
    if answered_since is None or now - answered_since < STALE_SECONDS:
        return False
    return beat is None or now - beat > STALE_SECONDS


class Watchdog(threading.Thread):
    """Watches ``worker`` (a started ``dramatiq.Worker``) on the broker's Redis ``client``
    (a ``redis.Redis``); ``heartbeats`` and ``broker_id`` find its Dramatiq heartbeat.
    ``die`` ends the process (tests give their own)."""

    def __init__(
        self,
        worker: WatchedWorker,
        client: Any,
        *,
        heartbeats: str,
        broker_id: str,
        die: Callable[[int], object] = os._exit,
        every: float = EVERY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(name="prodhub-watchdog", daemon=True)
        self.worker, self.client, self.die = worker, client, die
        self.heartbeats, self.broker_id = heartbeats, broker_id
        self.every, self.clock = every, clock
        self.name_in_redis = process_name()
        self.answered_since: float | None = None
        self._stopping = threading.Event()

    def stop(self) -> None:
        """Before a graceful stop, whose threads end on purpose."""
        self._stopping.set()
        self.join(timeout=10)

    def run(self) -> None:
        while not self._stopping.wait(self.every):
            problem = self.check()
            if problem is not None and not self._stopping.is_set():
                log.critical("worker is no longer working (%s): exiting", problem)
                self._count(EXITS)
                self.die(EXIT_STUCK)
                return

    def check(self) -> str | None:
        """What is wrong, or None; a healthy check writes this process's heartbeat."""
        dead = dead_threads(self.worker)
        if dead:
            return "dead: " + ", ".join(dead)
        now = self.clock()
        try:
            score = self.client.zscore(self.heartbeats, self.broker_id)
            if self.answered_since is None:
                self.answered_since = now
            beat = None if score is None else float(score) / 1000  # Dramatiq's are milliseconds
            if stale_heartbeat(now, self.answered_since, beat):
                return "its heartbeat stopped while Redis answered"
            with self.client.pipeline(transaction=False) as pipe:
                pipe.zadd(WORKERS, {self.name_in_redis: now})
                pipe.zremrangebyscore(WORKERS, 0, now - FORGET_SECONDS)
                pipe.execute()
        except Exception as error:  # Redis down: the consumers ride it out
            log.warning("watchdog: Redis did not answer: %s", type(error).__name__)
            self.answered_since = None
        return None

    def count_start(self) -> None:
        self._count(STARTS)

    def _count(self, key: str) -> None:
        try:
            self.client.incr(key)
        except Exception as error:
            log.warning("watchdog: could not count %s: %s", key, type(error).__name__)
