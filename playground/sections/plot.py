"""Hand our dict figures to Streamlit without Plotly re-validating them on every rerun.

`st.plotly_chart` turns a dict into a `go.Figure` to validate it, which costs ~300 ms for an
animated figure (more than the whole rest of a rerun). The figures are validated once in the tests
instead (tests/test_charts.py builds each kind with `go.Figure`), and here they are passed as a
Figure whose `to_dict` returns the dict as built, which Streamlit serialises directly.
"""

from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from ..charts.style import for_projector
from . import classroom

PLOTLY_CONFIG = {"displaylogo": False, "scrollZoom": False}


class PrebuiltFigure(go.Figure):
    """A figure already in Plotly's dict form (see module docstring)."""

    def __init__(self, spec: dict):  # deliberately skips go.Figure.__init__ and its validation
        self._spec = spec

    def to_dict(self) -> dict:
        """The figure dict, as built."""
        return self._spec


def show(figure: dict, key: str) -> None:
    """Draw a dict figure across the container's width (with projector-sized text in presenter mode)."""
    if classroom.presenting():
        figure = for_projector(figure, classroom.PRESENTER_FONT_PX)
    st.plotly_chart(PrebuiltFigure(figure), width="stretch", config=PLOTLY_CONFIG, key=key)
