"""The fit panel: data and the network's prediction at each animation frame.

Drawn over the points' own coordinates (before input features and scaling; exp.network_inputs maps them
to what the network is fed). One coordinate: the prediction curve over x. Two: the prediction as a
heatmap over the plane, with the 0.5 boundary for classes. More: predicted against actual values for a
sample of points.
"""

from __future__ import annotations

import numpy as np

from ..engine import ACTIVATIONS
from ..numbers import readable
from ..safe_text import plotly_literal
from .panels import Panel
from .style import (
    BOUNDARY,
    BOUNDARY_LEVEL,
    CLASS_COLORS,
    EXACT,
    NEURON,
    PROBABILITY_SCALE,
    TRAIN,
    VALIDATION,
    boundary_bytes,
    compact,
    padded_range,
    percent_bytes,
)

CURVE_POINTS = 100
HEATMAP_POINTS = 30
BOUNDARY_POINTS = 20  # grid points per side of the P = 0.5 contour: drawn from log-odds, smooth with few
MAX_SCATTER = 100


def fit_panel(exp, frames: np.ndarray, reference=None, show_validation: bool = True) -> Panel:
    """The panel for experiment `exp` at history frames `frames`; `reference` is the exact (w, b) or None;
    `show_validation` draws the held-out points too."""
    r = exp.raw_train.shape[1]
    if r == 1:
        return _curve_panel(exp, frames, reference, show_validation)
    if r == 2:
        return _plane_panel(exp, frames, show_validation)
    return _predicted_vs_actual_panel(exp, frames)


def _points(X, y, name, color, symbol="circle", marker_line=None) -> dict:
    line = marker_line or {"width": 0.5, "color": "#222"}
    return {"type": "scatter", "mode": "markers", "name": name, "x": compact(X), "y": compact(y),
            "marker": {"color": color, "size": 7, "symbol": symbol, "line": line}}


def _x_label(exp, column: int = 0) -> str:
    return plotly_literal(exp.raw_names[column])  # a CSV's column name: shown as text, never markup


def _target(exp) -> str:
    return plotly_literal(exp.dataset.target_name)


def _curve_panel(exp, frames, reference, show_validation) -> Panel:
    h = exp.history
    x_all = np.concatenate([exp.raw_train[:, 0], exp.raw_val[:, 0]])
    x_range = padded_range(x_all, 0.05)
    grid = np.linspace(*x_range, CURVE_POINTS)  # (G,) over x itself
    inputs = exp.network_inputs(grid[:, None])  # (G, p) what the network is fed there
    curves = [h.predict(inputs, frame) for frame in frames]  # F × (G,)
    y_all = np.concatenate([exp.y_train, exp.y_val])
    y_range = _fixed_y_range(y_all, np.array(curves))
    traces = [_points(exp.raw_train[:, 0], exp.y_train, "train", TRAIN)]
    if len(exp.y_val) and show_validation:
        traces.append(_points(exp.raw_val[:, 0], exp.y_val, "validation", VALIDATION, "diamond"))
    if reference is not None:
        exact = ACTIVATIONS[h.activation].f(inputs @ np.asarray(reference[0]).reshape(-1) + reference[1])
        traces.append({"type": "scatter", "mode": "lines", "name": "exact answer", "x": compact(grid),
                       "y": compact(exact), "line": {"color": EXACT, "dash": "dash", "width": 2}})
    traces.append({"type": "scatter", "mode": "lines", "name": "neuron", "x": compact(grid),
                   "y": compact(curves[-1]), "line": {"color": NEURON, "width": 3}})
    return Panel(
        annotations=_off_chart_note(curves[-1], y_range, x_range),
        traces=traces,
        xaxis={"title": {"text": _x_label(exp)}, "range": x_range},
        yaxis={"title": {"text": _target(exp)}, "range": y_range},
        animated=[len(traces) - 1],
        frames=[[{"y": curve}] for curve in compact(np.array(curves))],
    )


