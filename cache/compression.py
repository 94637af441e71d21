"""The content codings responses are sent in: brotli (``br``) and gzip, at levels chosen for
dynamic responses, and only for bodies of at least ``MIN_BYTES`` (below that the coding's own
framing and the work cost more than the bytes saved).

Levels, measured on a 35 KB leaderboard page (``python -m bench.compression``): gzip 5 makes
6.1 KB in 0.16-0.24 ms (6: 2 % smaller for 20-45 % more time; 9: 4 % smaller for three to four
times the time); brotli 5 makes 5.6 KB in 0.26-0.38 ms (4: 7 % larger; 11, the library's
default: 11 % smaller for over 100 times the time). A cached response is compressed once, when
it is stored, and served compressed as many times as it is asked for; an uncached one is
compressed as it is sent.

Both libraries let go of the GIL while they work, so a body of ``THREAD_BYTES`` or more is
compressed in a worker thread: a 16 MB response does not hold the event loop for a second.
"""

from __future__ import annotations

import asyncio
import zlib
from typing import Literal

import brotli

Coding = Literal["br", "gzip"]
CODINGS: tuple[Coding, ...] = ("br", "gzip")  # every coding a stored response keeps
MIN_BYTES = 1024
THREAD_BYTES = 64 << 10
GZIP_LEVEL = 5
BROTLI_QUALITY = 5
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip member (header and trailer), not a zlib stream


def compress(body: bytes, coding: Coding) -> bytes:
    """``body`` in ``coding``, all at once (the gzip header's time is 0: the same body gives
    the same bytes)."""
    if coding == "br":
        return bytes(brotli.compress(body, quality=BROTLI_QUALITY))
    return zlib.compress(body, GZIP_LEVEL, wbits=_GZIP_WBITS)


async def compressed(body: bytes, coding: Coding) -> bytes:
    """``compress``, in a worker thread for a large body."""
    if len(body) >= THREAD_BYTES:
        return await asyncio.to_thread(compress, body, coding)
    return compress(body, coding)


async def variants(body: bytes) -> dict[Coding, bytes]:
    """``body`` in every coding of ``CODINGS``; none for a body under ``MIN_BYTES``."""
    if len(body) < MIN_BYTES:
        return {}
    return {coding: await compressed(body, coding) for coding in CODINGS}


class Stream:
    """A body sent in parts, compressed as it goes: every part is flushed, so what was sent
    can be decoded before the next part arrives."""

    def __init__(self, coding: Coding) -> None:
        self.coding = coding
        if coding == "br":
            self._brotli = brotli.Compressor(quality=BROTLI_QUALITY)
        else:
            self._gzip = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, _GZIP_WBITS)

    def part(self, body: bytes, *, last: bool) -> bytes:
        if self.coding == "br":
            out = self._brotli.process(body)
            return bytes(out + (self._brotli.finish() if last else self._brotli.flush()))
        flush = zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH
        return self._gzip.compress(body) + self._gzip.flush(flush)

    async def compressed(self, body: bytes, *, last: bool) -> bytes:
        if len(body) >= THREAD_BYTES:
            return await asyncio.to_thread(self.part, body, last=last)
        return self.part(body, last=last)
