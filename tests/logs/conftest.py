"""The ``logs`` fixture: what the test's code logs, as JSON lines (``tests.helpers_logs``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers_logs import Lines, captured


@pytest.fixture
def logs() -> Iterator[Lines]:
    with captured() as lines:
        yield lines
