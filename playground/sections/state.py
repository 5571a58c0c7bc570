"""Session state, URL state and the cached engine results the sections share.

The canonical settings of a session live in `st.session_state["settings"]` (a `Settings`). Widgets
have keys "w_<field>"; the sidebar copies their values into the canonical settings after each run,
so a control that is hidden or not shown keeps its value. Caches key on content only (settings,
uploaded bytes' hash, the data's key), never on anything shared and mutable. They are `SharedCache`s
(playground/cache.py): one read-only copy of each result for every session, each cache within a budget in
bytes (all of them together within cache.CEILING_BYTES; the README's limits).

Long computations report to a `Progress`: it ends them within CHECK_S of ⏹ Stop, a new run of the page
or a closed tab (Streamlit's stop or rerun, raised at the next check), and shows a bar past 1 s. Work the budget
counts as long runs in the worker process (playground/worker.py), one computation at a time (`run_long`).
"""

from __future__ import annotations

import functools
import gc
import hashlib
import threading
import time
from dataclasses import asdict, replace

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_run_yield_check

from .. import memory, worker
from ..budget import LONG_UNITS
from ..cache import MB, SharedCache
from ..data import DataError
from ..experiment import DATA_FIELDS, Experiment, column_choices, load_dataset, run_experiment
from ..lessons import LESSONS
from ..reference import Solution, solve
from ..safe_text import markdown_literal
from ..settings import Settings

WIDGET_PREFIX = "w_"
UPLOAD_KEY = "upload_bytes"
UPLOAD_DIGEST_KEY = "upload_digest"  # (the uploaded bytes, their SHA-256): hashed once, not on every run
SHOWN_NOTICES_KEY = "notices_shown"  # notices on screen until the reader dismisses them
CACHE_ENTRIES = 64  # per st.cache_data function (small results only), shared by all sessions of the server
RUNS = SharedCache("runs", 64 * MB)  # a digits run ~2 MB, a big network on a big upload up to ~60 MB
LESSON_CACHE = SharedCache("lesson runs", 32 * MB)  # one entry per lesson part, ~9 MB in all
SOLUTIONS = SharedCache("exact answers", 8 * MB)
COLUMNS = SharedCache("column choices", 4 * MB)


def widget_key(name: str) -> str:
    """Session-state key of the widget for setting `name`."""
    return WIDGET_PREFIX + name


def settings() -> Settings:
    """This session's current settings."""
    return st.session_state.setdefault("settings", Settings())


def apply_settings(new: Settings) -> None:
    """Make `new` the session's settings and move every widget to its value on the next render."""
    st.session_state["settings"] = new
    for name, value in asdict(new).items():
        st.session_state[widget_key(name)] = value


def add_notices(notices: list[str]) -> None:
    """Queue small notices (e.g. about URL values that were clamped) to show once on the page."""
    st.session_state.setdefault("notices", []).extend(notices)


def pop_notices() -> list[str]:
    """The queued notices, emptied."""
    return st.session_state.pop("notices", [])


def _dismiss_notices() -> None:
    st.session_state[SHOWN_NOTICES_KEY] = []


def render_notices() -> None:
    """The queued notices in a box that stays until dismissed (a toast vanished before a class could read it)."""
    shown = st.session_state.setdefault(SHOWN_NOTICES_KEY, [])
    shown += [notice for notice in pop_notices() if notice not in shown]
    if not shown:
        return
    st.info("  \n".join(markdown_literal(notice) for notice in shown), icon=":material/info:")
    st.button("Dismiss", key="dismiss_notices", on_click=_dismiss_notices, icon=":material/close:")


def upload_bytes() -> bytes | None:
    """The bytes of this session's uploaded CSV, if any."""
    return st.session_state.get(UPLOAD_KEY)


def write_query(wanted: dict[str, str], bound: tuple[str, ...]) -> None:
    """Make the URL's query parameters `wanted`, changing only what differs.

    Parameters in `bound` belong to widgets bound to the URL by Streamlit and are left to it.
    """
    present = st.query_params.to_dict()
    for name in present.keys() - wanted.keys() - set(bound):
        del st.query_params[name]
    for name, value in wanted.items():
        if present.get(name) != value:
            st.query_params[name] = value


def fingerprint(data: bytes | None) -> str:
    """A short content hash, to show and to key on."""
    return hashlib.sha256(data or b"").hexdigest()[:12]


def cached_columns(current: Settings, upload: bytes | None) -> tuple[int, list[str], list[str]]:
    """(rows, possible targets, possible features) of the dataset the settings name."""
    data_settings = replace(Settings(), **{name: getattr(current, name) for name in DATA_FIELDS
                                           if name not in ("features", "target")})

    def compute():
        data = load_dataset(data_settings, upload, run_long)
        return (data.n, *column_choices(data, current.target))

    key = (data_settings, current.target, upload_digest(upload))
    return COLUMNS.get(key, compute, stop_check())


