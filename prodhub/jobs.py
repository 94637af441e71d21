"""The queue side of the composition root: the broker, and the middleware that gives a worker
its resources (built by ``build_resources``, so its writes drop cached responses too).

With ``PRODHUB_REDIS_URL`` messages go through Redis to ``prodhub worker`` processes; without
it (the embedded default, and the tests) a ``StubBroker`` keeps them in process. A process has
one set of resources: the embedded worker and scheduler run on the web app's, so what a job
writes drops the web's cached responses at once.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from dramatiq import Broker, Middleware, Worker
from dramatiq.asyncio import EventLoopThread, get_event_loop_thread, set_event_loop_thread
from dramatiq.brokers.stub import StubBroker
from dramatiq.logging import get_logger
from dramatiq.middleware import AsyncIO

from core.settings import Settings
from prodhub.job_logs import JobLogging
from prodhub.redis_broker import RecoveringRedisBroker
from prodhub.resources import Resources, build_resources
from prodhub.scheduler import Scheduler
from tasks.registry import declare
from tasks.runtime import Runtime, install


class WorkerResources(Middleware):
    """Opens the process's resources when a worker boots and closes them when it stops (on
    the worker's event loop, where its connections were made)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.resources: Resources | None = None

    def before_worker_boot(self, broker: Broker, worker: Worker) -> None:
        self.resources = build_resources(self.settings)
        if self.settings.otel_enabled:  # else nothing of OpenTelemetry is imported
            from prodhub.tracing import trace_database

            trace_database(self.resources.db)
        install(Runtime(self.resources.db, self.settings))

    def after_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        install(None)
        loop = get_event_loop_thread()
        if self.resources is not None and loop is not None:
            loop.run_coroutine(self.resources.aclose())
        self.resources = None


# A worker that dies (SIGKILL, OOM, lost host) holds its messages until another worker's fetch
# runs Redis "maintenance", which requeues the messages of workers silent for 60 s. Dramatiq
# runs it on 0.1% of fetches (about every 8 idle minutes per worker), too late for a refresh
# whose age limit is 10 minutes; on 1% a dead worker's message is retried within ~2 minutes.
REDIS_BROKER_OPTIONS = {"heartbeat_timeout": 60_000, "maintenance_chance": 10_000}


def build_broker(settings: Settings, **redis_options: Any) -> Broker:
    broker: Broker = (
        RecoveringRedisBroker(url=settings.redis_url, **REDIS_BROKER_OPTIONS | redis_options)
        if settings.redis_url
        else StubBroker()
    )
    broker.add_middleware(AsyncIO())  # actors are coroutines, run on the worker's event loop
    broker.add_middleware(WorkerResources(settings))
    broker.add_middleware(JobLogging())  # the request id of what enqueued a job, in its lines
    return broker


class RunningLoop(EventLoopThread):
    """Dramatiq's event loop for async actors, on a loop that runs already (the web app's): a
    worker thread hands each actor's coroutine to it and waits for the result. Never started
    or stopped here: the loop belongs to the web server."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        threading.Thread.__init__(self, name="prodhub-web-loop")  # no loop of its own
        self.loop, self.interrupt_check_ival = loop, 0.1
        self.logger = get_logger(__name__, type(self))  # type: ignore[no-untyped-call]

    def stop(self) -> None:
        return None


class WebResources(Middleware):
    """The embedded worker's resources are the web app's, and its actors run on the web app's
    event loop, where those engines and that cache were made. A set of its own would make its
    writes drop entries of its own in-memory cache, never the web's: stale scores for a TTL."""

    def __init__(self, resources: Resources) -> None:
        self.resources = resources
        self.loop: asyncio.AbstractEventLoop | None = None  # set by ``EmbeddedJobs.start``

    def before_worker_boot(self, broker: Broker, worker: Worker) -> None:
        # A worker started on the web loop itself (rather than from it, in a thread) runs there.
        loop = self.loop or asyncio.get_running_loop()
        set_event_loop_thread(RunningLoop(loop))
        install(Runtime(self.resources.db, self.resources.settings))

    def after_worker_shutdown(self, broker: Broker, worker: Worker) -> None:
        install(None)
        set_event_loop_thread(None)


class EmbeddedJobs:
    """The embedded default's worker and scheduler, inside the one web process and on its
    resources: a StubBroker carries the messages, a worker thread takes them and runs each
    actor on the web loop, where the scheduler runs too."""

    def __init__(self, resources: Resources) -> None:
        self.broker = StubBroker()
        self.web = WebResources(resources)
        self.broker.add_middleware(self.web)
        self.broker.add_middleware(JobLogging())
        self.actors = declare(self.broker)
        self.worker = Worker(self.broker, worker_threads=1)
        self.scheduler = Scheduler(resources, self.actors)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.web.loop = asyncio.get_running_loop()
        await asyncio.to_thread(self.worker.start)
        self._task = asyncio.create_task(self.scheduler.run(self._stop))

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task
        await asyncio.to_thread(self.worker.stop)
