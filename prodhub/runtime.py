"""Process-level tuning for serving processes."""

from __future__ import annotations

import gc

# A request allocates tens of thousands of short-lived objects (field results, rows); with
# CPython's default gen-0 threshold (700) that triggers full collections over the long-lived
# heap (schema, mappers, modules) every few requests, which doubled p95 in bench/dashboard.py.
GEN0_THRESHOLD = 50_000


def tune_gc() -> None:
    """Move everything alive at startup out of the collector's sight; collect gen 0 rarer."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GEN0_THRESHOLD, gen1, gen2)
