"""One figure drawn twice side by side, for tests/test_browser_charts.py: by the page's chart component
(playground/sections/plot.py) and by `st.plotly_chart` as the page used it before that component (the
dict as built, with no Python-side template, Streamlit's theme applied in the browser). The browser
test compares the layout plotly.js ends up with in both, in the light and the dark theme.
"""

import plotly.graph_objects as go
import streamlit as st

from playground.charts.style import base_layout
from playground.sections import plot

st.set_page_config(page_title="Chart twins", layout="wide")

FIGURE = {
    "data": [
        {"type": "scatter", "x": [0, 1, 2, 3], "y": [1, 3, 2, 4], "name": "loss", "mode": "lines+markers"},
        {"type": "scatter", "x": [0, 1, 2, 3], "y": [2, 2, 3, 3], "name": "validation", "line": {"dash": "dash"}},
        {"type": "heatmap", "z": [[1, 2, 3], [3, 4, 5]], "xaxis": "x2", "yaxis": "y2",
         "colorbar": {"title": {"text": "log₁₀ loss"}}},
    ],
    "layout": {
        **base_layout("Two panels, a legend and a colour bar", height=420),
        "xaxis": {"domain": [0.0, 0.42], "title": {"text": "epoch"}},
        "yaxis": {"title": {"text": "loss"}},
        "xaxis2": {"domain": [0.55, 0.9], "anchor": "y2", "title": {"text": "w"}},
        "yaxis2": {"anchor": "x2", "title": {"text": "b"}},
    },
}


class AsBuilt(go.Figure):
    """The dict as built, past Plotly's validation (what plot.show handed st.plotly_chart before)."""

    def __init__(self, spec: dict):  # deliberately skips go.Figure.__init__
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec


ours, reference = st.columns(2)
with ours:
    plot.show(FIGURE, key="twin")
with reference:
    st.plotly_chart(AsBuilt(FIGURE), width="stretch", config={"displaylogo": False, "scrollZoom": False},
                    key="reference")
