"""Session state, URL state and the cached engine results the sections share.

The canonical settings of a session live in `st.session_state["settings"]` (a `Settings`). Widgets
have keys "w_<field>"; the sidebar copies their values into the canonical settings after each run,
so a control that is hidden or not shown keeps its value. Caches key on content only (settings,
uploaded bytes, arrays), never on anything shared and mutable.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, replace

import numpy as np
import streamlit as st

from ..data import DataError
from ..experiment import Experiment, column_choices, load_dataset, run_experiment
from ..lessons import LESSONS
from ..reference import Solution, solve
from ..safe_text import markdown_literal
from ..settings import Settings

WIDGET_PREFIX = "w_"
UPLOAD_KEY = "upload_bytes"
SHOWN_NOTICES_KEY = "notices_shown"  # notices on screen until the reader dismisses them
CACHE_ENTRIES = 64  # per cached function, shared by all sessions of the server


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


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_columns(current: Settings, upload: bytes | None) -> tuple[int, list[str], list[str]]:
    """(rows, possible targets, possible features) of the dataset the settings name."""
    data = load_dataset(replace(current, features="", target=""), upload)
    return (data.n, *column_choices(data, current.target))


def training_rows(current: Settings) -> int | None:
    """How many rows the run trains on (after the validation split), or None when the data cannot load."""
    try:
        n_rows = cached_columns(current, upload_bytes())[0]
    except (DataError, ValueError):
        return None
    return max(1, n_rows - int(round(current.validation_split * n_rows)))


class LazyProgress:
    """A progress bar that appears only once a run has taken longer than `after` seconds.

    Created inside the cached function, so a cache hit replays it (appearing and emptied) harmlessly.
    """

    def __init__(self, after: float = 1.0):
        self.start, self.after, self.bar = time.perf_counter(), after, None

    def __call__(self, fraction: float) -> None:
        if self.bar is None and time.perf_counter() - self.start > self.after:
            self.bar = st.progress(0.0)
        if self.bar is not None:
            self.bar.progress(fraction, text=f"Training… {fraction:.0%} (the ⏹ Stop button top right stops it)")

    def close(self) -> None:
        """Remove the bar, if it appeared."""
        if self.bar is not None:
            self.bar.empty()


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_experiment(current: Settings, upload: bytes | None) -> Experiment:
    """The finished run for these settings and this uploaded file (cached on both, by content)."""
    progress = LazyProgress()
    try:
        return run_experiment(current, upload, progress)
    finally:
        progress.close()


# Every lesson part's settings: their runs are kept apart from the other runs (see `cached_lesson_run`).
LESSON_RUNS = frozenset(part.settings() for lesson in LESSONS.values() for part in lesson.parts)


@st.cache_data(show_spinner=False)  # unbounded, yet at most one entry per lesson part (LESSON_RUNS)
def cached_lesson_run(current: Settings) -> Experiment:
    """A lesson part's run, computed once per server process (sections/warm.py computes them all after the first
    page) and never evicted by the other runs, so a class opening the same lesson link all hit it."""
    return run_experiment(current)


def experiment(current: Settings, upload: bytes | None) -> Experiment:
    """The run for these settings and file: a lesson part's from its own cache, any other from the shared one."""
    if upload is None and current in LESSON_RUNS:
        return cached_lesson_run(current)
    return cached_experiment(current, upload)


@st.cache_data(max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_solution(_X: np.ndarray, _y: np.ndarray, key: tuple, activation: str, loss: str,
                    regularization: str = "none", regularization_rate: float = 0.0) -> Solution:
    """The exact answer for a single neuron on this data (and penalty), or why there is none; `key` identifies
    the data (`Experiment.data_key`), so the arrays are not hashed on every rerun."""
    return solve(_X, _y, activation, loss, regularization, regularization_rate)


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


def experiment_or_message(current: Settings) -> Experiment | None:
    """The run, or None after showing why it could not run (bad data or settings), never a traceback."""
    try:
        return experiment(current.run_part(), upload_bytes())  # view-only settings never retrain
    except DataError as error:
        st.warning(markdown_literal(error), icon=":material/description:")
    except ValueError as error:
        st.error(f"These settings cannot be trained: {markdown_literal(error)}", icon=":material/warning:")
    return None

