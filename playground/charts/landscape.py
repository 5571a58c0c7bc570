"""The loss landscape: loss over two parameters of the output neuron, the optimizer's path on it,
its start and the exact optimum. For a one-feature neuron this is the whole landscape over (w, b);
otherwise it is a slice through the final parameters, varying the two chosen ones. With a weight
penalty the surface is the objective the optimizer descends (data loss + λ·Σ r(w)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..budget import slice_resolution
from ..landscape import loss_slice
from ..safe_text import markdown_literal, plotly_literal
from .panels import Panel
from .style import (
    MARKER_EDGE,
    OPTIMUM_COLOR,
    PATH,
    base_layout,
    colorbar_carrier,
    compact,
    padded_range,
    png_source,
    scale_colors,
)

MAX_PATH_POINTS = 500
TRAIL_FRAMES = 12
IMAGE_PIXELS = 240  # the landscape image's width and height
IMAGE_LEVELS = 24  # colour bands, each edged by an iso-line


EXACT_OPTIMUM = "exact optimum"
EXACT_SYMBOL, LOWEST_SYMBOL = "star", "diamond"  # the exact optimum ★, the lowest point drawn ◆


@dataclass(frozen=True, eq=False)
class LandscapeSlice:
    """Loss values on a grid over parameters (u, v) of the output neuron, and the path through them."""

    u_name: str  # the parameters' names, as the data has them (a CSV's column names: user text)
    v_name: str
    u_values: np.ndarray  # (U,)
    v_values: np.ndarray  # (V,)
    loss: np.ndarray  # (V, U)
    path_u: np.ndarray  # (F,) parameter u at every history frame
    path_v: np.ndarray  # (F,)
    optimum: tuple[float, float] | None  # the marked point: the exact optimum, or the grid's lowest interior point
    optimum_label: str  # "exact optimum", "lowest point of this slice", …
    is_slice: bool  # True when other parameters are held fixed
    through: str = "final"  # a slice holds the other parameters at their "final" or "exact" values
    penalty: str = "none"  # "l1"/"l2": the surface is the loss plus that weight penalty (the objective)

    @property
    def quantity(self) -> str:
        """What the surface's height is, in words: "loss" or "loss + L2 penalty"."""
        return "loss" if self.penalty == "none" else f"loss + {self.penalty.upper()} penalty"

    @property
    def exact(self) -> bool:
        """Whether the marked point is the exact optimum (★) rather than the lowest point drawn (◆)."""
        return self.optimum_label == EXACT_OPTIMUM

    @property
    def symbol(self) -> str:
        """Plotly marker symbol of the marked point."""
        return EXACT_SYMBOL if self.exact else LOWEST_SYMBOL

    @property
    def u_text(self) -> str:
        """The u parameter's name as Plotly text (escaped: it may hold a CSV's column name)."""
        return plotly_literal(self.u_name)

    @property
    def v_text(self) -> str:
        """The v parameter's name as Plotly text."""
        return plotly_literal(self.v_name)

    def where(self) -> str:
        """What the grid shows, in words for a Markdown caption (names escaped): the landscape or which slice."""
        u, v = markdown_literal(self.u_name), markdown_literal(self.v_name)
        if not self.is_slice:
            return f"the {self.quantity} over ({u}, {v})"
        if self.through == "exact":
            return (f"a slice of the {self.quantity} through the exact optimum: {u} and {v} vary, every other "
                    "parameter is "
                    "held at its exact value")
        return (f"a slice of the {self.quantity} through the final parameters: {u} and {v} vary, every other "
                "parameter is held "
                "at its final value")

    def marker_text(self) -> str:
        """The marked point in words for a caption, or why there is none."""
        if self.optimum is None:
            return "no point is marked: the lowest loss on this grid lies on its edge (lower values may lie beyond)"
        return f"{'★' if self.exact else '◆'} the {self.optimum_label}"


def output_parameter_names(exp) -> list[str]:
    """Names of the output neuron's weights followed by its bias."""
    h = exp.history
    k = h.sizes[-2]
    if len(h.sizes) > 2:
        names = [f"w from hidden {j + 1}" for j in range(k)]
    else:
        names = ["w"] if k == 1 else [f"w[{name}]" for name in exp.dataset.feature_names]
    return [*names, "b"]


def default_slice_parameters(exp) -> tuple[int, int]:
    """(u, v): the output weight with the largest final magnitude, and the bias."""
    k = exp.history.sizes[-2]
    return int(np.argmax(np.abs(exp.history.params[-1, -k - 1 : -1]))), k


