"""The fit panel: data and the network's prediction at each animation frame.

Drawn over the points' own coordinates (before input features and scaling; exp.network_inputs maps them
to what the network is fed). One coordinate: the prediction curve over x. Two: the prediction as a
shading over the plane (an image per frame, see panels.py), with the 0.5 boundary for classes. More:
predicted against actual values for a sample of points.
"""

from __future__ import annotations

import numpy as np

from ..engine import ACTIVATIONS
from ..numbers import readable
from ..safe_text import plotly_literal
from .panels import Panel
from .style import (
    BOUNDARY,
    CLASS_COLORS,
    EXACT,
    NEURON,
    PROBABILITY_SCALE,
    TRAIN,
    VALIDATION,
    colorbar_carrier,
    compact,
    padded_range,
    png_source,
    scale_colors,
)

CURVE_POINTS = 100
HEATMAP_POINTS = 30  # cells per side of the shading over the plane (an image the browser smooths)
SHADING_LEVELS = 64  # colours of a regression's shading
SHADING_OPACITY = 0.75
BOUNDARY_POINTS = 20  # grid points per side of the P = 0.5 line: drawn from log-odds, smooth with few
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
    R_all = np.vstack([exp.raw_train, exp.raw_val])
    r1, r2 = padded_range(R_all[:, 0], 0.05), padded_range(R_all[:, 1], 0.05)
    classify = exp.task == "classification"
    target = _target(exp)
    g1, g2 = cell_centres(r1, HEATMAP_POINTS), cell_centres(r2, HEATMAP_POINTS)
    surfaces = _surfaces(exp, frames, g1, g2)  # (F, G2, G1)
    if classify:  # P(class 1) in whole percents
        codes = np.round(100.0 * np.clip(np.nan_to_num(surfaces, nan=0.5), 0.0, 1.0))
        palette = scale_colors(PROBABILITY_SCALE, np.arange(101) / 100.0)
        scale = {"colorscale": PROBABILITY_SCALE, "cmin": 0.0, "cmax": 1.0,
                 "colorbar": {"title": {"text": f"P({target} = 1)", "side": "right"}, "len": 0.8, "thickness": 10,
                              "tickvals": [0, 0.5, 1], "ticktext": ["0", "0.5", "1"]}}
        opacity = 1.0
    else:  # the prediction on the targets' scale, in SHADING_LEVELS bands
        lo, hi = padded_range(exp.y_train, 0.0)
        scaled = np.clip((np.nan_to_num(surfaces, nan=lo) - lo) / (hi - lo), 0.0, 1.0)
        codes = np.minimum(np.floor(scaled * SHADING_LEVELS), SHADING_LEVELS - 1)
        palette = scale_colors("Viridis", (np.arange(SHADING_LEVELS) + 0.5) / SHADING_LEVELS)
        scale = {"colorscale": "Viridis", "cmin": lo, "cmax": hi,
                 "colorbar": {"title": {"text": f"predicted {target}", "side": "right"}, "len": 0.8, "thickness": 12}}
        opacity = SHADING_OPACITY
    sources = [png_source(frame[::-1], palette) for frame in codes.astype(np.uint8)]  # row 0 at the top
    image = {"source": sources[-1], "x": r1[0], "y": r2[1], "sizex": r1[1] - r1[0], "sizey": r2[1] - r2[0],
             "xanchor": "left", "yanchor": "top", "sizing": "stretch", "layer": "below", "opacity": opacity}
    traces = [colorbar_carrier("shading", scale)]
    animated, frame_updates = [], [[] for _ in frames]
    if classify:  # the decision boundary: where the network says 0.5, drawn from the log-odds (smooth, straight for
        b1, b2 = np.linspace(*r1, BOUNDARY_POINTS), np.linspace(*r2, BOUNDARY_POINTS)  # one neuron on x1, x2)
        lines = [zero_level_lines(b1, b2, log_odds(p)) for p in _surfaces(exp, frames, b1, b2)]
        traces.append({"type": "scatter", "mode": "lines", "name": "boundary (P = 0.5)", "x": lines[-1][0],
                       "y": lines[-1][1], "hoverinfo": "skip", "line": {"color": BOUNDARY, "width": 2}})
        animated.append(1)
        frame_updates = [[{"x": x, "y": y}] for x, y in lines]
    edge = {"width": 1, "color": "#ffffff"}
    parts = [(exp.raw_train, exp.y_train, "train", "circle")]
    if show_validation:
        parts.append((exp.raw_val, exp.y_val, "validation", "diamond"))
    for R, y, part, symbol in parts:
        if not len(y):
            continue
        if not classify:  # coloured by their target on the shading's scale: where the fit is right, they blend in
            points = _points(R[:, 0], R[:, 1], part, TRAIN if part == "train" else VALIDATION, symbol,
                             marker_line={"width": 1.5, "color": TRAIN if part == "train" else VALIDATION})
            points["marker"].update(color=compact(y), colorscale="Viridis", cmin=scale["cmin"], cmax=scale["cmax"])
            points["hovertemplate"] = f"x1=%{{x:.3g}}<br>x2=%{{y:.3g}}<br>{target}=%{{marker.color:.3g}}<extra></extra>"
            traces.append(points)
            continue
        for label in (0, 1):  # one trace per class, so the legend shows both
            rows = y == label
            traces.append(_points(R[rows, 0], R[rows, 1], f"{target} = {label}, {part}", CLASS_COLORS[label], symbol,
                                  marker_line=edge))
    return Panel(
        traces=traces,
        # no grid lines: they would be drawn over the shading (an image lies under the grid); drawn to scale (as many
        # px per unit on x1 as on x2: a circle is round), the panel narrowing or shortening to keep it so
        xaxis={"title": {"text": _x_label(exp, 0)}, "range": r1, "showgrid": False, "zeroline": False,
               "constrain": "domain"},
        yaxis={"title": {"text": _x_label(exp, 1)}, "range": r2, "showgrid": False, "zeroline": False,
               "scaleanchor": "x", "scaleratio": 1, "constrain": "domain"},
        animated=animated,
        frames=frame_updates,
        images=[image],
        animated_images=[0],
        image_frames=[[{"source": source}] for source in sources],
    )


