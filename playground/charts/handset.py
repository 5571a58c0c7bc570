"""Set the weights by hand (notebook 003): slider ranges, the neuron's output, and its figure.

Pure NumPy: the neuron is the engine's own one-layer `Network`, so the loss shown is the loss the
engine trains on, and the parameter counts are the engine's `parameter_counts`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..data import CLASSIFICATION
from ..engine import ACTIVATIONS, Network, parameter_counts
from ..reference import ols, reference_answer
from ..safe_text import plotly_literal
from .style import ALL_POINTS, CLASS_COLORS, MARKER_EDGE, NEURON, PROBABILITY_SCALE, base_layout, compact, padded_range

CURVE_POINTS = 200
MAX_RESIDUALS = 60  # draw the error of each point as a segment up to this many points
CLASS_SYMBOLS = ("circle", "x")  # the notebook's 'o' and 'x'


@dataclass(frozen=True)
class SliderRange:
    """A slider's range, step and starting value."""

    lo: float
    hi: float
    step: float
    default: float

    @property
    def integral(self) -> bool:
        """Whether every value on the slider is a whole number (then it shows as an int slider)."""
        return all(float(v).is_integer() for v in (self.lo, self.hi, self.step, self.default))

    @property
    def decimals(self) -> int:
        """Decimals that the step needs (0.1 → 1, 0.05 → 2, 1 → 0)."""
        return max(0, -math.floor(math.log10(self.step) + 1e-9)) if self.step < 1 else 0

    def snap(self, value: float) -> float:
        """`value` rounded to the step's decimals (slider floats such as 2.0000000000000004 → 2.0)."""
        return round(float(value), self.decimals)


# The notebooks' own values, keyed by (dataset, output activation): ranges that reach them exactly.
NOTEBOOK_SLIDERS: dict[tuple[str, str], tuple[SliderRange, SliderRange]] = {
    ("house", "linear"): (SliderRange(0, 400, 1, 200), SliderRange(-200, 400, 1, 100)),
    ("logistic6", "sigmoid"): (SliderRange(-5.0, 5.0, 0.1, 2.0), SliderRange(-10.0, 10.0, 0.1, -4.5)),
}
SLIDER_STEPS = 200  # about this many steps across a generic range


def nice_step(raw: float) -> float:
    """The 1-2-5 step at or below `raw` (0.037 → 0.02, 3 → 2)."""
    if not math.isfinite(raw) or raw <= 0:
        return 1.0
    exponent = math.floor(math.log10(raw))
    base = 10.0**exponent
    for m in (5, 2, 1):
        if m * base <= raw * (1 + 1e-9):
            return round(m * base, max(0, -exponent))
    return round(base, max(0, -exponent))  # pragma: no cover


def _range(centre: float, half: float) -> SliderRange:
    step = nice_step(2.0 * half / SLIDER_STEPS)
    lo = math.floor((centre - half) / step) * step
    hi = math.ceil((centre + half) / step) * step
    default = min(max(round(centre / step) * step, lo), hi)
    probe = SliderRange(lo, hi, step, default)
    return SliderRange(probe.snap(lo), probe.snap(hi), step, probe.snap(default))


def centre_answer(X: np.ndarray, y: np.ndarray, activation: str, loss: str, task: str) -> tuple[float, float]:
    """The (w, b) the sliders centre on: the exact optimum when known, else a sensible stand-in.

    Linear + MSE: least squares. Sigmoid + cross-entropy: logistic regression; separable classes
    (no finite optimum) get a steep sigmoid through the middle of the two classes' means.
    """
    exact = reference_answer(X, y, activation, loss)
    if exact is not None:
        return float(exact[0][0]), float(exact[1])
    x = X[:, 0]
    if task == CLASSIFICATION:
        if len(np.unique(y)) < 2:
            return 0.0, 0.0
        m0, m1 = x[y == 0].mean(), x[y == 1].mean()
        gap = m1 - m0 or float(np.std(x)) or 1.0
        w = 8.0 / gap  # p ≈ 0.02 at one mean, 0.98 at the other
        return w, -w * (m0 + m1) / 2.0
    w, b = ols(X, y)
    return float(w[0]), b


def slider_ranges(dataset_key: str, X: np.ndarray, y: np.ndarray, activation: str, loss: str,
                  task: str) -> tuple[SliderRange, SliderRange]:
    """(w, b) slider ranges: the notebook's for its two datasets, else centred on the answer, wide."""
    if (dataset_key, activation) in NOTEBOOK_SLIDERS:
        return NOTEBOOK_SLIDERS[dataset_key, activation]
    w0, b0 = centre_answer(X, y, activation, loss, task)
    x = X[:, 0]
    sx = float(np.std(x)) or 1.0
    sy = float(np.std(y)) or 1.0
    if task == CLASSIFICATION:
        half_w = max(2.0 * abs(w0), 5.0 / sx)
        half_b = max(2.0 * abs(b0), half_w * (abs(float(np.mean(x))) + sx))
    else:
        half_w = max(2.0 * abs(w0), 3.0 * sy / sx)
        half_b = max(2.0 * abs(b0), 3.0 * sy + half_w * abs(float(np.mean(x))))
    return _range(w0, half_w), _range(b0, half_b)


