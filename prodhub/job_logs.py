"""A job's log lines carry the id of what asked for it.

A message enqueued while a request runs takes the request's id (bound in structlog's context
variables by ``prodhub.request_log``) as its ``request_id`` option; the scheduler binds each
tick's key (``refresh_scores:2026-11-22/2026-11-22T10:05``) while it sends it. The worker
binds the message's id, the job and the message id for every line logged while it runs, and
logs one line when it ends (``job finished``: the outcome and the duration). A retry is the
same message: it keeps its id. A message sent without one (by hand, by an older process) is
logged under ``job-<message id>``.

The actor's arguments are untouched: the id travels in the message's options, which actors
never see.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from dramatiq import Broker, Message, Middleware
from dramatiq.broker import MessageProxy
from structlog.contextvars import bind_contextvars, get_contextvars, reset_contextvars

from prodhub.logs import is_outage, one_line

log = logging.getLogger("prodhub.jobs")

OPTION = "request_id"


class JobLogging(Middleware):
    def __init__(self) -> None:
        self._running = threading.local()  # a worker thread runs one message at a time

    def before_enqueue(self, broker: Broker, message: Message[Any], delay: int) -> None:
        if OPTION not in message.options:
            request_id = get_contextvars().get(OPTION)
            if isinstance(request_id, str):
                message.options[OPTION] = request_id

    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        request_id = message.options.get(OPTION) or f"job-{message.message_id}"
        bound = bind_contextvars(
            request_id=request_id, job=message.actor_name, message_id=message.message_id
        )
        self._running.state = (bound, time.perf_counter())

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any | None = None,
        exception: BaseException | None = None,
    ) -> None:
        state = getattr(self._running, "state", None)
        if state is None:
            return
        bound, started = state
        fields: dict[str, Any] = {
            "outcome": "ok" if exception is None else "failed",
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "retries": message.options.get("retries", 0),
        }
        if exception is not None:
            fields["error"] = one_line(exception)
            if is_outage(exception):
                fields["code"] = "SERVICE_UNAVAILABLE"
        log.info("job finished", extra=fields)
        self._end(bound)

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        state = getattr(self._running, "state", None)
        if state is not None:
            self._end(state[0])

    def _end(self, bound: Any) -> None:
        self._running.state = None
        reset_contextvars(**bound)