def cell_centres(bounds: list[float], cells: int) -> np.ndarray:
    """(cells,) the centres of `cells` equal cells across [lo, hi]: an image of them covers exactly that range."""
    lo, hi = bounds
    return lo + (np.arange(cells) + 0.5) * (hi - lo) / cells


def _surfaces(exp, frames, g1: np.ndarray, g2: np.ndarray) -> np.ndarray:
    """(F, G2, G1) the network's output over the plane of raw inputs (g1 × g2) at each frame."""
    G1, G2 = np.meshgrid(g1, g2)  # (G2, G1) each
    fed = exp.network_inputs(np.column_stack([G1.ravel(), G2.ravel()]))  # (G2·G1, p) fed at each grid point
    return np.array([exp.history.predict(fed, frame).reshape(g2.size, g1.size) for frame in frames])


def log_odds(probabilities: np.ndarray) -> np.ndarray:
    """log(P / (1 − P)), finite (P clipped to 1e-12 … 1 − 1e-12); NaN stays NaN (no boundary drawn there)."""
    p = np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, 1.0 - 1e-12)
    return np.log(p) - np.log1p(-p)


def zero_level_lines(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> tuple[list, list]:
    """Where z (len(y), len(x)) crosses 0, as polylines: marching squares with linear interpolation along each
    cell edge (a saddle cell split by its centre value). Returns the x and y lists of a Plotly line, separate
    lines joined by None; non-finite values cross nothing."""
    z = np.asarray(z, dtype=np.float64)
    ny, nx = z.shape
    above, finite = z > 0, np.isfinite(z)
    with np.errstate(all="ignore"):
        t_h = z[:, :-1] / (z[:, :-1] - z[:, 1:])  # (ny, nx-1) where along each horizontal edge it crosses
        t_v = z[:-1] / (z[:-1] - z[1:])  # (ny-1, nx)
    crossed_h = finite[:, :-1] & finite[:, 1:] & (above[:, :-1] != above[:, 1:])
    crossed_v = finite[:-1] & finite[1:] & (above[:-1] != above[1:])
    n_h = ny * (nx - 1)  # edge ids: horizontal i·(nx−1) + j, then vertical n_h + i·nx + j

    def point(edge: int) -> tuple[float, float]:
        if edge < n_h:
            i, j = divmod(edge, nx - 1)
            return float(x[j] + (x[j + 1] - x[j]) * t_h[i, j]), float(y[i])
        i, j = divmod(edge - n_h, nx)
        return float(x[j]), float(y[i] + (y[i + 1] - y[i]) * t_v[i, j])

    neighbours: dict[int, list[int]] = {}

    def join(a: int, b: int) -> None:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)

    cells = crossed_h[:-1] | crossed_h[1:] | crossed_v[:, :-1] | crossed_v[:, 1:]  # (ny-1, nx-1)
    for i, j in zip(*np.nonzero(cells)):
        bottom, top, left, right = i * (nx - 1) + j, (i + 1) * (nx - 1) + j, n_h + i * nx + j, n_h + i * nx + j + 1
        edges = [e for e, crossed in ((bottom, crossed_h[i, j]), (right, crossed_v[i, j + 1]),
                                      (top, crossed_h[i + 1, j]), (left, crossed_v[i, j])) if crossed]
        if len(edges) == 2:
            join(*edges)
        elif len(edges) == 4:  # a saddle: the centre's side says which corners connect
            pairs = ((bottom, right), (top, left)) if (z[i:i + 2, j:j + 2].mean() > 0) == above[i, j] \
                else ((bottom, left), (top, right))  # first: the corners (i, j) and (i+1, j+1) connect through it
            for a, b in pairs:
                join(a, b)
    xs, ys, seen = [], [], set()
    ends = [e for e, near in neighbours.items() if len(near) == 1]
    for first in ends + list(neighbours):  # open lines from their ends, then closed loops
        if first in seen:
            continue
        line, previous, edge = [], None, first
        while edge is not None:
            seen.add(edge)
            line.append(point(edge))
            following = [e for e in neighbours[edge] if e != previous and e not in seen]
            previous, edge = edge, (following[0] if following else None)
        if len(line) > 2 and first in neighbours[previous]:  # a loop: back to its start
            line.append(line[0])
        if xs:
            xs.append(None)
            ys.append(None)
        xs += compact([p[0] for p in line], 4)
        ys += compact([p[1] for p in line], 4)
    return xs, ys


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
