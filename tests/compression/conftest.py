"""What the compression tests share: a count of every body compressed, by coding."""

from __future__ import annotations

import pytest

from cache import compression


@pytest.fixture
def compressed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The coding of every whole body compressed from now on (``cache.compression.compress``,
    which storing an entry and compressing an uncached response both call)."""
    calls: list[str] = []
    compress = compression.compress

    def counted(body: bytes, coding: compression.Coding) -> bytes:
        calls.append(coding)
        return compress(body, coding)

    monkeypatch.setattr(compression, "compress", counted)
    return calls