def _interior_minimum(loss: np.ndarray) -> tuple[int, int] | None:
    """(row, column) of the grid's lowest finite value, or None when it lies on the grid's edge."""
    if not np.isfinite(loss).any():
        return None
    i, j = np.unravel_index(np.nanargmin(np.where(np.isfinite(loss), loss, np.nan)), loss.shape)
    if i in (0, loss.shape[0] - 1) or j in (0, loss.shape[1] - 1):
        return None
    return int(i), int(j)


def compute_slice(exp, reference, u: int, v: int, resolution: int | None = None) -> LandscapeSlice:
    """The loss over output-neuron parameters u and v (indices; k = the bias).

    A single neuron with a known exact answer is sliced through that answer (the other weights at
    their exact values), so the ★ is the lowest point of what is drawn; otherwise the slice goes
    through the final parameters and ◆ marks its lowest point when that lies inside the grid.
    """
    h = exp.history
    k = h.sizes[-2]
    net = h.network(-1)
    inputs = net.forward(exp.X_train)[-2][1] if len(h.sizes) > 2 else exp.X_train  # (n, k)
    columns = np.column_stack([inputs, np.ones(len(inputs))])  # (n, k + 1): what each parameter multiplies
    out = h.params[:, -k - 1 :]  # (F, k + 1): the output neuron's parameters at every frame
    is_slice = k > 1 or len(h.sizes) > 2
    exact = None
    if reference is not None and len(h.sizes) == 2:
        exact = np.append(np.asarray(reference[0], dtype=np.float64).reshape(-1), float(reference[1]))  # (k + 1,)
    held = out[-1] if exact is None else exact  # the other parameters' values on this slice
    offset = columns @ held - columns[:, u] * held[u] - columns[:, v] * held[v]  # (n,)
    path_u, path_v = out[:, u].copy(), out[:, v].copy()  # copies: a view would keep every frame's parameters alive
    marked = [] if exact is None else [exact[[u, v]]]
    u_range = padded_range(np.append(path_u, [m[0] for m in marked]), 0.25)
    v_range = padded_range(np.append(path_v, [m[1] for m in marked]), 0.25)
    fast = h.activation == "linear" and h.loss == "mse" and v == k
    if resolution is None:
        resolution = slice_resolution(len(inputs), fast)  # bounded work per slice (budget.py)
    u_values, v_values = np.linspace(*u_range, resolution), np.linspace(*v_range, resolution)
    weights = (u < k, v < k)  # which of the two are weights (penalised); index k is the bias
    net.params[-k - 1 :] = held  # the slice's other weights, for the penalty they carry
    net.params[[-k - 1 + u, -k - 1 + v]] = 0.0  # r(0) = 0: what remains is the penalty of the weights held fixed
    held_penalty = net.weight_penalty(h.regularization, h.regularization_rate)
    loss = loss_slice(columns[:, u], columns[:, v], offset, exp.y_train, u_values, v_values,
                      h.activation, h.loss, h.regularization, h.regularization_rate, weights, held_penalty)
    names = output_parameter_names(exp)
    if exact is not None:
        optimum, label = (float(exact[u]), float(exact[v])), EXACT_OPTIMUM
    else:
        label = "lowest point of this slice" if is_slice else "lowest point on this grid"
        lowest = _interior_minimum(loss)
        optimum = None if lowest is None else (float(u_values[lowest[1]]), float(v_values[lowest[0]]))
    return LandscapeSlice(names[u], names[v], u_values, v_values, loss, path_u, path_v, optimum, label, is_slice,
                          "final" if exact is None else "exact", h.regularization)


def log_loss(loss: np.ndarray) -> np.ndarray:
    """log10 of the loss (what every landscape draws), NaN where it is not finite; never log(0)."""
    finite = loss[np.isfinite(loss)]
    floor = max(float(finite.max()) * 1e-12, 1e-300) if finite.size else 1.0
    return np.log10(np.where(np.isfinite(loss), loss, np.nan) + floor)


