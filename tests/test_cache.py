"""Caches bounded by bytes, not entries (playground/cache.py): an entry's size is measured, the caches stay
within their budgets, every session shares one read-only copy of a result, and a waiting page can be stopped."""

import pickle
import threading
import time

import numpy as np
import pytest

from playground import cache
from playground.cache import MB, SharedCache, nbytes
from playground.charts.landscape import compute_slice
from playground.experiment import run_experiment
from playground.race import run_race
from playground.sections import state
from playground.settings import Settings

DIGITS = Settings(dataset="digits", activation="sigmoid")


@pytest.fixture(scope="module")
def results():
    exp = run_experiment(replace_epochs(DIGITS, 100))
    return {"digits run": exp, "digits race": run_race(exp), "landscape": compute_slice(exp, None, 0, 64),
            "hidden run": run_experiment(Settings(dataset="digits", hidden_layers=2, hidden_units=16, epochs=80))}


def replace_epochs(settings: Settings, epochs: int) -> Settings:
    from dataclasses import replace

    return replace(settings, epochs=epochs)


@pytest.mark.parametrize("name", ["digits run", "digits race", "landscape", "hidden run"])
def test_an_entrys_measured_size_is_what_pickle_writes_of_it(results, name):
    """pickle.dumps is an independent measure of what a result holds: its arrays dominate both."""
    value = results[name]
    pickled = len(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))
    assert pickled > 30_000  # sizeable results, not just object overhead
    assert nbytes(value) == pytest.approx(pickled, rel=0.15)


def test_a_shared_array_is_counted_once():
    a = np.zeros(100_000)
    assert nbytes((a, a, a[10:])) == pytest.approx(a.nbytes, rel=0.01)


def blob(megabytes: float) -> dict:
    return {"array": np.zeros(int(megabytes * MB) // 8)}


def test_the_cache_stays_within_its_bytes_dropping_the_least_recently_used():
    c = SharedCache("test", max_bytes=10 * MB)  # three 3 MB entries fit
    try:
        for key in range(6):
            c.get(key, lambda: blob(3))
            if key == 3:  # holds 1, 2, 3: use 1 again, so 2 is now the least recently used
                c.get(1, lambda: pytest.fail("1 is still cached"))
            assert c.bytes <= c.max_bytes
            assert c.bytes == sum(nbytes(value) for value, _ in c._entries.values())
        assert list(c._entries) == [1, 4, 5] and len(c) == 3
        too_big = c.get("big", lambda: blob(11))  # computed and returned, never stored
        assert too_big["array"].size and "big" not in c and c.bytes <= c.max_bytes
    finally:
        cache._CACHES.remove(c)


def test_the_pages_run_cache_stays_within_its_bytes_under_many_new_runs(monkeypatch):
    """Issue 18: 75 loads of one heavy link with new seeds grew the server from 383 MB to 2.88 GB."""
    monkeypatch.setattr(state.RUNS, "max_bytes", 6 * MB)
    sizes = []
    for seed in range(8):
        exp = state.cached_experiment(Settings(dataset="digits", activation="sigmoid", seed=seed), None)
        sizes.append(nbytes(exp))
        assert state.RUNS.bytes <= 6 * MB
    assert sum(sizes) > 2 * 6 * MB  # more than the budget was asked for: some were dropped
    assert 1 <= len(state.RUNS) < 8


def test_every_session_gets_the_same_read_only_result():
    settings = Settings(dataset="line", epochs=5)
    first, second = state.cached_experiment(settings, None), state.cached_experiment(settings, None)
    assert first is second  # one copy, no session holds its own
    with pytest.raises(ValueError):
        first.history.params[0, 0] = 1.0
    with pytest.raises(ValueError):
        first.X_train[0, 0] = 1.0


def test_a_result_asked_for_at_once_is_computed_once():
    c, calls = SharedCache("test", max_bytes=MB), []

    def compute():
        calls.append(1)
        time.sleep(0.2)
        return blob(0.1)

    try:
        threads = [threading.Thread(target=c.get, args=("k", compute)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(calls) == 1
    finally:
        cache._CACHES.remove(c)


def test_a_page_waiting_for_anothers_computation_can_still_be_stopped():
    c = SharedCache("test", max_bytes=MB)
    started, release = threading.Event(), threading.Event()

    def slow():
        started.set()
        release.wait(10)
        return blob(0.1)

    class Stopped(Exception):
        pass

    def stop():
        raise Stopped

    try:
        worker = threading.Thread(target=c.get, args=("k", slow))
        worker.start()
        started.wait(5)
        t0 = time.perf_counter()
        with pytest.raises(Stopped):
            c.get("k", lambda: pytest.fail("computed twice"), wait_check=stop)
        assert time.perf_counter() - t0 < 1.0
        release.set()
        worker.join()
    finally:
        cache._CACHES.remove(c)


def test_the_pages_caches_add_up_to_the_documented_ceiling():
    import playground.sections.handset  # noqa: F401  every module with a cache
    import playground.sections.race  # noqa: F401
    import playground.sections.training_views  # noqa: F401

    names = {c.name for c in cache._CACHES}
    assert {"runs", "races", "uploaded files", "prepared data", "landscape slices"} <= names
    assert sum(c.max_bytes for c in cache._CACHES) <= cache.CEILING_BYTES