def training_rows(current: Settings) -> int | None:
    """How many rows the run trains on (after the validation split), or None when the data cannot load."""
    try:
        n_rows = cached_columns(current, upload_bytes())[0]
    except (DataError, ValueError):
        return None
    return max(1, n_rows - int(round(current.validation_split * n_rows)))


def stop_check():
    """A function that raises Streamlit's stop or rerun when this page's run should end (⏹ Stop, a new run, a
    closed tab), or None outside a page's run (e.g. the thread warming the lesson caches)."""
    return get_run_yield_check()


# One long computation at a time in the whole server (worker.TURN): in the worker process, or past `after` seconds
# here. Two heavy links computing at once took each other's turns and every student's.
_HOLDING = threading.local()  # whether this thread holds the turn (a nested computation must not wait for itself)


def run_long(units: int, text: str, job, *args, **kwargs):
    """`job(*args, progress=…, **kwargs)` with a `Progress` titled `text`: in the worker process, in turn, when the
    work budget counts it as long (`units` ≥ budget.LONG_UNITS), else here (a round trip to the worker would cost
    the page's short runs more than they take). The `compute` the page gives experiment.py."""
    progress = Progress(text)
    try:
        if units < LONG_UNITS:
            return job(*args, progress=progress, **kwargs)
        progress.wait_for_turn()
        return worker.compute(job, *args, progress=progress, **kwargs)
    finally:
        progress.close()


class Progress:
    """What a long computation calls with the fraction done: every CHECK_S it lets the page stop it (raising
    Streamlit's stop or rerun); once it has taken longer than `after` seconds it shows a bar with `text`, and waits
    its turn if another session's long computation is running. `close()` when done (in a `finally`)."""

    CHECK_S = 0.05

    def __init__(self, text: str = "Training…", after: float = 1.0):
        self.text, self.after, self.bar, self.shown, self.holding = text, after, None, -1, False
        self.start = time.perf_counter()
        self.next_check = self.start + self.CHECK_S
        self.check = stop_check()

    def __call__(self, fraction: float) -> None:
        now = time.perf_counter()
        if now < self.next_check:
            return
        self.next_check = now + self.CHECK_S
        if self.check is None:
            return
        self.check()
        if now - self.start <= self.after:
            return
        self.wait_for_turn()
        percent = int(100 * min(max(fraction, 0.0), 1.0))
        if percent != self.shown:
            done = f" {percent}%" if percent else ""  # (reading a file reports no fraction)
            self._show(percent / 100, f"{self.text}{done} (the ⏹ Stop button top right stops it)")
            self.shown = percent

    def _show(self, fraction: float, text: str) -> None:
        if self.bar is None:
            self.bar = st.progress(0.0)
        self.bar.progress(fraction, text=text)

    def wait_for_turn(self) -> None:
        """Wait until no other long computation runs (stoppable, with a notice in the bar), then hold the turn."""
        if self.holding or getattr(_HOLDING, "held", False):
            return
        if not worker.TURN.acquire(blocking=False):
            if self.check is not None:
                self._show(0.0, f"{self.text} waiting for another page's long computation to finish…")
            while not worker.TURN.acquire(timeout=0.1):
                if self.check is not None:
                    self.check()
            self.shown = -1
        self.holding = _HOLDING.held = True

    def part(self, lo: float, hi: float):
        """A progress function for one part of the work, from `lo` to `hi` of the whole."""
        return lambda fraction: self(lo + (hi - lo) * fraction)

    def close(self) -> None:
        """Remove the bar, if it appeared, and let the next long computation go on."""
        if self.holding:
            self.holding = _HOLDING.held = False
            worker.TURN.release()
        if self.bar is not None:
            self.bar.empty()
            self.bar = None


GC_EVERY_S = 10.0  # a full garbage collection at most this often (Streamlit's after every run is turned off)
_last_collection = [time.monotonic()]
_collection_lock = threading.Lock()


def collect_garbage_now_and_then() -> None:
    """A full garbage collection if none ran for GC_EVERY_S. Streamlit's own after every run is off (~0.24 s of CPU
    each, .streamlit/config.toml), and the sessions of closed tabs are dropped as reference cycles that only a full
    collection frees: without one, 30 heavy links left the server at 1.16 GB (benchmarks/bench_hostile.py). Then
    the pages the allocator holds free go back to the system (playground/memory.py)."""
    now = time.monotonic()
    if now - _last_collection[0] < GC_EVERY_S or not _collection_lock.acquire(blocking=False):
        return
    try:
        _last_collection[0] = now
        gc.collect()
        memory.release_free_memory()
    finally:
        _collection_lock.release()


