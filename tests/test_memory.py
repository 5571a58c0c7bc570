"""What a server holds of a closed tab, and what it gives back (issue 18: the server's RSS within 1 GB for a class
beside heavy links): a session keeps no run once the shared caches let it go (`state.run_fragment`), and freed heap
pages go back to the system (playground/memory.py)."""

import ctypes

import pytest

from playground import memory
from playground.sections import state


def test_a_run_fragment_keeps_only_its_options(monkeypatch):
    """`st.fragment` keeps the arguments of its call in the session until the page's next full run (and a closed
    tab's session lives on for 30 s): a view's fragment is called with its small options only, is handed the page's
    run in passing, and on its own reruns looks the run up in the shared caches."""
    fragments, kept, seen = [], [], []

    def fragment(function):  # st.fragment's part here: keep each call's arguments, run it
        def call(*args):
            kept.append(args)
            function(*args)

        fragments.append(call)
        return call

    monkeypatch.setattr(state.st, "fragment", fragment)
    view = state.run_fragment(lambda exp, reference, log_scale: seen.append((exp, reference, log_scale)))
    page, exact = object(), object()
    view(page, exact, True)  # the page's full run
    assert kept == [(True,)] and seen == [(page, exact, True)]
    cached = object(), None
    monkeypatch.setattr(state, "page_run", lambda: cached)
    fragments[0](*kept[0])  # the fragment's own rerun, as Streamlit makes it from what it kept
    assert seen[-1] == (*cached, True)


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
