"""The network as a diagram beside its output, animated together: inputs → hidden layers → output.

Each node is a small picture of what it computes at the frame shown: for 2-D data its output over the
x1–x2 plane (a small image), for 1-D data its output along x (a line in a box), and with more raw inputs a
circle shaded by its mean output over the data rows. Edges are red for a positive weight and blue for a
negative one (as the weight images of Inspect), wider for a larger |w|; hovering an edge shows its
weight and a node its bias, at the frame shown.

Kept small: 60 frames of ~25 pictures and ~200 edges as JSON numbers would be megabytes. The diagram
is one pair of axes whose y coordinate is a byte (0…255): node pictures over the plane travel as one
palette PNG per frame (a layout image, a pixel per diagram unit: plotly.js keeps images drawn while the
animation plays and drops heatmaps, see panels.py), and edges, grouped per (layer, sign, width) with
their x fixed, animate only the bytes of their ends (plotly.js typed arrays, base64). The bytes are
chosen so that their base64 has no "/", which plotly's JSON encoder (plot.show) writes as the six
characters \\u002f: edge ends come in aligned triplets (source, target, 0) below 240. The figure keeps
as many of the given frames as fit `max_bytes` (evenly spaced, the first and the last always).

Pure NumPy and dicts: no Streamlit, no Plotly objects (plotly's JSON encoder only measures the figure).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import plotly.io.json as plotly_json

from ..engine import evenly_spaced
from ..safe_text import plotly_literal
from .inspect import DIVERGING, FRAME
from .panels import Panel, compose
from .style import NEURON, PROBABILITY_SCALE, compact, png_source, scale_colors, typed_array

PICTURE_POINTS = 8  # grid points per side of a node's picture over the plane (2-D data)
LINE_POINTS = 24  # points of a node's line along x (1-D data)
MEAN_ROWS = 300  # training rows (evenly spaced) a node's mean output is taken over, with more raw inputs
MAX_INPUT_NODES = 12  # more inputs than this (and no picture grid) are drawn as one block
MAX_BYTES = 250_000  # the figure's JSON: under the page's 300 KB per figure
HEIGHT = 560  # figure height before the animation controls (compose adds them)

POSITIVE, NEGATIVE = DIVERGING[-1][1], DIVERGING[0][1]  # red w > 0, blue w < 0: Inspect's weight colours
WIDER_FROM = (1 / 3, 2 / 3)  # |w| / the largest |w| drawn at which an edge gets wider
EDGE_WIDTHS_PX = (0.7, 1.8, 3.4)
BLOCK_EDGE = {"color": FRAME, "width": 1, "dash": "dot"}  # weights from a block of inputs: not drawn one by one
# A neuron's value, light = low, dark = high (as the digits' ink): input and hidden pictures and circles.
VALUE_SCALE = [[0.0, "#ffffff"], [1.0, "#252525"]]
LINE_COLOR = "#7f7f7f"  # a hidden neuron's line (1-D); the output's is NEURON, as in the fit panel
BOUNDED = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}  # activations whose range is known

# Geometry, in the diagram's units (the y axis runs over byte values, so a code is a position).
MIDDLE = 128
SPAN = 240  # y units the tallest column may use
MAX_PITCH = 56  # between node centres
BOX_FRACTION = 0.86  # of the pitch, for a node's picture
EDGE_RUN = 32  # horizontal room for the edges between two columns
CIRCLE_PX = 20
HOVER_ALONG = np.linspace(0.15, 0.85, 15)  # where along its edge (from the source) a hover point may sit
HOVER_PX = 6  # plotly.js cannot tell apart hover points within one marker radius of each other
TRANSPARENT = "rgba(0,0,0,0)"
NAME_CHARS = 14
LEVELS = 95  # colour codes: the even bytes CODE_MIN…CODE_MAX (0: no value)
CODE_MIN, CODE_MAX = 2, 2 * LEVELS
EDGE_TOP = 239  # node centres stay below 240: an edge's bytes (source, target, 0) then never make a "/"
KEY_HEIGHT, KEY_MIN_WIDTH, KEY_STEPS = 6, 70, 32  # the colour key of the hidden neurons' shades


@dataclass(frozen=True, eq=False)
class InputGrid:
    """Where the network is evaluated for its node pictures, in raw data units and in network inputs."""

    axes: tuple[np.ndarray, ...]  # raw axes: (x,) for 1-D data, (x1, x2) for 2-D data, () for more raw inputs
    axis_names: tuple[str, ...]  # one per axis
    inputs: np.ndarray  # (G, p) network inputs at each grid point (x1 fastest), or with no axes the data rows
    input_names: tuple[str, ...]  # (p,) the network's input names

    @property
    def pictures(self) -> str:
        """"plane" (2 axes), "line" (1 axis) or "mean" (no axes: each node shaded by its mean over the rows)."""
        return {2: "plane", 1: "line"}.get(len(self.axes), "mean")


@dataclass(frozen=True)
class Drawn:
    """What a network figure shows, for its caption (the same numbers the traces were drawn with)."""

    pictures: str  # as InputGrid.pictures
    axis_names: tuple[str, ...]  # the pictures' axes (InputGrid.axis_names)
    hidden_range: tuple[float, float] | None  # lightest/bottom and darkest/top value of the hidden pictures
    output_range: tuple[float, float]  # the same for the output
    largest_weight: float  # the largest |w| drawn, over the frames given: edge widths are relative to it
    classify: bool  # the output is a probability (else a prediction on the target's scale)
    block_inputs: int  # inputs drawn as one block (their weights not drawn), or 0
    mean_rows: int  # rows each node's mean output is over ("mean" pictures), or 0
    frames_shown: int
    frames_given: int


@dataclass(frozen=True)
class _Column:
    title: str
    names: tuple[str, ...]  # one per node, as hovers and labels say them (data's names as they are: escape to show)
    x: int  # centre
    y: np.ndarray  # (n,) int node centres, the first node on top


# --- Numbers as bytes -----------------------------------------------------------------------------

def byte_codes(values, lo: float, hi: float) -> np.ndarray:
    """Values as colour codes over [lo, hi] (clipped): the even bytes 2…190, LEVELS steps; 0 for a value that
    is not a finite number. Even bytes up to 190 never make a "/" in base64, whatever their order."""
    with np.errstate(all="ignore"):
        scaled = (np.asarray(values, dtype=np.float64) - lo) / (hi - lo)
        codes = 2.0 * (1.0 + np.round((LEVELS - 1) * np.clip(scaled, 0.0, 1.0)))
    return np.where(np.isfinite(scaled), codes, 0.0).astype(np.uint8)


def code_values(codes, lo: float, hi: float) -> np.ndarray:
    """The value each colour code stands for: the inverse of `byte_codes` (NaN for code 0)."""
    levels = np.asarray(codes, dtype=np.float64) / 2.0
    return np.where(levels > 0, lo + (levels - 1.0) / (LEVELS - 1) * (hi - lo), np.nan)


# --- What each node computes ----------------------------------------------------------------------

def layer_outputs(history, frames, inputs: np.ndarray) -> list[np.ndarray]:
    """Per layer after the inputs (hidden layers, then the output): (F, G, units) activations at the frames."""
    with np.errstate(all="ignore"):
        per_frame = [[a for _, a in history.network(int(f)).forward(inputs)] for f in frames]
    return [np.stack([layers[k] for layers in per_frame]) for k in range(len(history.sizes) - 1)]


def value_range(activation: str, values: np.ndarray) -> tuple[float, float]:
    """The range a layer's pictures span: the activation's own for sigmoid and tanh, else the 1st to 99th
    percentile of its finite values over every frame (never empty)."""
    if activation in BOUNDED:
        return BOUNDED[activation]
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    lo, hi = (float(np.percentile(finite, 1)), float(np.percentile(finite, 99))) if finite.size else (0.0, 1.0)
    if hi - lo < 1e-12:
        lo, hi = lo - 0.5, hi + 0.5
    return lo, hi


def largest_weight(history, frames, skip_first: bool = False) -> float:
    """The largest finite |w| over the frames (the width scale of the edges), without the first layer's
    weights when they are not drawn (`skip_first`: inputs drawn as one block)."""
    weights = [np.abs(w) for f in frames for w in history.network(int(f)).weights[int(skip_first):]]
    finite = np.concatenate([w.ravel() for w in weights])
    finite = finite[np.isfinite(finite)]
    return float(finite.max()) if finite.size else 0.0


def width_bin(abs_w: np.ndarray, largest: float) -> np.ndarray:
    """Which of the EDGE_WIDTHS_PX each |w| is drawn with (0 = thinnest)."""
    return np.digitize(abs_w / largest if largest > 0 else np.zeros_like(abs_w), WIDER_FROM)


# --- Geometry -------------------------------------------------------------------------------------

def _columns(sizes: tuple[int, ...], grid: InputGrid, activations: tuple[str, str], block: bool):
    """(columns, rows, pitch, half box): inputs (or one block), each hidden layer, the output."""
    hidden, output = activations
    counts = [1 if block else sizes[0], *sizes[1:]]
    rows = max(max(counts), 3 if block else 1)
    pitch = min(MAX_PITCH, 2 * (SPAN // (2 * rows)))
    half = int(round(BOX_FRACTION * pitch / 2))
    titles = ["inputs"] + [f"hidden {k}<br>{hidden}" for k in range(1, len(sizes) - 1)] + [f"output<br>{output}"]
    names = [(f"{sizes[0]} inputs",) if block else tuple(grid.input_names)]
    names += [tuple(f"h{k}.{j + 1}" for j in range(n)) for k, n in enumerate(sizes[1:-1], start=1)]
    names += [("output",)]
    columns = []
    for c, (title, count, column_names) in enumerate(zip(titles, counts, names)):
        y = MIDDLE + ((count - 1) / 2 - np.arange(count)) * pitch
        columns.append(_Column(title, column_names, c * (2 * half + EDGE_RUN), np.round(y).astype(int)))
    assert all(0 < column.y.min() and column.y.max() <= EDGE_TOP for column in columns)
    return columns, rows, pitch, half


# --- The diagram panel ----------------------------------------------------------------------------

class _Traces:
    """Traces and layout images of one panel with their per-frame updates (one update per animated trace, and one
    new source per animated image, per frame)."""

    def __init__(self, n_frames: int):
        self.traces: list[dict] = []
        self.animated: list[int] = []
        self.frames: list[list[dict]] = [[] for _ in range(n_frames)]
        self.images: list[dict] = []
        self.animated_images: list[int] = []
        self.image_frames: list[list[dict]] = [[] for _ in range(n_frames)]

    def add(self, trace: dict, updates: list[dict] | None = None) -> None:
        self.traces.append(trace)
        if updates is not None:
            self.animated.append(len(self.traces) - 1)
            for frame, update in zip(self.frames, updates):
                frame.append(update)

    def add_image(self, image: dict, sources: list[str] | None = None) -> None:
        self.images.append(image)
        if sources is not None:
            self.animated_images.append(len(self.images) - 1)
            for frame, source in zip(self.image_frames, sources):
                frame.append({"source": source})


def _pictures_image(columns: list[_Column], half: int, codes: list[np.ndarray],
                    offsets: list[int]) -> tuple[dict, np.ndarray]:
    """Node pictures of `columns` as one image a pixel per diagram unit: (its placement, its pixels (F, H, W)).

    `codes[c]` (F, n, rows, cols) are column c's per-node colour codes (rows from the bottom, first node on top),
    drawn as palette index code / 2 + `offsets[c]`; 0 (outside every picture, or no value) is transparent.
    """
    left, right = columns[0].x - half, columns[-1].x + half
    bottom = min(int(column.y.min()) for column in columns) - half
    top = max(int(column.y.max()) for column in columns) + half
    v = top - np.arange(top - bottom) - 0.5  # (H,) each pixel row's centre, in units, the top row first
    u = left + np.arange(right - left) + 0.5  # (W,)
    pixels = np.zeros((len(codes[0]), len(v), len(u)), dtype=np.uint8)
    for column, column_codes, offset in zip(columns, codes, offsets):
        _, n, rows, cols = column_codes.shape
        inside_u = np.abs(u - column.x) < half
        across = np.minimum(((u[inside_u] - column.x + half) / (2 * half) * cols).astype(int), cols - 1)
        for node, centre in enumerate(column.y):
            inside_v = np.abs(v - centre) < half
            up = np.minimum(((v[inside_v] - centre + half) / (2 * half) * rows).astype(int), rows - 1)
            picture = column_codes[:, node][:, up][:, :, across]  # (F, h, w)
            pixels[np.ix_(np.arange(len(pixels)), np.flatnonzero(inside_v), np.flatnonzero(inside_u))] = \
                np.where(picture > 0, picture // 2 + offset, 0)
    image = {"x": left, "y": top, "sizex": right - left, "sizey": top - bottom, "xanchor": "left", "yanchor": "top",
             "sizing": "stretch", "layer": "below"}
    return image, pixels


def _palette(*scales) -> np.ndarray:
    """(1 + LEVELS·len(scales), 3): index 0 (transparent), then LEVELS colours of each scale in turn."""
    steps = np.arange(LEVELS) / (LEVELS - 1)
    return np.vstack([[[255, 255, 255]], *(scale_colors(scale, steps) for scale in scales)])


def _plane_codes(values: np.ndarray, grid: InputGrid, lo, hi) -> np.ndarray:
    """(F, G, n) values over the plane → (F, n, n2, n1) codes; lo, hi scalars or (n,) per node."""
    n1, n2 = len(grid.axes[0]), len(grid.axes[1])
    frames, _, n = values.shape
    codes = byte_codes(values, np.asarray(lo), np.asarray(hi))  # (F, G, n)
    return codes.reshape(frames, n2, n1, n).transpose(0, 3, 1, 2)


def _line_trace(column: _Column, half: int, grid: InputGrid, color: str, width: float) -> dict:
    """A column's lines, one per node across its box (x fixed; the y codes come per frame)."""
    across = np.linspace(-half, half, len(grid.axes[0]))
    x = [v for c in column.y for v in [*compact(column.x + across, 4), None]] if len(column.y) else []
    return {"type": "scatter", "mode": "lines", "x": x, "line": {"color": color, "width": width},
            "hoverinfo": "skip", "showlegend": False}


