"""What the notebooks show beyond the main charts: the records table (notebook 001), the neuron's
weights against the exact answer (001's multi-feature part) and the digits as 8×8 images (002).

Pure NumPy/pandas, no Streamlit: tables are DataFrames and figures plain Plotly dicts.
Images are drawn with pixel (r, c) = feature 8r + c, row 0 at the top, as `digits.images` shows them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..safe_text import plotly_literal
from .style import EXACT, NEURON, base_layout, compact

SIDE = 8  # digits are 8×8 pixels
PIXELS = SIDE * SIDE
PIXEL_MAX = 16.0  # digits pixels run 0…16
INK = [[0.0, "#ffffff"], [1.0, "#000000"]]  # greys reversed: 0 = white paper, 16 = black ink
DIVERGING = [[0.0, "#2166ac"], [0.25, "#67a9cf"], [0.5, "#f7f7f7"], [0.75, "#ef8a62"], [1.0, "#b2182b"]]
FRAME = "#9e9e9e"  # mid grey: visible around an image on light and dark themes
MAX_SHOWN_ROWS = 200  # the page shows at most this many rows of the records table (first and last half)


# --- Records table (notebook 001) ------------------------------------------------------------------

def records_columns(history, weight_names: list[str], loss_name: str, frames=slice(None)) -> dict[str, np.ndarray]:
    """The records table's columns at the given frames (all by default): epoch and batch (from 1; row (0, 0) is
    the state before training, its loss the full training loss), the update step, the output neuron's weights and
    bias, the batch loss."""
    k = history.sizes[-2]
    params = history.params[frames]
    columns = {"epoch": history.epoch[frames], "batch": history.batch_number[frames], "step": history.step[frames]}
    columns.update({name: params[:, -k - 1 + j] for j, name in enumerate(weight_names)})
    columns["bias"] = params[:, -1]
    columns[f"batch loss ({loss_name})"] = history.batch_loss[frames]
    return columns


def records_table(history, weight_names: list[str], loss_name: str) -> pd.DataFrame:
    """Per recorded (epoch, batch): the update step, the output neuron's weights and bias, the batch loss."""
    columns = records_columns(history, weight_names, loss_name)
    index = pd.MultiIndex.from_arrays([columns.pop("epoch"), columns.pop("batch")], names=["epoch", "batch"])
    return pd.DataFrame(columns, index=index)


def shown_frames(count: int, max_rows: int = MAX_SHOWN_ROWS) -> np.ndarray:
    """Which of `count` rows the page shows: all, or the first and last `max_rows // 2`."""
    if count <= max_rows:
        return np.arange(count)
    half = max_rows // 2
    return np.r_[:half, count - half : count]


def shown_rows(table: pd.DataFrame, max_rows: int = MAX_SHOWN_ROWS) -> pd.DataFrame:
    """The whole table, or its first and last `max_rows // 2` rows when it is longer."""
    return table.iloc[shown_frames(len(table), max_rows)]


def is_thinned(history) -> bool:
    """True when the History kept fewer states than the run made updates (long runs are thinned)."""
    return len(history.step) < int(history.step[-1]) + 1


# --- Weights against the exact answer (notebook 001, multi-feature part) ---------------------------

def last_frame_of_epoch(history, epoch: int) -> int:
    """The last recorded frame whose update belongs to `epoch` or an earlier one (epoch 0 → frame 0)."""
    return max(int(np.searchsorted(history.epoch, epoch, side="right")) - 1, 0)


def weights_vs_exact_figure(history, feature_names: list[str], exact_w: np.ndarray, epoch: int,
                            exact_label: str) -> dict:
    """Grouped bars: the single neuron's weights at the end of `epoch` beside the exact coefficients."""
    frame = last_frame_of_epoch(history, epoch)
    w = history.w[frame]
    names = [plotly_literal(name) for name in feature_names]  # a CSV's column names: text, never markup
    data = [
        {"type": "bar", "name": f"neuron, epoch {epoch}", "x": names, "y": compact(w),
         "marker": {"color": NEURON}, "hovertemplate": "%{x}: %{y:.4g}<extra>neuron</extra>"},
        {"type": "bar", "name": exact_label, "x": names, "y": compact(exact_w),
         "marker": {"color": EXACT}, "hovertemplate": "%{x}: %{y:.4g}<extra>exact</extra>"},
    ]
    layout = base_layout(f"Weights after epoch {epoch} (step {int(history.step[frame])}) vs {exact_label}", 400)
    layout.update(barmode="group", bargap=0.25, hovermode="x")
    layout["xaxis"] = {"title": {"text": "feature"}, "type": "category", "tickangle": -45 if len(names) > 12 else 0}
    layout["yaxis"] = {"title": {"text": "weight"}, "zeroline": True}
    return {"data": data, "layout": layout}


# --- Digits as images (notebook 002) ---------------------------------------------------------------

def as_image(row: np.ndarray) -> np.ndarray:
    """64 values → (8, 8) with pixel (r, c) = value 8r + c."""
    return np.asarray(row, dtype=np.float64).reshape(SIDE, SIDE)


def _frame(xref: str, yref: str) -> dict:
    """A thin grey box exactly around an 8×8 image: digits have blank border columns that would
    otherwise vanish into a white page."""
    return {"type": "rect", "xref": xref, "yref": yref, "x0": -0.5, "x1": SIDE - 0.5, "y0": -0.5,
            "y1": SIDE - 0.5, "line": {"color": FRAME, "width": 1}, "layer": "above"}


