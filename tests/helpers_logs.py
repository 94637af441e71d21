"""What tests of the logs share: the process's log lines as an operator reads them
(``configure_logging`` with JSON lines into a buffer, each line parsed), and the logging set
up before restored afterwards."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from core.settings import Settings
from prodhub.logs import configure_logging


class Lines:
    """What was logged, each line a JSON object."""

    def __init__(self, buffer: io.StringIO) -> None:
        self.buffer = buffer

    @property
    def text(self) -> str:
        """The server's lines (not those of the test's HTTP client, which logs each request)."""
        lines = self.buffer.getvalue().splitlines(keepends=True)
        return "".join(line for line in lines if json.loads(line).get("logger") != "httpx")

    def all(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines()]

    def events(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.all() if line["event"] == event]

    def clear(self) -> None:
        self.buffer.seek(0)
        self.buffer.truncate()


@contextmanager
def captured() -> Iterator[Lines]:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    buffer = io.StringIO()
    configure_logging(Settings(log_format="json", log_level="INFO"), stream=buffer)
    try:
        yield Lines(buffer)
    finally:
        root.handlers[:] = before[0]
        root.setLevel(before[1])
        logging.captureWarnings(False)
        structlog.reset_defaults()