def _line_codes(values: np.ndarray, column: _Column, half: int, lo: float, hi: float) -> np.ndarray:
    """(F, G, n) values → (F, n·(G + 1)) y positions (in tenths of a unit: whole units drew a straight line as
    stairs): each node's line inside its box, a 0 after each line (its x is None there). Sent as JSON numbers."""
    with np.errstate(all="ignore"):
        scaled = np.clip((values - lo) / (hi - lo), 0.0, 1.0)
    scaled = np.where(np.isfinite(scaled), scaled, 0.0)
    y = np.round(column.y[None, None, :] - half + scaled * 2 * half, 1)  # (F, G, n)
    lines = np.concatenate([y, np.zeros_like(y[:, :1])], axis=1)  # (F, G + 1, n)
    return lines.transpose(0, 2, 1).reshape(len(values), -1)


def _boxes(columns: list[_Column], half: int, block: bool, circles: bool, rows: int, pitch: int) -> dict:
    """Thin grey outlines of the input block and, unless nodes are circles, of every node's box."""
    x, y = [], []

    def box(cx, cy, hx, hy):
        x.extend([cx - hx, cx + hx, cx + hx, cx - hx, cx - hx, None])
        y.extend([cy - hy, cy - hy, cy + hy, cy + hy, cy - hy, None])

    for number, column in enumerate(columns):
        if number == 0 and block:
            box(column.x, MIDDLE, half, min(rows, 3) * pitch / 2)
            continue
        if circles:
            continue
        for cy in column.y:
            box(column.x, int(cy), half, half)
    return {"type": "scatter", "mode": "lines", "x": x, "y": y, "line": {"color": FRAME, "width": 1},
            "hoverinfo": "skip", "showlegend": False}


