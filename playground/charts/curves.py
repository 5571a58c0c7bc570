"""Loss per epoch and parameters per step: the two time-series charts."""

from __future__ import annotations

import numpy as np

from ..safe_text import plotly_literal
from .style import NEURON, SERIES, TRAIN, VALIDATION, base_layout, compact, log_ticks

MAX_LINES = 24


def loss_figure(history, loss_name: str, log_scale: bool) -> dict:
    """Train/validation loss per epoch over the per-batch losses, with the divergence marked."""
    epochs = np.arange(len(history.train_loss))
    in_epochs = history.step / history.steps_per_epoch  # (F,) frame position in epochs
    data = [
        {"type": "scatter", "mode": "lines", "name": "batch loss", "x": compact(in_epochs[1:]),
         "y": compact(history.batch_loss[1:]), "line": {"color": "rgba(127,127,127,0.45)", "width": 1}},
        {"type": "scatter", "mode": "lines+markers", "name": "train", "x": epochs.tolist(),
         "y": compact(history.train_loss), "line": {"color": TRAIN, "width": 3}, "marker": {"size": 5}},
    ]
    if history.val_loss is not None:
        data.append({"type": "scatter", "mode": "lines+markers", "name": "validation", "x": epochs.tolist(),
                     "y": compact(history.val_loss), "line": {"color": VALIDATION, "width": 3, "dash": "dot"},
                     "marker": {"size": 5, "symbol": "diamond"}})
    layout = base_layout(f"Loss ({loss_name}) per epoch", height=420)
    layout["xaxis"] = {"title": {"text": "epoch"}, "rangemode": "tozero"}
    layout["yaxis"] = {"title": {"text": "loss" + (" (log scale)" if log_scale else "")},
                       "type": "log" if log_scale else "linear"}
    if log_scale:
        curves = [history.batch_loss[1:], history.train_loss]
        layout["yaxis"].update(log_ticks(np.concatenate(curves + [history.val_loss] * (history.val_loss is not None))))
    if history.diverged_at is not None:
        at = history.diverged_at / history.steps_per_epoch
        layout["shapes"] = [{"type": "line", "x0": at, "x1": at, "yref": "paper", "y0": 0, "y1": 1,
                             "line": {"color": NEURON, "width": 2, "dash": "dash"}}]
        layout["annotations"] = [{"x": at, "yref": "paper", "y": 1, "text": f"exploded at update {history.diverged_at}",
                                  "showarrow": False, "xanchor": "left", "font": {"color": NEURON}}]
    return {"data": data, "layout": layout}


def parameters_figure(history, names: list[str], exact: np.ndarray | None) -> dict:
    """The output neuron's weights and bias at every recorded step, with the exact values dashed."""
    k = history.sizes[-2]
    values = history.params[:, -k - 1 :]  # (F, k + 1)
    shown = range(min(values.shape[1], MAX_LINES))
    names = [plotly_literal(name) for name in names]  # a CSV's column names: shown as text, never markup
    data = []
    for i in shown:
        color = SERIES[i % len(SERIES)]
        data.append({"type": "scatter", "mode": "lines", "name": names[i], "x": history.step.tolist(),
                     "y": compact(values[:, i]), "line": {"color": color, "width": 2}})
        if exact is not None:
            data.append({"type": "scatter", "mode": "lines", "name": f"exact {names[i]}", "showlegend": False,
                         "x": [0, int(history.step[-1])], "y": [float(exact[i])] * 2,
                         "line": {"color": color, "width": 1, "dash": "dash"}, "hoverinfo": "name+y"})
    title = "Output neuron's parameters per step" + (" (dashed: exact answer)" if exact is not None else "")
    layout = base_layout(title, height=420)
    layout["xaxis"] = {"title": {"text": "update step"}}
    layout["yaxis"] = {"title": {"text": "value"}}
    return {"data": data, "layout": layout}
