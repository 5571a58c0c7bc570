"""The training tabs: fit and landscape animated together, the loss curve, and the parameters per step."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ..cache import MB, SharedCache
from ..charts.curves import loss_figure, parameters_figure
from ..charts.fit import fit_panel
from ..charts.landscape import (
    compute_slice,
    default_slice_parameters,
    landscape_panel,
    output_parameter_names,
    surface_figure,
)
from ..charts.panels import compose
from ..charts.style import frame_indices
from ..experiment import Experiment
from . import plot, state


def frame_labels(exp: Experiment, frames: np.ndarray) -> list[str]:
    """'epoch e · step k' for each animation frame (unique, since steps are)."""
    h = exp.history
    return [f"epoch {h.epoch[f]} · step {h.step[f]}" for f in frames]


SLICES = SharedCache("landscape slices", 16 * MB)  # a 90 × 90 grid and its path: ~0.1 MB each


def cached_slice(exp: Experiment, key: tuple, reference, u: int, v: int):
    """The landscape slice for a run; `key` (settings + upload hash) identifies the run (and so its reference)."""
    return SLICES.get((key, u, v), lambda: compute_slice(exp, reference, u, v), state.stop_check())


def slice_choice(exp: Experiment, key_prefix: str = "slice") -> tuple[int, int]:
    """Two of the output neuron's parameters for the landscape axes: pickers when there are more than two."""
    names = output_parameter_names(exp)
    u, v = default_slice_parameters(exp)
    if len(names) <= 2:
        return u, v
    left, right = st.columns(2)
    # Keys per parameter count: a choice kept from a model with more parameters would be out of range.
    u = left.selectbox("Landscape x-axis", range(len(names)), index=u, format_func=names.__getitem__,
                       key=f"{key_prefix}_u_{len(names)}")
    v = right.selectbox("Landscape y-axis", range(len(names)), index=v, format_func=names.__getitem__,
                        key=f"{key_prefix}_v_{len(names)}")
    if u == v:
        st.caption("Pick two different parameters; showing the bias on the y-axis.")
        v = len(names) - 1 if u != len(names) - 1 else 0
    return u, v


def run_key(exp: Experiment) -> tuple:
    """What identifies a run for caches: its settings and its data's key (the uploaded file's hash)."""
    return exp.run_key


def fit_and_landscape_figure(exp: Experiment, reference, u: int, v: int, title: str = "",
                             show_validation: bool = True):
    """(figure, slice): the fit and the landscape over output parameters (u, v), animated together."""
    ls = cached_slice(exp, run_key(exp), reference, u, v)
    frames = frame_indices(len(exp.history.step))
    fit_reference = reference if exp.raw_train.shape[1] == 1 else None  # an exact curve over one x
    figure = compose([fit_panel(exp, frames, fit_reference, show_validation), landscape_panel(ls, frames)],
                     frame_labels(exp, frames), title=title, height=500)
    return figure, ls


@state.run_fragment
def render_fit_and_landscape(exp: Experiment, reference) -> None:
    """The fit animation and the loss landscape with the optimizer's path, playing together. A fragment: the slice
    pickers and the 3-D switch rerun only this view, on the run the rest of the page shows."""
    chart = st.container()  # the chart first, its axis pickers (for bigger models) under it
    u, v = slice_choice(exp)
    figure, ls = fit_and_landscape_figure(exp, reference, u, v, show_validation=state.settings().show_validation)
    with chart:
        plot.show(figure, key="fit_landscape")
        st.caption(landscape_caption(ls))
    _surface_toggle(ls)


def landscape_caption(ls) -> str:
    """What the fit and landscape figure shows, in the words of its own slice."""
    moved = " (projected on these two parameters: the others moved too)" if ls.is_slice else ""
    return (f"Left: the data and the network's prediction. Right: {ls.where()}, log scale; the white line is the "
            f"path the optimizer took{moved}, red its last steps up to the moment shown (● there), ■ the start, "
            f"{ls.marker_text()}. ▶ Play runs both in your browser.")


@st.fragment
def _surface_toggle(ls) -> None:
    if st.toggle("Show the loss as a 3-D surface", key="surface_3d"):
        plot.show(surface_figure(ls), key="surface")


@state.run_fragment
def render_loss(exp: Experiment, reference=None) -> None:
    """Loss per epoch (train, validation, per batch) with a log-scale switch under it."""
    chart = st.container()  # the chart first, its switch under it
    log_scale = st.toggle("Log scale", value=True, key="loss_log")
    with chart:
        plot.show(loss_figure(exp.history, exp.loss, log_scale), key="loss_curve")
        st.caption("Each grey wiggle is one batch's loss: noisy with small batches, smooth with the full batch. "
                   "A validation loss rising while the train loss falls means overfitting.")


def render_parameters(exp: Experiment, reference) -> None:
    """The output neuron's weights and bias at every step, as notebook 001 plots them."""
    exact = None if reference is None else np.append(reference[0], reference[1])
    plot.show(parameters_figure(exp.history, output_parameter_names(exp), exact), key="parameters")