def _circles(columns: list[_Column], size: int, mean: np.ndarray | None, scale, lo: float, hi: float,
             with_fill: bool) -> tuple[dict, list[dict] | None]:
    """Nodes as circles, shaded by their mean output per frame (`mean` (F, n)) or left unfilled."""
    x = [column.x for column in columns for _ in column.y]
    y = [int(c) for column in columns for c in column.y]
    marker = {"size": size, "line": {"color": FRAME, "width": 1.5}}
    if not with_fill:
        marker["color"] = TRANSPARENT
        return {"type": "scatter", "mode": "markers", "x": x, "y": y, "marker": marker, "hoverinfo": "skip",
                "showlegend": False}, None
    marker.update(color=compact(mean[-1], 3), cmin=lo, cmax=hi, colorscale=scale)
    trace = {"type": "scatter", "mode": "markers", "x": x, "y": y, "marker": marker, "hoverinfo": "skip",
             "showlegend": False}
    return trace, [{"marker": {"color": row}} for row in compact(mean, 3)]


def _legend(traces: _Traces, columns: list[_Column]) -> None:
    """The legend's "w > 0" and "w < 0": lines drawn below the visible range (an edge trace may be empty at the
    last frame, and plotly.js leaves an empty trace out of the legend); a click hides or shows every edge of
    that sign (legend groups)."""
    for color, name in ((POSITIVE, "w > 0"), (NEGATIVE, "w < 0")):
        traces.add({"type": "scatter", "mode": "lines", "name": name, "legendgroup": name, "x": [columns[0].x] * 2,
                    "y": [-100, -100], "line": {"color": color, "width": EDGE_WIDTHS_PX[-1]}, "hoverinfo": "skip"})