def _points_off_chart_note(predicted: np.ndarray, y_range: list[float], x_range: list[float]) -> list[dict]:
    """A note in the panel counting the points whose final prediction lies outside the y-range drawn."""
    off = int(np.count_nonzero(~((predicted >= y_range[0]) & (predicted <= y_range[1]))))
    if not off:
        return []
    finite = predicted[np.isfinite(predicted)]
    lo, hi = (readable(finite.min()), readable(finite.max())) if finite.size else ("", "")
    where = "" if not finite.size else f": ŷ = {lo}" if lo == hi else f": ŷ from {lo} to {hi}"
    return [{"x": x_range[0], "y": y_range[1], "xanchor": "left", "yanchor": "top", "showarrow": False,
             "text": f"{off} of {predicted.size} points are off the chart{where}", "font": {"color": NEURON}}]


def _off_chart_note(curve: np.ndarray, y_range: list[float], x_range: list[float]) -> list[dict]:
    """A note in the panel when the neuron's final line lies wholly outside the y-range drawn."""
    finite = curve[np.isfinite(curve)]
    if finite.size and np.any((finite >= y_range[0]) & (finite <= y_range[1])):
        return []
    where = f"ŷ from {readable(finite.min())} to {readable(finite.max())}" if finite.size else "ŷ not a number"
    return [{"x": x_range[0], "y": y_range[1], "xanchor": "left", "yanchor": "top", "showarrow": False,
             "text": f"the neuron's line is off the chart here ({where})", "font": {"color": NEURON}}]


def _fixed_y_range(y: np.ndarray, curves: np.ndarray) -> list[float]:
    """One y-range for every frame: the data and the curves, but at most one data span beyond the data."""
    lo, hi = padded_range(y, 0.1)
    span = hi - lo
    finite = curves[np.isfinite(curves)]
    if finite.size:
        lo, hi = max(min(lo, float(finite.min())), lo - span), min(max(hi, float(finite.max())), hi + span)
    return [lo, hi]


