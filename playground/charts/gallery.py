"""The activation gallery (notebook 002): each activation and its slope, from the engine's ACTIVATIONS.

Two panels share z ∈ [−6, 6]: g(z) on the left, g′(z) on the right. Where the highlighted
activation's slope is below a threshold, both panels are shaded: backpropagation multiplies by
g′, so there the gradient vanishes and learning stalls.
"""

from __future__ import annotations

import numpy as np

from ..engine import ACTIVATIONS
from ..settings import ACTIVATION_LABELS as LABELS
from .panels import stack_arrangement
from .style import SERIES, base_layout

Z_MIN, Z_MAX = -6.0, 6.0
GRID_POINTS = 241  # step 0.05, with z = 0 on the grid
LOW_GRADIENT = 0.05
ALL = "all"
SHADE = "rgba(214,39,40,0.13)"
SLOPE_TITLE = "<b>slope g′(z)</b>: what backpropagation multiplies by"
SLOPE_TITLE_SHORT = "<b>slope g′(z)</b>: backpropagation's factor"  # on a phone, where the panels stack
STACK_GAP_PX = 110  # between the stacked panels: the upper one's ticks and axis title, the lower one's title
STACK_BOTTOM_PX = 160  # under the stacked panels: the lower one's ticks and axis title, three rows of legend
STACK_BELOW_PX = 620  # narrower, the two panels stack: side by side each plot would be under 220 px wide
STALL_TEXT = {
    "sigmoid": "gradient ≈ 0:<br>learning stalls",
    "tanh": "gradient ≈ 0:<br>learning stalls",
    "relu": "gradient = 0:<br>a 'dead' ReLU<br>stops learning",
    "leaky_relu": "gradient 0.01:<br>slow, never 0",
}
TEACHES = {
    "linear": "g(z) = z and g′(z) = 1 everywhere. The neuron stays a straight line — the output of a "
              "regression. Stacking linear layers gives just another line, so hidden layers need a bend.",
    "sigmoid": "Squashes any z into (0, 1): a probability, the output of a yes/no classifier. Its slope "
               "g(1 − g) is at most 0.25 and almost 0 for |z| > 3: in hidden layers the gradient "
               "vanishes and learning stalls.",
    "tanh": "Squashes into (−1, 1), centred on 0, which helps the next layer learn: usually better than "
            "the sigmoid in hidden layers. Its slope 1 − g² reaches 1 at z = 0 but vanishes too for |z| > 2.",
    "relu": "max(0, z): cheap, and its slope is 1 for every z > 0, so the gradient does not vanish. "
            "For z < 0 the slope is 0: a neuron stuck there stops learning (a 'dead' ReLU).",
    "leaky_relu": "Like ReLU, with a small slope (0.01) for z < 0, so the gradient is never exactly 0 "
                  "and no neuron dies.",
}


def grid() -> np.ndarray:
    """z values the gallery is drawn on: [−6, 6] in steps of 0.05."""
    return np.linspace(Z_MIN, Z_MAX, GRID_POINTS)


