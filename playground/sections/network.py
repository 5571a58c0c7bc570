"""The Network view: the network as a diagram (what each neuron computes, the weights as edges) beside its
output, animated together on the same moments as the Fit & landscape view."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ..charts.diagram import LINE_POINTS, MEAN_ROWS, PICTURE_POINTS, Drawn, InputGrid, network_figure
from ..charts.fit import fit_panel
from ..charts.style import frame_indices, padded_range
from ..engine import evenly_spaced
from ..experiment import Experiment
from ..numbers import readable
from ..safe_text import markdown_literal
from . import plot
from .training_views import frame_labels


def input_grid(exp: Experiment) -> InputGrid:
    """The points the node pictures are drawn over: a line along x (1-D data) or a grid over the x1–x2 plane
    (2-D data), padded like the fit panel, in the data's own units and as network inputs (standardized like
    the run when it was); with more raw inputs, up to MEAN_ROWS evenly spaced training rows (each node is shaded
    by its mean output over them)."""
    raw = np.vstack([exp.raw_train, exp.raw_val])  # (n, r) the points' own coordinates
    names = tuple(exp.dataset.feature_names)  # the network's inputs: columns or input features (x1², sin x1, …)
    r = raw.shape[1]
    if r > 2:
        return InputGrid((), (), exp.X_train[evenly_spaced(len(exp.X_train), MEAN_ROWS)], names)
    counts = (LINE_POINTS,) if r == 1 else (PICTURE_POINTS, PICTURE_POINTS)
    axes = tuple(np.linspace(*padded_range(raw[:, k], 0.05), count) for k, count in enumerate(counts))
    points = np.column_stack([a.ravel() for a in np.meshgrid(*axes)]) if r == 2 else axes[0][:, None]  # (G, r)
    return InputGrid(axes, tuple(exp.raw_names), exp.network_inputs(points), names)


def network_view(exp: Experiment, reference=None) -> tuple[dict, Drawn]:
    """(figure, what it draws) for the run: the same frames and labels as the Fit & landscape figure."""
    frames = frame_indices(len(exp.history.step))
    fit_reference = reference if exp.X_train.shape[1] == 1 else None
    output_range = None if exp.task == "classification" else padded_range(exp.y_train, 0.0)
    return network_figure(exp.history, frames, frame_labels(exp, frames), input_grid(exp),
                          fit_panel(exp, frames, fit_reference), output_range)


def render(exp: Experiment, reference) -> None:
    """The diagram and the output, playing together, with what the pictures, colours and widths mean."""
    figure, drawn = network_view(exp, reference)
    plot.show(figure, key="network")
    st.caption(caption(drawn, drawn.axis_names))


def _scale(lo: float, hi: float) -> str:
    return f"{readable(lo, 2)} to {readable(hi, 2)}"


def caption(drawn: Drawn, axis_names) -> str:
    """What the diagram shows, in the numbers it was drawn with; `axis_names` name the pictures' axes."""
    names = [markdown_literal(name) for name in axis_names]
    if drawn.pictures == "plane":
        pictures = (f"Each square is what that node outputs over the {names[0]}–{names[1]} plane at the moment "
                    "shown: the inputs each on their own scale (light = low, dark = high)")
        if drawn.hidden_range:
            pictures += f", the hidden neurons on one scale from white ({readable(drawn.hidden_range[0], 2)}) to " \
                        f"black ({readable(drawn.hidden_range[1], 2)})"
        pictures += ", the output in the right panel's colours."
    elif drawn.pictures == "line":
        pictures = f"Each box is what that node outputs along {names[0]} at the moment shown, bottom to top"
        if drawn.hidden_range:
            pictures += f": hidden neurons {_scale(*drawn.hidden_range)}"
        pictures += f", the output (red, as in the right panel) {_scale(*drawn.output_range)}."
    else:
        pictures = ""
        if drawn.block_inputs:
            pictures = (f"The {drawn.block_inputs} inputs are one block; their weights into the first layer are "
                        "not drawn (dotted). ")
        pictures += ("With more than two inputs there is no plane to draw over: each neuron is shaded by its mean "
                     f"output over {drawn.mean_rows:,} training rows")
        if drawn.hidden_range:
            pictures += f", hidden neurons from white ({readable(drawn.hidden_range[0], 2)}) to black " \
                        f"({readable(drawn.hidden_range[1], 2)})"
        if drawn.classify:
            pictures += ", the output's probability from pale brown (0) through white to pale teal (1)."
        else:
            pictures += f", the output on the Viridis scale from dark blue ({readable(drawn.output_range[0], 2)}) " \
                        f"to yellow ({readable(drawn.output_range[1], 2)})."
    edges = ("Edges: red for a positive weight, blue for a negative one, in three widths by |w| relative to the "
             f"largest drawn ({readable(drawn.largest_weight, 3)}). Hover an edge for its weight, a neuron "
             "for its bias.")
    play = "▶ Play runs the network and its output together"
    if drawn.frames_shown < drawn.frames_given:
        play += (f", over {drawn.frames_shown} of the {drawn.frames_given} moments the Fit & landscape view plays "
                 "(a bigger network needs more data per moment)")
    return f"{pictures} {edges} {play}."
