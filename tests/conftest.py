"""Shared fixtures: fresh caches per test and an AppTest factory for the page."""

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from playground import cache

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


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
