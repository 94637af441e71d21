"""The C heap of a ``prodhub worker``.

glibc gives threads heaps (arenas) of their own, up to eight per processor, each reserving
64 MB of address space: a worker's dozen threads (its worker threads, a consumer per queue,
the event loop, the watchdog) made it an 820 MB process (1.1 GB with ``--threads 8``) whose
resident size was 90-150 MB. Its threads mostly wait (the jobs run on one event loop), so two
arenas cost nothing in contention: the worker then reserves about 275 MB, its resident size
unchanged. ``MALLOC_ARENA_MAX`` in the environment still wins. Elsewhere than glibc, nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # mallopt's parameter (malloc.h)
ARENAS = 2


def limit_malloc_arenas() -> bool:
    """Before the worker starts its threads; whether the limit was set."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False  # the operator's, read by glibc at start
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        return bool(ctypes.CDLL(name).mallopt(M_ARENA_MAX, ARENAS))
    except (OSError, AttributeError):
        return False
