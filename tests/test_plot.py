"""The chart component's link to Streamlit's frontend: the plotly.js it loads is the chunk Streamlit
ships for st.plotly_chart, found by name in the installed package; an upgrade that renames or reshapes
it fails here, not only in the browser tests."""

from pathlib import Path

import streamlit as st

from playground.sections import plot


def test_the_plotly_chunk_is_in_streamlits_frontend_and_sets_window_plotly():
    chunk = Path(st.__file__).parent / "static" / "static" / "js" / plot.plotly_chunk()
    source = chunk.read_text(encoding="utf-8")
    assert "window.Plotly=" in source  # plot.js reads plotly.js from there once the chunk has run


def test_the_script_names_that_chunk_and_nothing_is_left_to_fill_in():
    script = plot._script()
    assert f'"./{plot.plotly_chunk()}"' in script
    assert "__PLOTLY_CHUNK__" not in script
    assert "export default function" in script
