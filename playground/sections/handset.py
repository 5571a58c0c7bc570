"""Set weights by hand (notebook 003): move w and b yourself and watch the prediction and the loss.

No training: the sliders are the optimizer. Works on all points of the current dataset when it has
one feature, whether or not the training run of the other views could be made.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from ..cache import MB, SharedCache
from ..charts.handset import (
    NOTEBOOK_SLIDERS,
    SliderRange,
    curve_y_range,
    decision_boundary,
    handset_figure,
    model_summary,
    probability_view,
    readout,
    slider_ranges,
)
from ..data import CLASSIFICATION, DataError, Dataset
from ..experiment import load_dataset, load_settings, resolve_loss
from ..lessons import LESSONS
from ..safe_text import markdown_literal
from ..settings import ACTIVATION_LABELS, LOSS_LABELS, Settings
from . import lessons, plot, state
from .summary import G_LATEX

LESSON = "set-weights"
MAX_TABLE_ROWS = 12
VALUES_KEY = "handset_values"  # slider values per (dataset, activation, ranges), kept while the tab is shut


DATASETS_CACHE = SharedCache("datasets", 16 * MB)  # built-in ones are small; an upload's is experiment.UPLOADS's


def cached_dataset(data_settings: Settings, upload: bytes | None) -> Dataset:
    """All points of the dataset the settings name (no split, no scaling)."""
    return DATASETS_CACHE.get((data_settings, state.upload_digest(upload)),
                              lambda: load_dataset(data_settings, upload, state.run_long),
                              state.stop_check())


def render(exp, reference) -> None:
    """The view; `exp` and `reference` (the training run) are not needed and may be None."""
    current = state.settings()
    try:
        data = cached_dataset(load_settings(current), state.upload_bytes())
    except DataError as error:
        st.warning(markdown_literal(error), icon=":material/description:")
        return
    if data.p != 1:
        _needs_one_feature(data, current)
        return
    loss = resolve_loss(current, data.task)
    if loss == "bce" and not np.isin(data.y, (0.0, 1.0)).all():
        st.caption("Cross-entropy needs targets of 0 and 1; this view measures mean squared error instead.")
        loss = "mse"
    activation = current.activation
    w_range, b_range = slider_ranges(current.dataset, data.X, data.y, activation, loss, data.task)
    g = ACTIVATION_LABELS[activation].lower()
    notebook = (current.dataset, activation) in NOTEBOOK_SLIDERS
    _neuron(data, current.dataset, activation, loss, w_range, b_range, notebook)  # the chart first, on every screen
    st.caption(f"No training here: you are the optimizer. One neuron computes ŷ = g(w·x + b) with g = {g} "
               f"(the sidebar's output activation) on all {data.n} points of **{markdown_literal(data.name)}**."
               + (" The x values are raw: standardizing applies to training only." if current.standardize else ""))
    _summaries(1, current.hidden, one_neuron=True)


def _needs_one_feature(data: Dataset, current: Settings) -> None:
    st.info(f"Setting weights by hand needs a dataset with **one feature**, to draw the neuron over x: "
            f"**{markdown_literal(data.name)}** has {data.p}. Pick a one-feature dataset in the sidebar, or open "
            f"the lesson \"{LESSONS[LESSON].title}\" (notebook 003).", icon=":material/tune:")
    columns = st.columns(len(LESSONS[LESSON].parts))
    for index, (column, part) in enumerate(zip(columns, LESSONS[LESSON].parts)):
        column.button(f"Open the lesson, part {index + 1}: {part.title}", key=f"handset_lesson_{index}",
                      on_click=lessons.open_lesson, args=(LESSON, index), width="stretch")
    _summaries(data.p, current.hidden, one_neuron=False)


def _slider(column, label: str, key: str, rng: SliderRange, help: str) -> float:
    cast = int if rng.integral else float
    value = column.slider(label, min_value=cast(rng.lo), max_value=cast(rng.hi), step=cast(rng.step), key=key,
                          format="%d" if rng.integral else f"%.{rng.decimals}f", help=help)
    return rng.snap(value)


def _set(values: dict) -> None:
    for key, value in values.items():
        st.session_state[key] = value


def _latex_number(value: float) -> str:
    return f"{value:.4g}".replace("e", r"\mathrm{e}")


@st.fragment
def _neuron(data: Dataset, dataset_key: str, activation: str, loss: str, w_range: SliderRange,
            b_range: SliderRange, notebook: bool) -> None:
    """The chart, and beside it (under it on a phone) the sliders, the equation, readouts and table: a fragment, so
    moving a slider reruns only this."""
    token = hashlib.sha1(repr((dataset_key, activation, loss, w_range, b_range)).encode()).hexdigest()[:10]
    keys = {"w": f"handset_w_{token}", "b": f"handset_b_{token}"}
    ranges = {"w": w_range, "b": b_range}
    remembered = st.session_state.setdefault(VALUES_KEY, {})
    defaults = {keys[p]: (int if ranges[p].integral else float)(ranges[p].default) for p in keys}
    for key in keys.values():
        if key not in st.session_state:
            st.session_state[key] = remembered.get(key, defaults[key])
    # The chart first; its sliders at the top of the column beside it (right under it on a phone): on a projector
    # both are on the first screen.
    chart, side = st.columns([3, 2])
    left, right = side.columns(2)
    w = _slider(left, "w (weight)", keys["w"], w_range, "The slope: how much ŷ changes per unit of x.")
    b = _slider(right, "b (bias)", keys["b"], b_range, "The intercept: g(b) is the prediction at x = 0.")
    remembered.update({keys["w"]: st.session_state[keys["w"]], keys["b"]: st.session_state[keys["b"]]})
    side.button("Notebook values" if notebook else "Reset", key=f"handset_reset_{token}", on_click=_set,
                args=(defaults,),
                help=f"Back to w = {w_range.default:g}, b = {b_range.default:g}"
                + (" as in notebook 003." if notebook else " (the best answer, rounded)."))

    x, y = data.X[:, 0], data.y
    result = readout(data.X, y, w, b, activation, loss)
    probability = probability_view(activation, data.task)
    with side:
        g = G_LATEX[activation]
        inner = rf"{_latex_number(w)}\,x {'-' if b < 0 else '+'} {_latex_number(abs(b))}"
        st.latex(rf"\hat y = {g}\left({inner}\right)" if g else rf"\hat y = {inner}")
        metrics = st.columns(2)
        metrics[0].metric(f"{LOSS_LABELS[loss]} ({loss})", f"{result.loss:.4g}",
                          help="The engine's own loss over all points (Network.loss_value), as training measures it.")
        if probability:
            metrics[1].metric("Prediction at x = 0", f"{result.at_zero:.2f}",
                              help=f"σ(b) = {result.at_zero:.6g}: the probability that y = 1 at x = 0.")
            boundary = decision_boundary(w, b)
            st.caption(f"ŷ(0) = σ({b:g}) = {result.at_zero:.4f}. "
                       + (f"Decision boundary (p = 0.5, where w·x + b = 0): **x = {boundary:.4g}**."
                          if boundary is not None else "With w = 0 there is no boundary: p is the same everywhere."))
        else:
            metrics[1].metric("Prediction at x = 0", f"{result.at_zero:.4g}",
                              help="g(b): where the line crosses x = 0.")
        _table(data, result.predictions, probability)
    with chart:
        w0, b0 = w_range.default, b_range.default
        y_range = None if probability else curve_y_range(x, y, w0, b0, activation)
        plot.show(handset_figure(x, y, w, b, activation, data.task, data.feature_names[0], data.target_name,
                                 y_range), key="handset_figure")


def _table(data: Dataset, predictions: np.ndarray, probability: bool) -> None:
    x_name, y_name = data.feature_names[0], data.target_name
    shown = slice(0, MAX_TABLE_ROWS)
    table = {x_name: data.X[shown, 0], y_name: data.y[shown]}
    if probability:
        table["P(y = 1)"] = predictions[shown]
        table["class (p ≥ 0.5)"] = (predictions[shown] >= 0.5).astype(int)
    else:
        table["ŷ"] = predictions[shown]
        table["ŷ − y"] = predictions[shown] - data.y[shown]
    if data.task == CLASSIFICATION:
        table[y_name] = data.y[shown].astype(int)
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")
    if data.n > MAX_TABLE_ROWS:
        st.caption(f"The first {MAX_TABLE_ROWS} of {data.n} points.")


def _summaries(n_features: int, hidden: tuple[int, ...], one_neuron: bool) -> None:
    """Keras-style model summaries: this view's neuron, and the network the settings train."""
    st.markdown("##### Model summary")
    shown = [("This view: one neuron — w and b are its 2 parameters", ())] if one_neuron else []
    if hidden or not one_neuron:
        layers = " → ".join(str(s) for s in (n_features, *hidden, 1))
        shown.append((f"The network your settings train: {layers}", hidden))
    for column, (caption, layers) in zip(st.columns(len(shown)), shown):
        column.caption(caption)
        column.code(model_summary(n_features, layers), language=None)