def _grid(images: list[np.ndarray], titles: list[str], per_row: int, style: dict, cell_px: int,
          title: str = "", coloraxis: dict | None = None, title_px: int = 36) -> dict:
    """Small heatmaps in a grid, one pair of axes each (subplots built by hand), a title above each."""
    n = len(images)
    per_row = max(1, min(per_row, n))
    rows = max(1, -(-n // per_row))
    gap_x = 0.02
    width = (1.0 - gap_x * (per_row - 1)) / per_row
    area = rows * (title_px + cell_px)  # plot-area height in pixels
    top = 40 if title else 4
    layout = base_layout(title, top + area + 10)
    layout.update(margin={"l": 10, "r": 10, "t": top, "b": 10}, showlegend=False, hovermode="closest")
    axis = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False, "showline": False}
    data, annotations, shapes = [], [], []
    for i, (image, label) in enumerate(zip(images, titles)):
        suffix = "" if i == 0 else str(i + 1)
        row, col = divmod(i, per_row)
        x0 = col * (width + gap_x)
        y1 = 1.0 - (row * (title_px + cell_px) + title_px) / area
        layout[f"xaxis{suffix}"] = {**axis, "domain": [x0, x0 + width], "anchor": f"y{suffix}",
                                    "range": [-0.5, SIDE - 0.5], "constrain": "domain"}
        layout[f"yaxis{suffix}"] = {**axis, "domain": [max(y1 - cell_px / area, 0.0), y1], "anchor": f"x{suffix}",
                                    "range": [SIDE - 0.5, -0.5], "scaleanchor": f"x{suffix}",
                                    "constrain": "domain"}
        data.append({"type": "heatmap", "z": compact(image, 4), **style,
                     "xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "name": label.replace("<br>", " ")})
        shapes.append(_frame(f"x{suffix}", f"y{suffix}"))
        annotations.append({"text": label, "x": x0 + width / 2, "y": y1, "xref": "paper", "yref": "paper",
                            "xanchor": "center", "yanchor": "bottom", "showarrow": False, "font": {"size": 12}})
    layout["annotations"], layout["shapes"] = annotations, shapes
    if coloraxis is not None:
        layout["coloraxis"] = coloraxis
    return {"data": data, "layout": layout}


def digits_figure(rows: np.ndarray, titles: list[str], title: str = "", per_row: int = 10, cell_px: int = 90) -> dict:
    """Digits (k, 64) in original pixels 0…16 as 8×8 greyscale images (dark = ink), one title each."""
    style = {"colorscale": INK, "zmin": 0.0, "zmax": PIXEL_MAX, "showscale": False,
             "hovertemplate": "row %{y}, column %{x}: %{z}<extra></extra>"}
    images = [as_image(row) for row in np.asarray(rows).reshape(-1, PIXELS)]
    return _grid(images, titles, per_row, style, cell_px=cell_px, title=title)


def _symmetric_limit(values: np.ndarray) -> float:
    finite = np.abs(np.asarray(values, dtype=np.float64))
    finite = finite[np.isfinite(finite)]
    return float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def weight_image_figure(w: np.ndarray, title: str = "The output neuron's 64 weights, as an 8×8 image") -> dict:
    """The 64 input weights of one neuron as an 8×8 image: red pushes the output up, blue down."""
    limit = _symmetric_limit(w)
    trace = {"type": "heatmap", "z": [compact(r, 4) for r in as_image(w)], "colorscale": DIVERGING,
             "zmin": -limit, "zmax": limit,  # symmetric: white is exactly 0
             "colorbar": {"title": {"text": "weight"}, "thickness": 14},
             "hovertemplate": "pixel (%{y}, %{x}): weight %{z:.4g}<extra></extra>"}
    layout = base_layout(title, 380)
    layout.update(margin={"l": 10, "r": 10, "t": 50, "b": 10}, showlegend=False)
    axis = {"showticklabels": False, "ticks": "", "showgrid": False, "zeroline": False, "showline": False}
    layout["shapes"] = [_frame("x", "y")]
    layout["xaxis"] = {**axis, "range": [-0.5, SIDE - 0.5], "constrain": "domain"}
    layout["yaxis"] = {**axis, "range": [SIDE - 0.5, -0.5], "scaleanchor": "x", "constrain": "domain"}
    return {"data": [trace], "layout": layout}


def hidden_weights_figure(W: np.ndarray, per_row: int = 8) -> dict:
    """Each first-hidden-layer neuron's 64 incoming weights W[:, j] as an 8×8 image, one shared scale."""
    W = np.asarray(W, dtype=np.float64).reshape(PIXELS, -1)  # (64, units)
    limit = _symmetric_limit(W)
    coloraxis = {"colorscale": DIVERGING, "cmin": -limit, "cmax": limit,
                 "colorbar": {"title": {"text": "weight"}, "thickness": 14}}
    style = {"coloraxis": "coloraxis",
             "hovertemplate": "pixel (%{y}, %{x}): weight %{z:.4g}<extra></extra>"}
    images = [as_image(W[:, j]) for j in range(W.shape[1])]
    titles = [f"hidden neuron {j + 1}" for j in range(W.shape[1])]
    return _grid(images, titles, per_row, style, cell_px=170,
                 title="Each hidden neuron's 64 incoming weights (one shared scale)", coloraxis=coloraxis)


def misclassified(probabilities: np.ndarray, y: np.ndarray, limit: int = 8) -> np.ndarray:
    """Indices of the wrongly classified rows (output ≥ 0.5 means class 1), most confident mistakes first."""
    p = np.asarray(probabilities, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    wrong = np.flatnonzero((p >= 0.5) != (y == 1.0))
    confidence = np.abs(p[wrong] - 0.5)
    return wrong[np.argsort(-confidence, kind="stable")][:limit]
