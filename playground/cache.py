"""Results shared by every session of the server, within a memory budget in bytes.

Streamlit's `st.cache_data` bounds a cache by its number of entries and hands every session its own unpickled
copy of a result: 64 digits runs of 26 MB, or races of 100 MB, grew one server past 2.8 GB. Here a cache holds
each result once, measured in bytes (`nbytes`), and drops the least recently used results to stay within its
budget; every session gets the same object, so a session holds no private copy of a big run. The arrays of a
stored result are made read-only, so nothing can change what another session sees.

    RUNS = SharedCache("runs", max_bytes=192 * MB)
    exp = RUNS.get(key, lambda: run_experiment(settings))

One computation per key at a time: a second request for a key being computed waits for the first (calling
`wait_check` every 0.1 s, so a waiting page can still be stopped), then shares its result. Pure Python.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

MB = 1024 * 1024
CEILING_BYTES = 460 * MB  # all the caches of the page together (README: what one server holds)
WAIT_POLL_S = 0.1

_CACHES: list[SharedCache] = []


def nbytes(value: Any) -> int:
    """The memory a result holds, in bytes: its NumPy arrays (each buffer counted once), pandas objects, bytes and
    strings, through dataclasses, tuples, lists, dicts and plain objects; other objects by `sys.getsizeof`."""
    seen: set[int] = set()

    def walk(obj) -> int:
        if id(obj) in seen:
            return 0
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            base = obj
            while isinstance(base.base, np.ndarray):
                base = base.base
            if base is not obj and id(base) in seen:
                return 0
            seen.add(id(base))
            return base.nbytes + (walk(base.base) if base.base is not None else 0)
        if isinstance(obj, (bytes, bytearray, str, int, float, bool, complex, type(None))):
            return sys.getsizeof(obj)
        if hasattr(obj, "memory_usage") and hasattr(obj, "index"):  # a pandas DataFrame or Series
            usage = obj.memory_usage(deep=True)
            return int(usage.sum() if hasattr(usage, "sum") else usage)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            return sys.getsizeof(obj) + sum(walk(getattr(obj, f.name)) for f in dataclasses.fields(obj))
        if isinstance(obj, dict):
            return sys.getsizeof(obj) + sum(walk(k) + walk(v) for k, v in obj.items())
        if isinstance(obj, (tuple, list, set, frozenset)):
            return sys.getsizeof(obj) + sum(walk(x) for x in obj)
        if hasattr(obj, "__dict__") and not isinstance(obj, type):
            return sys.getsizeof(obj) + walk(vars(obj))
        return sys.getsizeof(obj)

    return walk(value)


def freeze(value: Any) -> None:
    """Make every NumPy array reachable from `value` (as `nbytes` walks it) read-only."""
    seen: set[int] = set()

    def walk(obj) -> None:
        if id(obj) in seen or isinstance(obj, (bytes, bytearray, str, int, float, bool, complex, type(None), type)):
            return
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            obj.flags.writeable = False
        elif dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                walk(getattr(obj, f.name))
        elif isinstance(obj, dict):
            for x in obj.values():
                walk(x)
        elif isinstance(obj, (tuple, list, set, frozenset)):
            for x in obj:
                walk(x)

    walk(value)


class SharedCache:
    """A thread-safe least-recently-used cache bounded by the bytes of its results (`nbytes`)."""

    def __init__(self, name: str, max_bytes: int):
        self.name, self.max_bytes = name, int(max_bytes)
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()  # key -> (result, bytes)
        self._computing: dict[Hashable, threading.Lock] = {}
        self.bytes = 0
        _CACHES.append(self)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def get(self, key: Hashable, compute: Callable[[], Any], wait_check: Callable[[], None] | None = None) -> Any:
        """The result for `key`, computing it with `compute()` on a miss (once, however many ask at once)."""
        hit = self._lookup(key)
        if hit is not None:
            return hit[0]
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        while not key_lock.acquire(timeout=WAIT_POLL_S):
            if wait_check is not None:
                wait_check()  # may raise: the waiting page was stopped
        try:
            hit = self._lookup(key)  # computed by the request we waited for
            if hit is not None:
                return hit[0]
            value = compute()
            self.put(key, value)
            return value
        finally:
            key_lock.release()
            with self._lock:
                if self._computing.get(key) is key_lock and not key_lock.locked():
                    del self._computing[key]

    def _lookup(self, key: Hashable) -> tuple[Any] | None:
        with self._lock:
            if key not in self._entries:
                return None
            self._entries.move_to_end(key)
            return (self._entries[key][0],)

    def put(self, key: Hashable, value: Any) -> None:
        """Store `value` (read-only from now on) unless it alone is over the budget; drop the least recently used
        results until the cache is within its budget again."""
        size = nbytes(value)
        freeze(value)
        with self._lock:
            if key in self._entries:
                self.bytes -= self._entries.pop(key)[1]
            if size > self.max_bytes:
                return
            self._entries[key] = (value, size)
            self.bytes += size
            while self.bytes > self.max_bytes:
                self.bytes -= self._entries.popitem(last=False)[1][1]

    def clear(self) -> None:
        """Drop every result."""
        with self._lock:
            self._entries.clear()
            self.bytes = 0


def clear_all() -> None:
    """Drop the results of every SharedCache of this process (the tests start each from empty caches)."""
    for cache in _CACHES:
        cache.clear()
