"""Shared fixtures: fresh caches per test and an AppTest factory for the page.

`PLAYGROUND_NUDGE_ULPS=1 python -m pytest` runs the tests with every network's starting weights one unit in the
last place away (as `OPENBLAS_CORETYPE=Sandybridge` runs them on another BLAS kernel): a test that compares floats
from a long run must pass either way.
"""

import os
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from playground import cache
from tests.lesson_measurements import NUDGE_ENV, nudge_starting_weights

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
nudge_starting_weights(int(os.environ.get(NUDGE_ENV) or 0))


@pytest.fixture(autouse=True)
def _fresh_streamlit_cache():
    st.cache_data.clear()
    cache.clear_all()  # the page's own caches (playground/cache.py), shared like st.cache_data
    yield


@pytest.fixture
def app():
    """A function that runs the page, optionally with URL query parameters, and returns the AppTest."""

    def run(**query) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=30)
        for name, value in query.items():
            at.query_params[name] = value
        return at.run()

    return run