def upload_digest(upload: bytes | None) -> str | None:
    """The SHA-256 of uploaded bytes, hashed once per upload in a session (a 20 MB file took ~20 ms a run)."""
    if upload is None:
        return None
    memo = st.session_state.get(UPLOAD_DIGEST_KEY)
    if memo is not None and memo[0] is upload:
        return memo[1]
    digest = hashlib.sha256(upload).hexdigest()
    if st.session_state.get(UPLOAD_KEY) is upload:
        st.session_state[UPLOAD_DIGEST_KEY] = (upload, digest)
    return digest


def cached_experiment(current: Settings, upload: bytes | None) -> Experiment:
    """The finished run for these settings and this uploaded file (cached on both, by content)."""
    return RUNS.get((current, upload_digest(upload)), lambda: run_experiment(current, upload, run_long), stop_check())


# Every lesson part's settings: their runs are kept apart from the other runs (see `cached_lesson_run`).
LESSON_RUNS = frozenset(part.settings() for lesson in LESSONS.values() for part in lesson.parts)


def cached_lesson_run(current: Settings) -> Experiment:
    """A lesson part's run, computed once per server process (sections/warm.py computes them all after the first
    page) and never evicted by the other runs, so a class opening the same lesson link all hit it."""
    return LESSON_CACHE.get(current, lambda: run_experiment(current), stop_check())


def experiment(current: Settings, upload: bytes | None) -> Experiment:
    """The run for these settings and file: a lesson part's from its own cache, any other from the shared one."""
    if upload is None and current in LESSON_RUNS:
        return cached_lesson_run(current)
    return cached_experiment(current, upload)


def cached_solution(X: np.ndarray, y: np.ndarray, key: tuple, activation: str, loss: str,
                    regularization: str = "none", regularization_rate: float = 0.0) -> Solution:
    """The exact answer for a single neuron on this data (and penalty), or why there is none; `key` identifies
    the data (`Experiment.data_key`), so the arrays are not hashed on every rerun."""
    return SOLUTIONS.get((key, activation, loss, regularization, regularization_rate),
                         lambda: solve(X, y, activation, loss, regularization, regularization_rate), stop_check())


def reference_for(exp: Experiment):
    """The exact (w, b) a single neuron should reach — the optimum of its penalised objective — or None."""
    if exp.settings.hidden:
        return None
    return _solution(exp).answer


def _solution(exp: Experiment) -> Solution:
    h = exp.history
    return cached_solution(exp.X_train, exp.y_train, exp.data_key, exp.settings.activation, exp.loss,
                           h.regularization, h.regularization_rate)


def no_reference_reason(exp: Experiment) -> str:
    """Why the page shows no exact answer beside the neuron's, as a sentence."""
    if exp.settings.hidden:
        return "No exact answer to compare with: a network with hidden layers has no closed-form optimum."
    return f"No exact answer to compare with: {_solution(exp).reason}."


def page_run() -> tuple[Experiment, object]:
    """The page's run and its exact answer (or None), looked up again in the shared caches."""
    exp = experiment(settings().run_part(), upload_bytes())
    return exp, reference_for(exp)


_HANDED = threading.local()  # the page's (run, exact answer), handed to a run fragment during a full run


def run_fragment(view):
    """`view(exp, reference, *options)` as an `st.fragment` that keeps no run in the session. A fragment keeps its
    arguments until the page's next full run, and a closed tab's session lives on for 30 s, so fragments given the
    run kept runs of tens of MB alive after the shared caches had let them go. This one keeps only its small
    `options`: a full run hands it the page's run in passing, and its own reruns look the run up (`page_run`)."""

    @st.fragment
    @functools.wraps(view)
    def fragment(*options) -> None:
        handed, _HANDED.run = getattr(_HANDED, "run", None), None
        view(*(handed or page_run()), *options)

    @functools.wraps(view)
    def render(exp: Experiment, reference=None, *options) -> None:
        _HANDED.run = (exp, reference)
        try:
            fragment(*options)
        finally:
            _HANDED.run = None

    return render


def experiment_or_message(current: Settings) -> Experiment | None:
    """The run, or None after showing why it could not run (bad data or settings), never a traceback."""
    try:
        return experiment(current.run_part(), upload_bytes())  # view-only settings never retrain
    except DataError as error:
        st.warning(markdown_literal(error), icon=":material/description:")
    except ValueError as error:
        st.error(f"These settings cannot be trained: {markdown_literal(error)}", icon=":material/warning:")
    return None