def _edges(traces: _Traces, weights: list[list[np.ndarray]], columns: list[_Column], half: int, block: bool,
           circles: bool, largest: float) -> None:
    """Edge traces per (layer, sign, width): x fixed for every possible edge, y codes of the members per frame."""
    inset = 0 if circles else half  # edges end at a picture's side, or under a circle at its centre
    for layer, (source, target) in enumerate(zip(columns[:-1], columns[1:])):
        x0, x1 = source.x + inset, target.x - inset
        if layer == 0 and block:
            x = [v for _ in target.y for v in (source.x + half, x1, None)]
            y = [v for c in target.y for v in (MIDDLE, int(c), None)]
            traces.add({"type": "scatter", "mode": "lines", "x": x, "y": y, "line": BLOCK_EDGE,
                        "hoverinfo": "skip", "showlegend": False})
            continue
        ends = np.stack(np.meshgrid(source.y, target.y, indexing="ij"), axis=-1).reshape(-1, 2)  # (pairs, 2)
        per_frame = np.array([w[layer].ravel() for w in weights])  # (F, pairs), source-major as `ends`
        bins = width_bin(np.abs(per_frame), largest)  # (F, pairs)
        for sign, color, name in ((1.0, POSITIVE, "w > 0"), (-1.0, NEGATIVE, "w < 0")):
            for width_index, width in enumerate(EDGE_WIDTHS_PX):
                members = (sign * per_frame > 0) & (bins == width_index)  # (F, pairs); NaN is never a member
                if not members.any():
                    continue  # no edge ever has this sign and width: no trace
                updates = []
                for member in members:
                    rows = np.concatenate([ends[member], np.zeros((member.sum(), 1), int)], axis=1)
                    updates.append({"y": typed_array(rows.ravel().astype(np.uint8)) if member.any() else []})
                # x is fixed: as many edges as this trace ever holds (plotly draws min(len(x), len(y)) points)
                fixed_x = [v for _ in range(members.sum(axis=1).max()) for v in (x0, x1, None)]
                traces.add({"type": "scatter", "mode": "lines", "name": name, "legendgroup": name,
                            "showlegend": False, "x": fixed_x, "y": updates[-1]["y"],
                            "line": {"color": color, "width": width}, "hoverinfo": "skip"}, updates)