def _plane_panel(exp, frames, show_validation) -> Panel:
    h = exp.history
    R_all = np.vstack([exp.raw_train, exp.raw_val])
    r1, r2 = padded_range(R_all[:, 0], 0.05), padded_range(R_all[:, 1], 0.05)
    g1, g2 = np.linspace(*r1, HEATMAP_POINTS), np.linspace(*r2, HEATMAP_POINTS)
    G1, G2 = np.meshgrid(g1, g2)  # (G2, G1) each
    plane = exp.network_inputs(np.column_stack([G1.ravel(), G2.ravel()]))  # (G2·G1, p) fed at each grid point
    surfaces = np.array([h.predict(plane, frame).reshape(g2.size, g1.size) for frame in frames])  # (F, G2, G1)
    classify = exp.task == "classification"
    target = _target(exp)
    if classify:  # P(class 1) in whole percents, a byte each: the plane is most of this figure's size
        surfaces = [percent_bytes(z) for z in surfaces]
        shading = {"zmin": 0, "zmax": 100, "colorscale": PROBABILITY_SCALE,
                   "colorbar": {"title": {"text": f"P({target} = 1)", "side": "right"}, "len": 0.8, "thickness": 10,
                                "tickvals": [0, 50, 100], "ticktext": ["0", "0.5", "1"]}}
        hover = "x1=%{x:.3g}<br>x2=%{y:.3g}<br>P=%{z}%<extra></extra>"
    else:
        surfaces = compact(surfaces, 3)
        hover = "x1=%{x:.3g}<br>x2=%{y:.3g}<br>ŷ=%{z:.3g}<extra></extra>"
        lo, hi = padded_range(exp.y_train, 0.0)
        shading = {"zmin": lo, "zmax": hi, "colorscale": "Viridis", "opacity": 0.75,
                   "colorbar": {"title": {"text": f"predicted {target}", "side": "right"}, "len": 0.8,
                                "thickness": 12}}
    grid = {"x": compact(g1), "y": compact(g2)}
    traces = [{"type": "heatmap", "name": "prediction", **grid, "z": surfaces[-1], **shading, "hovertemplate": hover}]
    animated = [0]
    frame_updates = [[{"type": "heatmap", "z": z}] for z in surfaces]
    if classify:  # the decision boundary: where the network says 0.5
        b1, b2 = np.linspace(*r1, BOUNDARY_POINTS), np.linspace(*r2, BOUNDARY_POINTS)
        B1, B2 = np.meshgrid(b1, b2)  # (B2, B1) each
        fed = exp.network_inputs(np.column_stack([B1.ravel(), B2.ravel()]))
        boundaries = [boundary_bytes(h.predict(fed, frame).reshape(b2.size, b1.size)) for frame in frames]
        traces.append({"type": "contour", "name": "boundary (P = 0.5)", "x": compact(b1), "y": compact(b2),
                       "z": boundaries[-1], "showscale": False, "hoverinfo": "skip", "showlegend": True,
                       "contours": {"start": BOUNDARY_LEVEL, "end": BOUNDARY_LEVEL, "size": 1, "coloring": "none"},
                       "line": {"color": BOUNDARY, "width": 2}})
        animated.append(1)
        frame_updates = [[*update, {"type": "contour", "z": z}] for update, z in zip(frame_updates, boundaries)]
    edge = {"width": 1, "color": "#ffffff"}
    parts = [(exp.raw_train, exp.y_train, "train", "circle")]
    if show_validation:
        parts.append((exp.raw_val, exp.y_val, "validation", "diamond"))
    for R, y, part, symbol in parts:
        if not len(y):
            continue
        if not classify:
            color = TRAIN if part == "train" else VALIDATION
            traces.append(_points(R[:, 0], R[:, 1], part, color, symbol, marker_line=edge))
            continue
        for label in (0, 1):  # one trace per class, so the legend shows both
            rows = y == label
            traces.append(_points(R[rows, 0], R[rows, 1], f"{target} = {label}, {part}", CLASS_COLORS[label], symbol,
                                  marker_line=edge))
    return Panel(
        traces=traces,
        xaxis={"title": {"text": _x_label(exp, 0)}, "range": r1},
        yaxis={"title": {"text": _x_label(exp, 1)}, "range": r2},
        animated=animated,
        frames=frame_updates,
        redraw=True,
    )


def _predicted_vs_actual_panel(exp, frames) -> Panel:
    h = exp.history
    rng = np.random.default_rng(0)
    rows = np.sort(rng.choice(len(exp.y_train), size=min(MAX_SCATTER, len(exp.y_train)), replace=False))
    X, y = exp.X_train[rows], exp.y_train[rows]
    predictions = [h.predict(X, frame) for frame in frames]  # F × (m,)
    classify = exp.task == "classification"
    x_values = y + rng.uniform(-0.15, 0.15, y.size) if classify else y
    y_range = [-0.05, 1.05] if classify else padded_range(np.concatenate([y, predictions[-1]]), 0.1)
    x_range = [-0.4, 1.4] if classify else y_range
    traces = [{"type": "scatter", "mode": "lines", "name": "perfect prediction", "x": x_range,
               "y": x_range if not classify else [0.5, 0.5],
               "line": {"color": EXACT, "dash": "dash", "width": 1.5}},
              {"type": "scatter", "mode": "markers", "name": "train points", "x": compact(x_values),
               "y": compact(predictions[-1]), "marker": {"color": NEURON, "size": 7, "opacity": 0.75}}]
    if classify:
        traces[0]["name"] = "decision threshold 0.5"
    return Panel(
        annotations=_points_off_chart_note(predictions[-1], y_range, x_range),
        traces=traces,
        xaxis={"title": {"text": f"actual {_target(exp)}" + (" (jittered)" if classify else "")},
               "range": x_range, **({"tickvals": [0, 1]} if classify else {})},
        yaxis={"title": {"text": "predicted " + ("probability" if classify else _target(exp))},
               "range": y_range},
        animated=[1],
        frames=[[{"y": p}] for p in compact(np.array(predictions))],
    )
