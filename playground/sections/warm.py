"""Warm caches: every lesson part's run, its exact answer and what its opening view needs, computed once per
server process, in the background after the process's first page, so a class opening a lesson link finds them
ready (and a replica of a deployment warms its own).

What it holds (`benchmarks/bench_server.py` measures it): the lesson parts' runs, ~9 MB, mostly the digits runs.
"""

from __future__ import annotations

import logging
import threading

import streamlit as st
from streamlit import runtime

from ..charts.landscape import default_slice_parameters
from ..lessons import LESSONS
from . import state, training_views

LOG = logging.getLogger(__name__)


def warm_lessons() -> None:
    """Compute every lesson part's run, exact answer and (for Fit & landscape) landscape slice into the caches."""
    for lesson in LESSONS.values():
        for part in lesson.parts:
            try:
                exp = state.cached_lesson_run(part.settings())
                reference = state.reference_for(exp)
                if part.view == "Fit & landscape":
                    training_views.cached_slice(exp, exp.run_key, reference, *default_slice_parameters(exp))
            except Exception:  # a lesson that cannot warm is computed when opened, and says why there
                LOG.exception("warming the caches for lesson %s failed", lesson.id)


def start() -> None:
    """Start warming the lesson caches in a background thread, once per server process (not under AppTest, which
    runs the page without a server: the tests call `warm_lessons` themselves)."""
    if runtime.exists():
        _start_once()


@st.cache_resource(show_spinner=False)
def _start_once() -> threading.Thread:
    thread = threading.Thread(target=warm_lessons, name="warm-lesson-caches", daemon=True)
    thread.start()
    return thread
