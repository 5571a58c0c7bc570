"""The loss landscape: loss over two parameters of the output neuron, the optimizer's path on it,
its start and the exact optimum. For a one-feature neuron this is the whole landscape over (w, b);
otherwise it is a slice through the final parameters, varying the two chosen ones. With a weight
penalty the surface is the objective the optimizer descends (data loss + λ·Σ r(w)).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..landscape import loss_slice
from .panels import Panel
from .style import MARKER_EDGE, PATH, base_layout, compact, padded_range

MAX_PATH_POINTS = 500
TRAIL_FRAMES = 12
IMAGE_PIXELS = 240  # the landscape image's width and height
IMAGE_LEVELS = 24  # colour bands, each edged by an iso-line
VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b",
           "#fde725")  # plotly's Viridis stops


@dataclass(frozen=True, eq=False)
class LandscapeSlice:
    """Loss values on a grid over parameters (u, v) of the output neuron, and the path through them."""

    u_name: str
    v_name: str
    u_values: np.ndarray  # (U,)
    v_values: np.ndarray  # (V,)
    loss: np.ndarray  # (V, U)
    path_u: np.ndarray  # (F,) parameter u at every history frame
    path_v: np.ndarray  # (F,)
    optimum: tuple[float, float] | None
    optimum_label: str
    is_slice: bool  # True when other parameters are held at their final values


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


def compute_slice(exp, reference, u: int, v: int, resolution: int | None = None) -> LandscapeSlice:
    """The loss over output-neuron parameters u and v (indices; k = the bias), other parameters final."""
    h = exp.history
    k = h.sizes[-2]
    net = h.network(-1)
    inputs = net.forward(exp.X_train)[-2][1] if len(h.sizes) > 2 else exp.X_train  # (n, k)
    columns = np.column_stack([inputs, np.ones(len(inputs))])  # (n, k + 1): what each parameter multiplies
    out = h.params[:, -k - 1 :]  # (F, k + 1): the output neuron's parameters at every frame
    final = out[-1]
    offset = columns @ final - columns[:, u] * final[u] - columns[:, v] * final[v]  # (n,)
    optimum, label = None, "lowest point of this slice"
    if reference is not None and len(h.sizes) == 2:
        exact = np.append(reference[0], reference[1])
        optimum, label = (float(exact[u]), float(exact[v])), "exact optimum"
    path_u, path_v = out[:, u], out[:, v]
    u_range = padded_range(np.append(path_u, optimum[0] if optimum else []), 0.25)
    v_range = padded_range(np.append(path_v, optimum[1] if optimum else []), 0.25)
    fast = h.activation == "linear" and h.loss == "mse" and v == k
    if resolution is None:
        resolution = 90 if fast else int(np.clip(np.sqrt(1.2e6 / max(len(inputs), 1)), 25, 60))
    u_values, v_values = np.linspace(*u_range, resolution), np.linspace(*v_range, resolution)
    weights = (u < k, v < k)  # which of the two are weights (penalised); index k is the bias
    net.params[[-k - 1 + u, -k - 1 + v]] = 0.0  # r(0) = 0: what remains is the penalty of the weights held fixed
    held = net.weight_penalty(h.regularization, h.regularization_rate)
    loss = loss_slice(columns[:, u], columns[:, v], offset, exp.y_train, u_values, v_values,
                      h.activation, h.loss, h.regularization, h.regularization_rate, weights, held)
    if optimum is None:
        i, j = np.unravel_index(np.nanargmin(loss), loss.shape)
        optimum = (float(u_values[j]), float(v_values[i]))
    names = output_parameter_names(exp)
    is_slice = k > 1 or len(h.sizes) > 2
    return LandscapeSlice(names[u], names[v], u_values, v_values, loss, path_u, path_v, optimum, label, is_slice)


def _log_loss(loss: np.ndarray) -> np.ndarray:
    finite = loss[np.isfinite(loss)]
    floor = max(float(finite.max()) * 1e-12, 1e-300) if finite.size else 1.0
    return np.log10(np.where(np.isfinite(loss), loss, np.nan) + floor)


def _viridis(t: np.ndarray) -> np.ndarray:
    """Viridis colours (…, 3) uint8 for values t in [0, 1]."""
    stops = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in VIRIDIS], dtype=float)  # (K, 3)
    at = np.linspace(0.0, 1.0, len(stops))
    return np.stack([np.interp(t, at, stops[:, k]) for k in range(3)], axis=-1).round().astype(np.uint8)


def landscape_image(ls: LandscapeSlice) -> tuple[str, float, float]:
    """A PNG (data URI) of log10(loss) in IMAGE_LEVELS colour bands with darker iso-lines, and its (lo, hi).

    A layout image rather than a contour trace: plotly.js drops heatmap and contour traces from a
    subplot whose other traces animate without a full redraw, and a full redraw per frame is slow.
    """
    z = _log_loss(ls.loss)  # (V, U)
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
    colours = _viridis((np.arange(IMAGE_LEVELS) + 0.5) / IMAGE_LEVELS)  # (L, 3)
    palette = np.vstack([colours, (colours * 0.72).astype(np.uint8), [[128, 128, 128]]])
    image = Image.fromarray(index[::-1].astype(np.uint8), mode="P")  # row 0 = the largest v, at the top
    image.putpalette(palette.ravel().tolist())
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode(), lo, hi


def landscape_panel(ls: LandscapeSlice, frames: np.ndarray) -> Panel:
    """log10(loss) as a banded image, the full path, an animated trail and marker, the start and the optimum."""
    path_rows = np.unique(np.round(np.linspace(0, ls.path_u.size - 1, min(ls.path_u.size, MAX_PATH_POINTS))))
    path_rows = path_rows.astype(int)
    marker = {"size": 12, "line": {"width": 2, "color": MARKER_EDGE}}
    source, lo, hi = landscape_image(ls)
    u_range = [float(ls.u_values[0]), float(ls.u_values[-1])]
    v_range = [float(ls.v_values[0]), float(ls.v_values[-1])]
    traces = [
        # Carries the colour bar and the hover read-out of the loss under the image.
        {"type": "heatmap", "name": "loss", "x": compact(ls.u_values[::3]), "y": compact(ls.v_values[::3]),
         "z": compact(_log_loss(ls.loss)[::3, ::3], 3), "opacity": 0, "showscale": True,
         "zsmooth": "fast",  # one canvas pixel per cell: unseen, so no need to paint the full plot area
         "colorscale": "Viridis", "zmin": lo, "zmax": hi, "colorbar": {"title": {"text": "log₁₀ loss"}, "len": 0.8},
         "hovertemplate": f"{ls.u_name}=%{{x:.4g}}<br>{ls.v_name}=%{{y:.4g}}<br>log₁₀ loss≈%{{z:.3f}}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": "path", "x": compact(ls.path_u[path_rows]),
         "y": compact(ls.path_v[path_rows]), "line": {"color": "rgba(255,255,255,0.7)", "width": 1.5},
         "hoverinfo": "skip", "showlegend": False},
        {"type": "scatter", "mode": "lines", "name": "recent steps", "showlegend": False,
         "x": compact(ls.path_u[frames[-TRAIL_FRAMES:]]), "y": compact(ls.path_v[frames[-TRAIL_FRAMES:]]),
         "line": {"color": PATH, "width": 3}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "markers", "name": "current", "showlegend": False,
         "x": [float(ls.path_u[frames[-1]])],
         "y": [float(ls.path_v[frames[-1]])], "marker": {**marker, "color": PATH, "symbol": "circle"}},
        {"type": "scatter", "mode": "markers", "name": "start", "x": [float(ls.path_u[0])],
         "y": [float(ls.path_v[0])], "marker": {**marker, "color": "#ffffff", "symbol": "square"}},
    ]
    if ls.optimum is not None:
        traces.append({"type": "scatter", "mode": "markers", "name": ls.optimum_label, "x": [ls.optimum[0]],
                       "y": [ls.optimum[1]], "marker": {**marker, "color": "#ffd700", "symbol": "star", "size": 18}})
    us, vs = compact(ls.path_u[frames]), compact(ls.path_v[frames])  # the path at each animation frame
    updates = [[{"x": us[max(0, i - TRAIL_FRAMES + 1) : i + 1], "y": vs[max(0, i - TRAIL_FRAMES + 1) : i + 1]},
                {"x": [us[i]], "y": [vs[i]]}] for i in range(len(frames))]
    return Panel(
        traces=traces,
        xaxis={"title": {"text": ls.u_name}, "range": u_range, "showgrid": False, "zeroline": False},
        yaxis={"title": {"text": ls.v_name}, "range": v_range, "showgrid": False, "zeroline": False},
        animated=[2, 3],
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
    """A 3-D surface of log10(loss) with the optimizer's path drawn on it."""
    rows = np.unique(np.round(np.linspace(0, ls.path_u.size - 1, min(ls.path_u.size, 200)))).astype(int)
    log_loss = _log_loss(ls.loss)
    path_z = _on_surface(log_loss, ls, ls.path_u[rows], ls.path_v[rows])
    layout = base_layout("Loss surface (drag to turn it)", height=560)
    layout["scene"] = {"xaxis": {"title": {"text": ls.u_name}}, "yaxis": {"title": {"text": ls.v_name}},
                       "zaxis": {"title": {"text": "log₁₀ loss"}}}
    return {"data": [
        {"type": "surface", "x": compact(ls.u_values), "y": compact(ls.v_values),
         "z": compact(log_loss, 4), "colorscale": "Viridis", "opacity": 0.9,
         "showscale": False, "name": "loss"},
        {"type": "scatter3d", "mode": "lines+markers", "name": "path", "x": compact(ls.path_u[rows]),
         "y": compact(ls.path_v[rows]), "z": compact(path_z + 0.01),
         "line": {"color": PATH, "width": 5}, "marker": {"size": 2, "color": PATH}},
    ], "layout": layout}