def landscape_image(ls: LandscapeSlice) -> tuple[str, float, float]:
    """A PNG (data URI) of log10(loss) in IMAGE_LEVELS colour bands with darker iso-lines, and its (lo, hi).

    A layout image rather than a contour trace: plotly.js drops every trace that is not a scatter while the
    animation plays (see panels.compose), and images stay.
    """
    z = log_loss(ls.loss)  # (V, U)
    u_fine = np.linspace(ls.u_values[0], ls.u_values[-1], IMAGE_PIXELS)
    v_fine = np.linspace(ls.v_values[0], ls.v_values[-1], IMAGE_PIXELS)
    rows = np.array([np.interp(u_fine, ls.u_values, row) for row in z])  # (V, P)
    fine = np.array([np.interp(v_fine, ls.v_values, column) for column in rows.T]).T  # (P, P)
    finite = np.isfinite(fine)
    lo, hi = (float(fine[finite].min()), float(fine[finite].max())) if finite.any() else (0.0, 1.0)
    scaled = (np.where(finite, fine, lo) - lo) / ((hi - lo) or 1.0)
    band = np.minimum((scaled * IMAGE_LEVELS).astype(np.uint8), IMAGE_LEVELS - 1)  # (P, P)
    edge = np.zeros_like(finite)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    index = np.where(edge, band + IMAGE_LEVELS, band)  # the darker twin of each band marks iso-lines
    index[~finite] = 2 * IMAGE_LEVELS  # no value: the neutral grey
    colours = scale_colors("Viridis", (np.arange(IMAGE_LEVELS) + 0.5) / IMAGE_LEVELS)  # (L, 3)
    palette = np.vstack([colours, (colours * 0.72).astype(np.uint8), [[128, 128, 128]]])
    return png_source(index[::-1], palette), lo, hi  # row 0 = the largest v, at the top


def optimum_trace(ls: LandscapeSlice) -> dict:
    """The marked point of a landscape: ★ the exact optimum or ◆ the lowest point drawn (needs ls.optimum)."""
    return {"type": "scatter", "mode": "markers", "name": ls.optimum_label, "x": [ls.optimum[0]],
            "y": [ls.optimum[1]], "marker": {"size": 18, "line": {"width": 2, "color": MARKER_EDGE},
                                             "color": OPTIMUM_COLOR, "symbol": ls.symbol}}


def landscape_panel(ls: LandscapeSlice, frames: np.ndarray) -> Panel:
    """log10(loss) as a banded image, the full path, an animated trail and marker, the start and the optimum."""
    path_rows = np.unique(np.round(np.linspace(0, ls.path_u.size - 1, min(ls.path_u.size, MAX_PATH_POINTS))))
    path_rows = path_rows.astype(int)
    marker = {"size": 12, "line": {"width": 2, "color": MARKER_EDGE}}
    source, lo, hi = landscape_image(ls)
    u_range = [float(ls.u_values[0]), float(ls.u_values[-1])]
    v_range = [float(ls.v_values[0]), float(ls.v_values[-1])]
    lattice_u, lattice_v = np.meshgrid(ls.u_values[::3], ls.v_values[::3])  # (V', U') each
    traces = [
        # The colour bar, and the hover read-out of the loss under the image (points drawn as nothing): scatter
        # traces, which plotly.js keeps drawing while the animation plays (it drops the others, see panels.py).
        colorbar_carrier("loss scale", {"colorscale": "Viridis", "cmin": lo, "cmax": hi,
                                        "colorbar": {"title": {"text": f"log₁₀({ls.quantity})", "side": "right"},
                                                     "len": 0.8}}),
        {"type": "scatter", "mode": "none", "name": "loss", "showlegend": False,
         "x": compact(lattice_u.ravel(), 4), "y": compact(lattice_v.ravel(), 4),  # as the read-out shows them
         "customdata": compact(log_loss(ls.loss)[::3, ::3].ravel(), 4),
         "hovertemplate": f"{ls.u_text}=%{{x:.4g}}<br>{ls.v_text}=%{{y:.4g}}<br>log₁₀({ls.quantity})≈"
                          "%{customdata:.3f}<extra></extra>"},
        # The last steps up to the moment shown, in red, under the whole path in white (narrower, so both show
        # when they coincide: a run that blew up after a few steps is all "last steps").
        {"type": "scatter", "mode": "lines", "name": "recent steps", "showlegend": False,
         "x": compact(ls.path_u[frames[-TRAIL_FRAMES:]]), "y": compact(ls.path_v[frames[-TRAIL_FRAMES:]]),
         "line": {"color": PATH, "width": 5}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "name": "path", "x": compact(ls.path_u[path_rows]),
         "y": compact(ls.path_v[path_rows]), "line": {"color": "rgba(255,255,255,0.8)", "width": 1.5},
         "hoverinfo": "skip", "showlegend": False},
        {"type": "scatter", "mode": "markers", "name": "current", "showlegend": False,
         "x": [float(ls.path_u[frames[-1]])],
         "y": [float(ls.path_v[frames[-1]])], "marker": {**marker, "color": PATH, "symbol": "circle"}},
    ]
    if ls.optimum is not None:
        traces.append(optimum_trace(ls))
    # The start last, so that ■ shows inside a ★ at the same place (a run that blew up far from both).
    traces.append({"type": "scatter", "mode": "markers", "name": "start", "x": [float(ls.path_u[0])],
                   "y": [float(ls.path_v[0])], "marker": {**marker, "color": "#ffffff", "symbol": "square"}})
    us, vs = compact(ls.path_u[frames]), compact(ls.path_v[frames])  # the path at each animation frame
    updates = [[{"x": us[max(0, i - TRAIL_FRAMES + 1) : i + 1], "y": vs[max(0, i - TRAIL_FRAMES + 1) : i + 1]},
                {"x": [us[i]], "y": [vs[i]]}] for i in range(len(frames))]
    return Panel(
        traces=traces,
        xaxis={"title": {"text": ls.u_text}, "range": u_range, "showgrid": False, "zeroline": False},
        yaxis={"title": {"text": ls.v_text}, "range": v_range, "showgrid": False, "zeroline": False},
        animated=[2, 4],
        frames=updates,
        images=[{"source": source, "x": u_range[0], "y": v_range[1], "sizex": u_range[1] - u_range[0],
                 "sizey": v_range[1] - v_range[0], "xanchor": "left", "yanchor": "top", "sizing": "stretch",
                 "layer": "below"}],
    )