@dataclass(frozen=True)
class Readout:
    """What the neuron with weight w and bias b does on the data."""

    predictions: np.ndarray  # (n,) ŷ at the data points
    loss: float  # the engine's loss over all points
    at_zero: float  # ŷ at x = 0


def one_neuron(w: float, b: float, activation: str, loss: str) -> Network:
    """The engine's single neuron (1 input → 1 output) with its weight and bias set by hand."""
    net = Network(1, (), output_activation=activation, loss=loss)
    net.weights[0][0, 0] = w
    net.biases[0][0] = b
    return net


def readout(X: np.ndarray, y: np.ndarray, w: float, b: float, activation: str, loss: str) -> Readout:
    """Predictions, loss (`Network.loss_value`) and the prediction at x = 0 for this (w, b)."""
    net = one_neuron(w, b, activation, loss)
    return Readout(net.predict(X), net.loss_value(X, y), float(net.predict(np.zeros((1, 1)))[0]))


def decision_boundary(w: float, b: float) -> float | None:
    """x where w·x + b = 0, i.e. where a sigmoid neuron says 0.5; None when w = 0."""
    return None if w == 0 else -b / w


def x_range(x: np.ndarray) -> list[float]:
    """The data's x range with a margin, stretched to show x = 0 (where ŷ = g(b)) when it is near."""
    lo, hi = padded_range(x, 0.05)
    span = hi - lo
    if lo > 0 and lo <= span:
        lo = -0.05 * hi
    elif hi < 0 and -hi <= span:
        hi = -0.05 * lo
    return [lo, hi]


def curve_y_range(x: np.ndarray, y: np.ndarray, w: float, b: float, activation: str) -> list[float]:
    """A fixed y range for the curve view: the data and the starting curve, so the axes stay put."""
    grid = np.linspace(*x_range(x), CURVE_POINTS)
    start = ACTIVATIONS[activation].f(w * grid + b)
    return padded_range(np.concatenate([y, start]), 0.15)


def probability_view(activation: str, task: str) -> bool:
    """Whether to draw notebook 003's probability shading: a sigmoid neuron on 0/1 classes."""
    return activation == "sigmoid" and task == CLASSIFICATION


def _number(value: float) -> str:
    return f"{value:.4g}"


def _points(x, y, task: str) -> list[dict]:
    if task != CLASSIFICATION:
        return [{"type": "scatter", "mode": "markers", "name": "all points", "x": compact(x), "y": compact(y),
                 "marker": {"color": ALL_POINTS, "size": 10, "line": {"width": 1, "color": MARKER_EDGE}},
                 "hovertemplate": "x = %{x}<br>y = %{y}<extra>data</extra>"}]
    traces = []
    for label in (0, 1):
        mask = y == label
        line = {"width": 1, "color": MARKER_EDGE} if CLASS_SYMBOLS[label] == "circle" else {"width": 3}
        traces.append({"type": "scatter", "mode": "markers", "name": f"y = {label}", "x": compact(x[mask]),
                       "y": compact(y[mask]), "hovertemplate": f"x = %{{x}}<extra>y = {label}</extra>",
                       "marker": {"color": CLASS_COLORS[label], "size": 13, "symbol": CLASS_SYMBOLS[label],
                                  "line": line}})
    return traces


