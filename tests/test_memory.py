"""What the server gives back (issue 18: the server's RSS within 1 GB for a class beside heavy links): freed heap
pages go back to the system (playground/memory.py)."""

import ctypes

import pytest

from playground import memory


@pytest.mark.skipif(memory._glibc() is None, reason="glibc's allocator only (other C libraries: nothing to do)")
def test_freed_pages_go_back_to_the_system():
    """Blocks of 4 KB (malloc's, not Python's small-object pools), every 64th kept: the heap cannot shrink from its
    top, so its free pages stay in the process until malloc_trim returns them."""
    libc = ctypes.CDLL("libc.so.6")
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    libc.memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    blocks = [libc.malloc(4096) for _ in range(64 * 1024)]  # 256 MB, touched so that it is resident
    for block in blocks:
        libc.memset(block, 1, 4096)
    kept = blocks[::64]
    before = rss_mb()
    for i, block in enumerate(blocks):
        if i % 64:
            libc.free(block)
    freed_but_held = rss_mb()
    assert memory.release_free_memory()
    after = rss_mb()
    for block in kept:
        libc.free(block)
    assert before - freed_but_held < 0.5 * 252  # glibc kept most of the freed 252 MB
    assert freed_but_held - after > 0.5 * 252, (before, freed_but_held, after)


def test_the_arena_limit_applies_once_per_process():
    applied = memory.limit_arenas()
    assert applied is (memory._glibc() is not None)
    assert memory.limit_arenas() is applied  # cached: the page calls it on every run


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))