def _on_surface(values: np.ndarray, ls: LandscapeSlice, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of grid `values` (V, U) at points (u, v), so the path lies on the surface."""
    j = np.clip(np.searchsorted(ls.u_values, u) - 1, 0, ls.u_values.size - 2)
    i = np.clip(np.searchsorted(ls.v_values, v) - 1, 0, ls.v_values.size - 2)
    tu = np.clip((u - ls.u_values[j]) / (ls.u_values[j + 1] - ls.u_values[j]), 0, 1)
    tv = np.clip((v - ls.v_values[i]) / (ls.v_values[i + 1] - ls.v_values[i]), 0, 1)
    return ((1 - tv) * ((1 - tu) * values[i, j] + tu * values[i, j + 1])
            + tv * ((1 - tu) * values[i + 1, j] + tu * values[i + 1, j + 1]))


def surface_figure(ls: LandscapeSlice) -> dict:
    """A 3-D surface of log10(loss) with the optimizer's path, the start ■ and the marked point on it.

    The camera looks down at the valley from high above its low corner, so the path (drawn just above the
    surface) is not hidden behind a ridge.
    """
    rows = np.unique(np.round(np.linspace(0, ls.path_u.size - 1, min(ls.path_u.size, 200)))).astype(int)
    z = log_loss(ls.loss)  # (V, U)
    span = float(np.nanmax(z) - np.nanmin(z)) if np.isfinite(z).any() else 1.0
    lift = 0.01 * (span or 1.0)  # draw the path just above the surface
    on_surface = _on_surface(z, ls, ls.path_u[rows], ls.path_v[rows]) + lift
    points = [("start", ls.path_u[0], ls.path_v[0], "square", "#ffffff", 6)]
    if ls.optimum is not None:
        points.append((ls.optimum_label, *ls.optimum, "diamond", OPTIMUM_COLOR, 8))
    data = [
        {"type": "surface", "x": compact(ls.u_values), "y": compact(ls.v_values), "z": compact(z, 4),
         "colorscale": "Viridis", "opacity": 0.9, "showscale": False, "name": "loss"},
        {"type": "scatter3d", "mode": "lines", "name": "path", "x": compact(ls.path_u[rows]),
         "y": compact(ls.path_v[rows]), "z": compact(on_surface), "line": {"color": PATH, "width": 6}},
    ]
    for name, u, v, symbol, color, size in points:
        height = _on_surface(z, ls, np.array([u]), np.array([v])) + 2 * lift
        data.append({"type": "scatter3d", "mode": "markers", "name": name, "x": [float(u)], "y": [float(v)],
                     "z": compact(height), "marker": {"symbol": symbol, "color": color, "size": size,
                                                      "line": {"color": MARKER_EDGE, "width": 2}}})
    layout = base_layout("Loss surface (drag to turn it)", height=560)
    layout["scene"] = {"xaxis": {"title": {"text": ls.u_text}}, "yaxis": {"title": {"text": ls.v_text}},
                       "zaxis": {"title": {"text": f"log₁₀({ls.quantity})"}},
                       "camera": {"eye": {"x": -1.25, "y": -1.25, "z": 1.6}}}
    return {"data": data, "layout": layout}