def handset_figure(x: np.ndarray, y: np.ndarray, w: float, b: float, activation: str, task: str,
                   x_label: str, y_label: str, y_range: list[float] | None = None) -> dict:
    """The data and the neuron's prediction for this (w, b).

    Sigmoid on classes: notebook 003's shading of the probability behind the curve, the 0.5
    decision boundary and the prediction at x = 0. Otherwise: the prediction line or curve, each
    point's error as a dotted segment, and ŷ at x = 0.
    """
    g = ACTIVATIONS[activation].f
    xr = x_range(x)
    grid = np.linspace(*xr, CURVE_POINTS)
    curve = g(w * grid + b)
    at_zero = float(g(np.array(b)))
    data: list[dict] = []
    shapes: list[dict] = []
    annotations: list[dict] = []
    probability = probability_view(activation, task)
    if probability:
        yr = [-0.15, 1.15]
        # Two rows centred at 0.175 and 0.825 cover exactly [-0.15, 1.15]: a band behind everything.
        data.append({"type": "heatmap", "x": compact(grid), "y": [0.175, 0.825], "z": [compact(curve)] * 2,
                     "zmin": 0.0, "zmax": 1.0, "colorscale": PROBABILITY_SCALE, "name": "probability",
                     "colorbar": {"title": {"text": "P(y = 1)", "side": "right"}, "thickness": 12, "len": 0.8},
                     "hovertemplate": "x = %{x:.2f}<br>P(y = 1) = %{z:.3f}<extra>shading</extra>"})
        shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 0.5, "y1": 0.5,
                       "line": {"color": "#7f7f7f", "width": 1, "dash": "dot"}})
        boundary = decision_boundary(w, b)
        if boundary is not None and xr[0] <= boundary <= xr[1]:
            shapes.append({"type": "line", "x0": boundary, "x1": boundary, "yref": "paper", "y0": 0, "y1": 1,
                           "line": {"color": NEURON, "width": 2, "dash": "dash"}})
            annotations.append({"x": boundary, "y": 1.0, "yref": "paper", "yanchor": "bottom", "showarrow": False,
                                "text": f"decision boundary: p = 0.5 at x = {_number(boundary)}",
                                "font": {"color": NEURON}})
    else:
        yr = y_range or padded_range(np.concatenate([y, curve]), 0.12)
        predictions = g(w * x + b)
        if len(x) <= MAX_RESIDUALS:
            seg_x, seg_y = [], []
            for xi, yi, pi in zip(x.tolist(), y.tolist(), predictions.tolist()):
                seg_x += [xi, xi, None]
                seg_y += [yi, pi, None]
            data.append({"type": "scatter", "mode": "lines", "name": "error ŷ − y", "x": seg_x, "y": seg_y,
                         "line": {"color": "#7f7f7f", "width": 2, "dash": "dot"}, "hoverinfo": "skip"})
    g_text = "" if activation == "linear" else f"{activation}"
    inner = f"{_number(w)}·x {'−' if b < 0 else '+'} {_number(abs(b))}"
    data.append({"type": "scatter", "mode": "lines", "name": f"ŷ = {g_text}({inner})" if g_text else f"ŷ = {inner}",
                 "x": compact(grid), "y": compact(curve), "line": {"color": NEURON, "width": 3},
                 "hovertemplate": "x = %{x:.3g}<br>ŷ = %{y:.4g}<extra>neuron</extra>"})
    data += _points(x, y, task)  # over the curve
    if xr[0] <= 0 <= xr[1]:
        data.append({"type": "scatter", "mode": "markers", "name": "ŷ at x = 0", "x": [0.0], "y": [at_zero],
                     "showlegend": False, "hovertemplate": "x = 0<br>ŷ = %{y:.4g}<extra></extra>",
                     "marker": {"color": NEURON, "size": 11, "symbol": "diamond",
                                "line": {"width": 1.5, "color": "#ffffff"}}})
        if yr[0] <= at_zero <= yr[1]:
            shown = f"{at_zero:.2f}" if probability else _number(at_zero)
            annotations.append({"x": 0.0, "y": at_zero, "ax": 40, "ay": -36 if at_zero < 0.5 * (yr[0] + yr[1])
                                else 36, "showarrow": True, "arrowcolor": NEURON, "text": f"x = 0: ŷ = {shown}",
                                "font": {"color": NEURON}})
    layout = base_layout(height=440)
    layout["margin"]["t"] = 60
    layout["xaxis"] = {"title": {"text": plotly_literal(x_label)}, "range": xr, "zeroline": True}
    layout["yaxis"] = {"title": {"text": "P(y = 1)" if probability else plotly_literal(y_label)}, "range": yr,
                       "zeroline": True}
    layout["shapes"] = shapes
    layout["annotations"] = annotations
    return {"data": data, "layout": layout}


def summary_rows(n_features: int, hidden: tuple[int, ...] = ()) -> list[tuple[str, str, int]]:
    """(layer, output shape, parameters) per dense layer, as Keras's model.summary() lists them."""
    counts = parameter_counts(n_features, hidden)
    units = (*hidden, 1)
    return [(f"L{i + 1} (Dense)", f"(None, {u})", c) for i, (u, c) in enumerate(zip(units, counts))]


def model_summary(n_features: int, hidden: tuple[int, ...] = ()) -> str:
    """A Keras-style model.summary() for n_features → *hidden → 1 (seed 003: one neuron has 2)."""
    rows = summary_rows(n_features, hidden)
    total = sum(count for *_, count in rows)
    rule = "_" * 58
    lines = ['Model: "sequential"', rule, f" {'Layer (type)':<24}{'Output Shape':<22}{'Param #':>9}", "=" * 58]
    for i, (name, shape, count) in enumerate(rows):
        lines.append(f" {name:<24}{shape:<22}{count:>9,}")
        lines.append(rule if i < len(rows) - 1 else "=" * 58)
    lines += [f"Total params: {total:,}", f"Trainable params: {total:,}", "Non-trainable params: 0", rule]
    return "\n".join(lines)
