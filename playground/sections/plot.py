"""Every chart of the page, drawn by one small component that stays on the page across reruns.

`st.plotly_chart` names its element by a hash of the figure, so any change unmounts the chart and
plots a new one. The keyed `st.components.v2` component below keeps its element for as long as the
key is on the page; its JavaScript (plot.js) keeps one Plotly div and redraws it in place with
`Plotly.react` (data, layout and animation frames), in Streamlit's Plotly theme, light or dark.

plotly.js itself is the copy the Streamlit frontend already ships for `st.plotly_chart` (its
`PlotlyChart.<hash>.js` chunk, which sets `window.Plotly`): served by the Streamlit server from the
installed package with a one-year immutable cache header, nothing fetched from elsewhere.

The figure goes over as JSON bytes (plotly's own encoder, as `st.plotly_chart` used), which the tests
read back (tests/page.py); Plotly validates the figures in the tests (`go.Figure(figure)`), not on every
rerun.
"""

from __future__ import annotations

import json
from pathlib import Path

import plotly.io.json as plotly_json
import streamlit as st

from ..charts.style import for_projector
from . import classroom

COMPONENT_NAME = "playground_chart"


def plotly_chunk() -> str:
    """File name of the Streamlit frontend's plotly.js chunk (it lives next to the frontend's entry script)."""
    static_js = Path(st.__file__).parent / "static" / "static" / "js"
    chunks = sorted(p.name for p in static_js.glob("PlotlyChart.*.js"))
    if len(chunks) != 1:
        raise RuntimeError(f"expected one PlotlyChart chunk in {static_js}, found {chunks}")
    return chunks[0]


def _script() -> str:
    """plot.js with the chunk's name filled in, without comment lines and indentation (it is resent with
    every chart on every rerun)."""
    source = Path(__file__).with_name("plot.js").read_text()
    lines = (line.strip() for line in source.splitlines())
    script = "\n".join(line for line in lines if line and not line.startswith("//"))
    return script.replace("__PLOTLY_CHUNK__", json.dumps(f"./{plotly_chunk()}"))


_mount = st.components.v2.component(COMPONENT_NAME, js=_script(), isolate_styles=False)


def show(figure: dict, key: str) -> None:
    """Draw a dict figure across the container's width, redrawn in place when it changes (with projector-sized
    text in presenter mode, and short enough to be whole on the projector's first screen)."""
    if classroom.presenting():
        figure = for_projector(figure, classroom.PRESENTER_FONT_PX, classroom.PRESENTER_CHART_PX)
    _mount(key=key, data=plotly_json.to_json_plotly(figure).encode())