def _spread(x0: float, x1: float, ends: list[tuple[float, float]]) -> np.ndarray:
    """(edges, 2) a hover point on each edge from (x0, y0) to (x1, y1): one by one, where along its edge it is
    farthest from the points already placed (the middle on a tie). Edges cross, and a fixed fraction along
    each would put points a pixel or two apart, which no mouse can tell apart."""
    placed = np.empty((len(ends), 2))
    for k, (y0, y1) in enumerate(ends):
        candidates = np.column_stack([x0 + HOVER_ALONG * (x1 - x0), y0 + HOVER_ALONG * (y1 - y0)])  # (C, 2)
        if k == 0:
            placed[k] = candidates[len(HOVER_ALONG) // 2]
            continue
        nearest = np.sqrt(((candidates[:, None] - placed[None, :k]) ** 2).sum(axis=-1)).min(axis=1)  # (C,)
        placed[k] = candidates[np.argmax(nearest - 0.01 * np.abs(HOVER_ALONG - 0.5))]
    return placed


def _hover(traces: _Traces, weights, biases, columns: list[_Column], half: int, block: bool,
           circles: bool) -> None:
    """Invisible markers at each edge's hover point and each neuron's centre: its weight or bias per frame."""
    x, y, text = [], [], []
    inset = 0 if circles else half
    for layer, (source, target) in enumerate(zip(columns[:-1], columns[1:])):
        if layer == 0 and block:
            continue
        ends = [(y0, y1) for y0 in source.y for y1 in target.y]  # source-major, as the weights
        for px, py in _spread(source.x + inset, target.x - inset, ends):
            x.append(round(px, 2))
            y.append(round(py, 2))
        text += [f"w from {plotly_literal(a)} to {plotly_literal(b)}" for a in source.names for b in target.names]
    for column in columns[1:]:
        x += [column.x] * len(column.y)
        y += [int(c) for c in column.y]
        text += [f"b of {plotly_literal(name)}" for name in column.names]
    values = np.array([np.concatenate([*(w.ravel() for w in ws[1 if block else 0:]), *bs])
                       for ws, bs in zip(weights, biases)])  # (F, edges + neurons), the order of `text`
    rows = compact(values, 3)
    traces.add({"type": "scatter", "mode": "markers", "x": x, "y": y, "text": text, "customdata": rows[-1],
                "marker": {"size": HOVER_PX, "color": TRANSPARENT}, "showlegend": False, "name": "",
                "hovertemplate": "%{text} = %{customdata}<extra></extra>"},
               [{"customdata": row} for row in rows])


def _labels(columns: list[_Column], half: int, block: bool) -> tuple[list[dict], float]:
    """Column titles above the tallest column, input names left of the inputs; and the top of the titles."""
    top = max(int(column.y.max()) for column in columns) + half + 6
    # The page's font (presenter mode enlarges it); named "row", plot.js makes it smaller where titles would touch.
    notes = [{"x": column.x, "y": top, "text": column.title, "showarrow": False, "yanchor": "bottom",
              "xanchor": "center", "name": "row"} for column in columns]
    inputs = columns[0]
    for name, cy in zip(inputs.names, [MIDDLE] if block else inputs.y):
        shown = name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"
        notes.append({"x": inputs.x - half - 3, "y": int(cy), "text": plotly_literal(shown), "showarrow": False,
                      "xanchor": "right", "yanchor": "middle"})
    return notes, top + 22


def _diagram(history, frames, grid: InputGrid, classify: bool, output_range) -> tuple[Panel, Drawn]:
    """The diagram's panel (every trace with its per-frame updates) and what it draws."""
    output_scale = PROBABILITY_SCALE if classify else "Viridis"  # the fit panel's colours for the prediction
    sizes = history.sizes
    mode = grid.pictures
    block = mode == "mean" and sizes[0] > MAX_INPUT_NODES
    columns, rows, pitch, half = _columns(sizes, grid, (history.hidden_activation, history.activation), block)
    nets = [history.network(int(f)) for f in frames]
    weights = [[w.copy() for w in net.weights] for net in nets]
    biases = [[b.copy() for b in net.biases] for net in nets]
    largest = largest_weight(history, frames, skip_first=block)
    outputs = layer_outputs(history, frames, grid.inputs)  # hidden layers…, output: (F, G, units)
    hidden = outputs[:-1]
    hidden_range = value_range(history.hidden_activation, np.concatenate([h.ravel() for h in hidden])) \
        if hidden else None
    traces = _Traces(len(frames))
    circles = mode == "mean"
    _legend(traces, columns)
    _edges(traces, weights, columns, half, block, circles, largest)
    if mode == "plane":
        _plane_pictures(traces, columns, half, grid, hidden, hidden_range, outputs[-1], output_range, output_scale)
    elif mode == "line":
        _line_pictures(traces, columns, half, grid, hidden, hidden_range, outputs[-1], output_range)
    if mode in ("plane", "line") or block:
        traces.add(_boxes(columns, half, block, circles, rows, pitch))
    if circles:
        _mean_circles(traces, columns, pitch, block, hidden, hidden_range, outputs[-1], output_range, output_scale)
    _hover(traces, weights, biases, columns, half, block, circles)
    notes, top = _labels(columns, half, block)
    bottom = min(MIDDLE - min(rows, 3) * pitch / 2 if block else MIDDLE,
                 *(int(column.y.min()) - half for column in columns[1 if block else 0:])) - 4
    if hidden and mode != "line":  # shades: say which is which
        key, key_notes, bottom = _key(columns[1:-1], half, bottom, hidden_range)
        traces.add_image(key)
        notes += key_notes
    left = columns[0].x - half - (60 if block else 42)
    axis = {"visible": False, "fixedrange": True, "constrain": "domain"}
    panel = Panel(traces=traces.traces, animated=traces.animated, frames=traces.frames, annotations=notes,
                  images=traces.images, animated_images=traces.animated_images, image_frames=traces.image_frames,
                  width=2.0,
                  # room on the right for the output panel's y-axis title and ticks on a narrow page
                  xaxis={**axis, "range": [left, columns[-1].x + half + 40]},
                  yaxis={**axis, "range": [bottom - 4, top], "scaleanchor": "x", "scaleratio": 1})
    drawn = Drawn(mode, grid.axis_names, hidden_range, tuple(output_range), largest, classify,
                  sizes[0] if block else 0, len(grid.inputs) if circles else 0, len(frames), len(frames))
    return panel, drawn


def _key(hidden: list[_Column], half: int, bottom: float, value_range: tuple[float, float]):
    """A colour key under the hidden columns: (its image, its labels, the new bottom of the drawing)."""
    x0, x1 = hidden[0].x - half, hidden[-1].x + half
    if x1 - x0 < KEY_MIN_WIDTH:
        middle = (x0 + x1) / 2
        x0, x1 = middle - KEY_MIN_WIDTH / 2, middle + KEY_MIN_WIDTH / 2
    y1 = bottom - 4
    y0 = y1 - KEY_HEIGHT
    colours = scale_colors(VALUE_SCALE, np.linspace(0.0, 1.0, KEY_STEPS))[None]  # (1, KEY_STEPS, 3)
    image = {"source": png_source(np.arange(KEY_STEPS)[None], colours[0]), "x": x0, "y": y1, "sizex": x1 - x0,
             "sizey": y1 - y0, "xanchor": "left", "yanchor": "top", "sizing": "stretch", "layer": "below"}
    lo, hi = value_range
    below = {"y": y0 - 1, "yanchor": "top", "showarrow": False, "font": {"size": 10}}
    beside = {"y": (y0 + y1) / 2, "yanchor": "middle", "showarrow": False, "font": {"size": 10}, "name": "key"}
    notes = [{**beside, "x": x0 - 2, "xanchor": "right", "text": f"{lo:.3g}".replace("-", "−")},
             {**below, "x": (x0 + x1) / 2, "xanchor": "center", "text": "hidden output"},
             {**beside, "x": x1 + 2, "xanchor": "left", "text": f"{hi:.3g}".replace("-", "−")}]
    return image, notes, y0 - 16


def _input_ranges(inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) (p,) of each input over the grid, widened around a constant input."""
    lo, hi = np.nanmin(inputs, axis=0), np.nanmax(inputs, axis=0)
    flat = ~(hi - lo >= 1e-12)
    return np.where(flat, lo - 0.5, lo), np.where(flat, hi + 0.5, hi)


def _plane_pictures(traces, columns, half, grid, hidden, hidden_range, output, output_range, output_scale):
    """Each node's picture over the plane: the inputs as one still image, the hidden layers and the output as one
    image per frame (pictures must be images to be redrawn while the animation plays; see panels.py)."""
    lo, hi = _input_ranges(grid.inputs)
    inputs = _plane_codes(grid.inputs[None], grid, lo, hi)  # the inputs do not change
    image, pixels = _pictures_image(columns[:1], half, [inputs], [0])
    traces.add_image({**image, "source": png_source(pixels[0], _palette(VALUE_SCALE), 0)})
    codes = [_plane_codes(values, grid, *hidden_range) for values in hidden]
    codes.append(_plane_codes(output, grid, *output_range))
    offsets = [0] * len(hidden) + [LEVELS]  # hidden pictures in grey, the output in the fit panel's colours
    image, pixels = _pictures_image(columns[1:], half, codes, offsets)
    palette = _palette(VALUE_SCALE, output_scale)
    sources = [png_source(frame, palette, 0) for frame in pixels]
    traces.add_image({**image, "source": sources[-1]}, sources)


def _line_pictures(traces, columns, half, grid, hidden, hidden_range, output, output_range):
    lo, hi = _input_ranges(grid.inputs)
    with np.errstate(all="ignore"):
        scaled = (grid.inputs[None] - lo) / (hi - lo)  # (1, G, p): each input over its own range
    trace = _line_trace(columns[0], half, grid, LINE_COLOR, 1.5)
    trace["y"] = _line_codes(scaled, columns[0], half, 0.0, 1.0)[0].tolist()
    traces.add(trace)
    layers = [(column, values, LINE_COLOR, hidden_range) for column, values in zip(columns[1:-1], hidden)]
    for column, values, color, (low, high) in [*layers, (columns[-1], output, NEURON, output_range)]:
        codes = _line_codes(values, column, half, low, high)
        trace = _line_trace(column, half, grid, color, 2)
        trace["y"] = codes[-1].tolist()
        traces.add(trace, [{"y": c} for c in codes.tolist()])


def _mean_circles(traces, columns, pitch, block, hidden, hidden_range, output, output_range, output_scale):
    size = min(CIRCLE_PX, pitch)  # px against units: about 1.5 px a unit at the page's widths
    if not block:
        traces.add(_circles(columns[:1], size, None, None, 0, 1, with_fill=False)[0])
    if hidden:
        mean = np.concatenate([np.nanmean(h, axis=1) for h in hidden], axis=1)  # (F, hidden neurons)
        traces.add(*_circles(columns[1:-1], size, mean, VALUE_SCALE, *hidden_range, with_fill=True))
    traces.add(*_circles(columns[-1:], size, np.nanmean(output, axis=1), output_scale, *output_range,
                         with_fill=True))


# --- The figure -----------------------------------------------------------------------------------

def figure_bytes(figure: dict) -> int:
    """Size of the figure as plot.show sends it: plotly's JSON encoder (compact, UTF-8, with <, > and / written
    as six-character escapes)."""
    return len(plotly_json.to_json_plotly(figure).encode())


def network_figure(history, frames, labels: list[str], grid: InputGrid, fit: Panel,
                   output_range: tuple[float, float] | None = None, title: str = "",
                   max_bytes: int = MAX_BYTES) -> tuple[dict, Drawn]:
    """The diagram (left) and the network's output `fit` (right, a fit panel built on the same `frames`),
    animated together over `frames` (history frame numbers) named by `labels`.

    `output_range` is the target's range for a regression (the output's colours or box span it); None for
    a classifier, whose output is a probability. When the figure would exceed `max_bytes`, it keeps evenly
    spaced frames (the first and the last among them) until it fits.
    """
    frames = np.asarray(frames)
    classify = output_range is None
    output_range = (0.0, 1.0) if classify else tuple(map(float, output_range))
    diagram, drawn = _diagram(history, frames, grid, classify, output_range)
    panels = [diagram, fit]
    figure = compose(panels, labels, title=title, height=HEIGHT)
    keep = np.arange(len(frames))
    size = figure_bytes(figure)
    if size > max_bytes and len(frames) > 2:
        static = figure_bytes(compose(panels, [], title=title, height=HEIGHT))
        while size > max_bytes and len(keep) > 2:
            per_frame = (size - static) / len(keep)
            count = max(2, min(len(keep) - 1, int((max_bytes - static) / per_frame)))
            keep = evenly_spaced(len(frames), count)
            thinned = [replace(panel, frames=[panel.frames[k] for k in keep],
                               image_frames=[panel.image_frames[k] for k in keep] if panel.image_frames else [])
                       for panel in panels]
            figure = compose(thinned, [labels[k] for k in keep], title=title, height=HEIGHT)
            size = figure_bytes(figure)
    return figure, replace(drawn, frames_shown=len(keep))
