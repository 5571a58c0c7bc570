"""The server gives the memory of freed results back to the system (glibc's allocator; elsewhere nothing to do).

Python frees a dropped run's arrays, but glibc keeps the freed pages in its heaps for reuse, one heap (arena) per
thread up to 8 per core, and Streamlit runs every script run in a new thread. Under a stream of heavy links the
live results stayed at the caches' ~370 MB (traced) while the server's RSS went on to 1.25–1.38 GB
(benchmarks/bench_hostile.py). Two standard glibc calls bound that: fewer arenas (`mallopt(M_ARENA_MAX)`, what
the MALLOC_ARENA_MAX variable sets) and `malloc_trim(0)`, which returns every free page of every arena.
"""

from __future__ import annotations

import ctypes
import functools
import sys

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2  # one per core of the machines this runs on: threads share them, as they share the interpreter lock


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """glibc, or None where the C library is another (macOS, Windows, musl) or cannot be loaded."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


@functools.cache
def limit_arenas() -> bool:
    """Once per process: at most ARENAS malloc arenas for the threads made from now on; whether it applied."""
    libc = _glibc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, ARENAS))


def release_free_memory() -> bool:
    """Return the free pages of every malloc arena to the system; whether any was returned."""
    libc = _glibc()
    return bool(libc is not None and libc.malloc_trim(0))