def curves(z: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(g(z), g′(z)) for every engine activation, g′ broadcast to z's shape (linear's is a constant)."""
    out = {}
    for name, activation in ACTIVATIONS.items():
        a = activation.f(z)
        out[name] = (a, np.broadcast_to(np.asarray(activation.df(z, a), dtype=np.float64), z.shape))
    return out


def low_gradient_regions(z: np.ndarray, slope: np.ndarray, threshold: float = LOW_GRADIENT
                         ) -> list[tuple[float, float]]:
    """[z0, z1] intervals of the grid where slope < threshold, each a contiguous run of grid points."""
    low = slope < threshold
    regions, start = [], None
    for i, flag in enumerate(low):
        if flag and start is None:
            start = i
        if start is not None and (not flag or i == len(low) - 1):
            end = i if flag else i - 1
            regions.append((round(float(z[start]), 9), round(float(z[end]), 9)))
            start = None
    return regions


def shaded_activation(highlight: str) -> str | None:
    """The activation whose low-gradient region is shaded: the highlighted one, or sigmoid for all."""
    if highlight == ALL:
        return "sigmoid"
    return highlight if highlight in STALL_TEXT else None


def gallery_figure(highlight: str = ALL, threshold: float = LOW_GRADIENT) -> dict:
    """Every activation (left) and its derivative (right), one colour each, `highlight` drawn bold."""
    z = grid()
    data = []
    ranked = list(enumerate(curves(z).items()))
    ranked.sort(key=lambda item: item[1][0] == highlight)  # the highlighted curves drawn last, on top
    for i, (name, (a, da)) in ranked:
        color = SERIES[i % len(SERIES)]
        bold = highlight == name
        faded = highlight not in (ALL, name)
        width = 4.5 if bold else 1.5 if faded else 2.5
        opacity = 0.3 if faded else 1.0
        label = LABELS.get(name, name)
        dash = "dash" if name == "leaky_relu" else "solid"  # it lies on ReLU for z > 0
        common = {"type": "scatter", "mode": "lines", "legendgroup": name, "legendrank": 1000 + i,
                  "opacity": opacity, "line": {"color": color, "width": width, "dash": dash}}
        data.append({**common, "name": label, "x": z.tolist(), "y": a.tolist(), "xaxis": "x", "yaxis": "y",
                     "meta": {"activation": name, "curve": "f"},
                     "hovertemplate": f"z = %{{x:.2f}}<br>{label}(z) = %{{y:.3f}}<extra></extra>"})
        data.append({**common, "name": f"{label}′", "showlegend": False, "x": z.tolist(), "y": da.tolist(),
                     "xaxis": "x2", "yaxis": "y2",
                     "meta": {"activation": name, "curve": "df"},
                     "hovertemplate": f"z = %{{x:.2f}}<br>{label}′(z) = %{{y:.3f}}<extra></extra>"})
    shapes = [{"type": "line", "xref": "x2", "yref": "y2", "x0": Z_MIN, "x1": Z_MAX, "y0": threshold,
               "y1": threshold, "line": {"color": "#7f7f7f", "width": 1, "dash": "dot"}}]
    annotations = [
        {"text": "<b>activation g(z)</b>", "xref": "x domain", "yref": "y domain", "x": 0.0, "y": 1.0,
         "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 14}},
        {"text": SLOPE_TITLE, "xref": "x2 domain", "yref": "y2 domain",
         "x": 0.0, "y": 1.0, "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 14}},
        {"text": f"g′ = {threshold:g}", "xref": "x2", "yref": "y2", "x": Z_MAX, "y": threshold, "xanchor": "right",
         "yanchor": "bottom", "showarrow": False, "font": {"size": 11, "color": "#7f7f7f"}},
    ]
    shaded = shaded_activation(highlight)
    if shaded is not None:
        slope = curves(z)[shaded][1]
        for z0, z1 in low_gradient_regions(z, slope, threshold):
            for axis in ("x", "x2"):
                shapes.append({"type": "rect", "xref": axis, "yref": f"y{axis[1:]} domain", "x0": z0, "x1": z1,
                               "y0": 0, "y1": 1,
                               "fillcolor": SHADE, "line": {"width": 0}, "layer": "below"})
            annotations.append({"text": STALL_TEXT[shaded], "xref": "x2", "yref": "y2", "x": (z0 + z1) / 2,
                                "y": 0.62, "showarrow": False, "font": {"size": 12, "color": "#d62728"}})
    layout = base_layout(height=460)
    layout["margin"] = {"l": 50, "r": 20, "t": 60, "b": 100}  # on top: the mode bar's band, then the panel titles
    # under the panels: above them stand the panels' titles, which a legend wrapping onto rows would run into
    layout["legend"] = {**layout["legend"], "y": 0.0, "yanchor": "bottom"}
    layout["hovermode"] = "x unified"
    layout.update({
        "xaxis": {"domain": [0.0, 0.46], "range": [Z_MIN, Z_MAX], "title": {"text": "z = w·x + b"},
                  "zeroline": True},
        "yaxis": {"range": [-2.2, 4.2], "zeroline": True, "title": {"text": "g(z)"}},
        "xaxis2": {"domain": [0.54, 1.0], "range": [Z_MIN, Z_MAX], "title": {"text": "z = w·x + b"},
                   "zeroline": True, "anchor": "y2"},
        "yaxis2": {"range": [-0.08, 1.12], "anchor": "x2", "zeroline": True, "title": {"text": "g′(z)"}},
        "shapes": shapes,
        "annotations": annotations,
    })
    # on a phone: the activations above the slopes, the legend's rows (up to three) under them
    roomy = {**layout, "margin": {**layout["margin"], "b": STACK_BOTTOM_PX}}
    stack = stack_arrangement(roomy, 2, data, gap_px=STACK_GAP_PX)
    stack["layout"].update(annotations=[{}, {"text": SLOPE_TITLE_SHORT}], margin={"b": STACK_BOTTOM_PX})
    layout["meta"] = {"stack": {**stack, "below_px": STACK_BELOW_PX}}
    return {"data": data, "layout": layout}
