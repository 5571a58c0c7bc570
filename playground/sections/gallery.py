"""Activations (notebook 002): every activation of the engine and its slope, and what each one teaches."""

from __future__ import annotations

import streamlit as st

from ..charts.gallery import ALL, LOW_GRADIENT, TEACHES, gallery_figure, shaded_activation
from ..engine import ACTIVATIONS
from ..settings import ACTIVATION_LABELS
from . import plot, state

HIGHLIGHT_KEY = "gallery_highlight"
FOLLOWS_KEY = "gallery_follows"  # the output activation the highlight was last set from


def _label(name: str) -> str:
    return "All" if name == ALL else ACTIVATION_LABELS[name]


def render(exp, reference) -> None:
    """The gallery; it needs no training run (`exp` may be None)."""
    chart = st.container()  # the chart first, its highlight picker under it
    options = [ALL, *ACTIVATIONS]
    current = state.settings()
    if st.session_state.get(FOLLOWS_KEY) != current.activation:  # open on the sidebar's output activation
        st.session_state[FOLLOWS_KEY] = st.session_state[HIGHLIGHT_KEY] = current.activation
    highlight = st.radio("Highlight", options, format_func=_label, horizontal=True, key=HIGHLIGHT_KEY,
                         help="Draw one activation bold (it starts on the sidebar's output activation); the shading "
                              "shows where its slope is almost 0.")
    shaded = shaded_activation(highlight)
    with chart:
        plot.show(gallery_figure(highlight), key="gallery_figure")
        if shaded is None:
            st.caption(f"{_label(highlight)}'s slope is never small, so nothing is shaded.")
        else:
            st.caption(f"Shaded: where {ACTIVATION_LABELS[shaded]}'s slope g′(z) is below {LOW_GRADIENT:g}. "
                       "Backpropagation multiplies each layer's error by g′(z): there the gradient vanishes and "
                       "the weights barely move.")
    used = f"Your settings: output **{ACTIVATION_LABELS[current.activation]}**"
    used += (f", hidden layers **{ACTIVATION_LABELS[current.hidden_activation]}**." if current.hidden
             else " (no hidden layers).")
    st.markdown(used)
    for name in ACTIVATIONS:
        text = f"**{ACTIVATION_LABELS[name]}** — {TEACHES[name]}"
        if name == highlight:
            st.info(text)
        else:
            st.markdown(text)
