"""Colours, number compaction, frame picking and the animation controls shared by every chart.

Colours are set on every trace so the figures read the same on Streamlit's light and dark themes.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from ..engine import evenly_spaced

TRAIN = "#1f77b4"  # blue
VALIDATION = "#ff7f0e"  # orange
ALL_POINTS = "#8c8c8c"  # grey: every point of a dataset, where no train/validation split applies (set weights by hand)
NEURON = "#d62728"  # red: the neuron's current prediction
EXACT = "#9944ff"  # violet: the closed-form answer (apart from the neuron's red under every colour blindness)
PATH = "#ff4b4b"
MARKER_EDGE = "#111111"
BOUNDARY = "#4d4d4d"  # the decision boundary (P = 0.5): dark on the pale shading, still seen in a dark legend
OPTIMUM_COLOR = "#ffd700"  # gold: the ★ exact optimum (or ◆ the lowest point drawn) on every landscape
# Classes 0 and 1 (ColorBrewer BrBG's ends, colour-blind safe): points, legends and the P(class 1) shading
# use these on every chart, and no other meaning uses them (blue and orange are train and validation).
CLASS_COLORS = ("#a6611a", "#018571")  # class 0 brown, class 1 teal
PROBABILITY_SCALE = [[0.0, "#dfc27d"], [0.5, "#f5f5f5"], [1.0, "#80cdc1"]]  # P(class 1): 0 → 0.5 → 1, pale
VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779", "#6ece58", "#b5de2b",
           "#fde725")  # plotly's Viridis stops, evenly spaced
SERIES = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
          "#bcbd22", "#17becf")
# Each animation frame, with its slider step, costs plotly.js ~1 ms on every rerun (measured: 91 frames
# ~160 ms to draw, 40 ~90 ms): 60 frames still play smoothly (benchmarks/bench_page.py).
MAX_ANIMATION_FRAMES = 60


def compact(values, digits: int = 5) -> list:
    """Numbers rounded to `digits` significant figures as JSON-ready (nested) lists, one vectorised pass.

    Non-finite values become None (a gap in the chart), so no NaN or infinity reaches a figure. A 2-D
    array gives a list of rows: build many frames' values as one array and compact them at once.
    """
    array = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(array)
    with np.errstate(all="ignore"):
        magnitude = np.floor(np.log10(np.abs(np.where(finite & (array != 0), array, 1.0))))
        scale = 10.0 ** (digits - 1 - magnitude)
        rounded = np.round(array * scale) / scale
    rounded = np.where(np.isfinite(rounded), rounded, array)  # extreme magnitudes: kept as they are
    if finite.all():
        return rounded.tolist()
    with_gaps = rounded.astype(object)
    with_gaps[~finite] = None
    return with_gaps.tolist()


def typed_array(codes: np.ndarray) -> dict:
    """A uint8 array as plotly.js's typed-array JSON (base64 bytes and, for 2-D, its shape): a byte a value."""
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    spec = {"dtype": "u1", "bdata": base64.b64encode(codes.tobytes()).decode("ascii")}
    if codes.ndim > 1:
        spec["shape"] = ",".join(map(str, codes.shape))
    return spec


def scale_colors(scale, t) -> np.ndarray:
    """RGB colours (…, 3) uint8 of a Plotly colour scale (a list of [stop, "#rrggbb"], or "Viridis") at t in [0, 1]."""
    if scale == "Viridis":
        scale = [[k / (len(VIRIDIS) - 1), color] for k, color in enumerate(VIRIDIS)]
    at = np.array([stop for stop, _ in scale], dtype=np.float64)
    rgb = np.array([[int(color[i : i + 2], 16) for i in (1, 3, 5)] for _, color in scale], dtype=np.float64)
    t = np.clip(np.asarray(t, dtype=np.float64), 0.0, 1.0)
    return np.stack([np.interp(t, at, rgb[:, k]) for k in range(3)], axis=-1).round().astype(np.uint8)


def png_source(codes: np.ndarray, palette: np.ndarray, transparent: int | None = None) -> str:
    """A palette PNG as a data URI for a layout image: `codes` (H, W) index `palette` (K, 3) uint8, row 0 at the
    top; code `transparent` (if given) is see-through. Only the colours used are kept (a smaller file).

    Pictures that change with the animation travel this way (see panels.py)."""
    codes = np.asarray(codes)
    used, index = np.unique(codes, return_inverse=True)  # (U,) the codes present; each code's place among them
    image = Image.fromarray(index.reshape(codes.shape).astype(np.uint8), mode="P")
    image.putpalette(np.asarray(palette, dtype=np.uint8)[used].ravel().tolist())
    options = {"transparency": int(np.searchsorted(used, transparent))} if transparent in used else {}
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True, **options)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def colorbar_carrier(name: str, scale: dict) -> dict:
    """A scatter trace that draws nothing but the colour bar of `scale` (colorscale, cmin, cmax, colorbar): the colour
    bar of a picture that is an image, in a figure that animates (see panels.py)."""
    return {"type": "scatter", "mode": "markers", "name": name, "x": [None], "y": [None], "showlegend": False,
            "hoverinfo": "skip", "marker": {"color": [scale["cmin"]], "showscale": True, **scale}}


def frame_indices(n_frames: int, max_frames: int = MAX_ANIMATION_FRAMES) -> np.ndarray:
    """At most `max_frames` evenly spaced frame numbers, always including the first and the last."""
    return evenly_spaced(n_frames, max_frames)


def padded_range(values, pad: float = 0.08) -> list[float]:
    """[lo, hi] of the finite values with a margin, never empty."""
    array = np.asarray(values, dtype=np.float64)
    array = array[np.isfinite(array)]
    lo, hi = (float(array.min()), float(array.max())) if array.size else (0.0, 1.0)
    span = hi - lo or max(abs(hi), 1.0)
    return [lo - pad * span, hi + pad * span]


DEFAULT_FONT_PX = 12  # plotly.js's text size, which the chart layouts are spaced for
CONTROLS_BELOW_PX = 62  # the slider's read-out starts this far below the plot area: under the axis titles
CONTROLS_MARGIN_PX = 150  # bottom margin that holds the axis titles, the read-out, the slider and its labels
SLIDER_END_PX = 48  # the slider's rail ends this far left of where it would: half a step label ("epoch 29 · step 85")


def animation_controls(labels: list[str], redraw: bool, plot_height_px: float, duration_ms: int = 80) -> dict:
    """Layout entries for Play/Pause buttons and a frame slider, running in the browser only.

    Placed in pixels below the plot area (`plot_height_px` tall), so that the slider's "epoch · step"
    read-out never sits on an axis title, whatever the figure's height.
    """
    below = -CONTROLS_BELOW_PX / plot_height_px  # paper coordinates
    play = {"frame": {"duration": duration_ms, "redraw": redraw}, "transition": {"duration": 0},
            "fromcurrent": False, "mode": "immediate"}
    pause = {"frame": {"duration": 0, "redraw": redraw}, "mode": "immediate", "transition": {"duration": 0}}
    return {
        "updatemenus": [{
            "type": "buttons", "direction": "left", "x": 0.0, "y": below - 24 / plot_height_px, "xanchor": "left",
            "yanchor": "top", "pad": {"t": 0, "r": 10}, "showactive": False,
            "buttons": [{"label": "▶ Play", "method": "animate", "args": [None, play]},
                        {"label": "❚❚ Pause", "method": "animate", "args": [[None], pause]}],
        }],
        "sliders": [{
            "active": len(labels) - 1, "x": 0.16, "len": 0.84, "y": below, "yanchor": "top",
            "currentvalue": {"prefix": "", "visible": True, "xanchor": "right", "font": {"size": 14}},
            "pad": {"t": 0, "r": SLIDER_END_PX},  # the last step's label, centred on its tick, stays in the figure
            "steps": [{"label": label, "method": "animate",
                       "args": [[label], {"frame": {"duration": 0, "redraw": redraw}, "mode": "immediate",
                                          "transition": {"duration": 0}}]} for label in labels],
        }],
    }


def log_ticks(values) -> dict:
    """Tick values and labels for a log axis over `values`: 1-2-5 steps, or powers of ten over many decades.

    Written out in full ("0.2", "5,000", "1e-6") so that no tick reads as a bare digit ("2" for 0.2) the way
    plotly.js labels the minor ticks of a short log range.
    """
    array = np.asarray(values, dtype=np.float64)
    array = array[np.isfinite(array) & (array > 0)]
    if not array.size:
        return {}
    lo, hi = np.floor(np.log10(array.min())), np.ceil(np.log10(array.max()))
    decades = np.arange(lo, max(hi, lo + 1) + 1)
    mantissas = (1, 2, 5) if len(decades) <= 4 else (1,)
    step = 1 if len(decades) <= 8 else int(np.ceil(len(decades) / 8))
    low, high = array.min(), array.max()
    ticks = [float(m * 10.0**d) for d in decades[::step] for m in mantissas]
    if sum(low <= t <= high for t in ticks) < 2:  # a short range (0.55-0.85: none of 0.5, 1 was on the axis)
        ticks = [float(m * 10.0**d) for d in decades for m in range(1, 10)]
    for digits in range(2, 7):  # shorter still (0.69-0.72): three points across it, to as few digits as tell them apart
        if sum(low <= t <= high for t in ticks) >= 2:
            break
        ticks = sorted({float(f"{t:.{digits}g}") for t in np.geomspace(low, high, 3)})
    ticks = [t for t in ticks if low / 10 ** 0.35 <= t <= high * 10 ** 0.35] or ticks
    return {"tickvals": ticks, "ticktext": [_tick_text(t) for t in ticks]}


def _tick_text(value: float) -> str:
    if 1e-3 <= value < 1e6:
        return f"{value:,.10g}"
    return f"{value:.0e}".replace("e-0", "e-").replace("e+0", "e").replace("e+", "e")


def for_projector(figure: dict, font_px: int, max_height: int | None = None) -> dict:
    """The figure with its text at `font_px` (axis titles, ticks, legend, colour bars, slider read-out) and room
    above the plot for a legend of bigger entries: readable from the back of a room; at most `max_height` px tall
    (so that the whole chart, Play included, is on a projector's first screen), the plot area giving up the room.
    A projector is wide: its panels stay side by side (no stacked arrangement)."""
    size = {"size": font_px}
    layout = {**figure["layout"], "font": {**figure["layout"].get("font", {}), **size}}
    layout.pop("meta", None)
    for name, axis in figure["layout"].items():  # Streamlit's chart theme sets axis fonts of its own
        if name.startswith(("xaxis", "yaxis")):
            title = axis.get("title", {})
            layout[name] = {**axis, "tickfont": size, "title": {**title, "font": size}}
    layout["legend"] = {**layout.get("legend", {}), "font": size}
    margin = layout.get("margin", {})
    scale = font_px / DEFAULT_FONT_PX
    layout["margin"] = {**margin, "t": max(margin.get("t", 50), 3 * font_px + 20)}
    if "sliders" in layout:  # the animation controls move down as far as the bigger axis titles need
        old_plot = figure["layout"]["height"] - margin.get("t", 50) - margin.get("b", 60)
        layout["margin"]["b"] = round(margin.get("b", 60) * scale)
        layout["height"] = figure["layout"]["height"] + layout["margin"]["t"] - margin.get("t", 50) \
            + layout["margin"]["b"] - margin.get("b", 60)
        if max_height:
            layout["height"] = min(layout["height"], max_height)
        new_plot = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]

        def lower(item: dict) -> dict:
            return {**item, "font": size, "y": item["y"] * old_plot * scale / new_plot}

        layout["sliders"] = [{**lower(s), "currentvalue": {**s.get("currentvalue", {}), "font": size}}
                             for s in layout["sliders"]]
        layout["updatemenus"] = [lower(menu) for menu in layout.get("updatemenus", [])]
    elif max_height:
        layout["height"] = min(layout.get("height", 450), max_height)
    data = [_colorbar_font(trace, size) for trace in figure["data"]]
    return {**figure, "data": data, "layout": legend_under_title(layout)}


def _colorbar_font(trace: dict, size: dict) -> dict:
    """The trace with `size` as the tick font of its colour bar (on the trace or on its markers), if it has one."""
    if "colorbar" in trace:
        return {**trace, "colorbar": {**trace["colorbar"], "tickfont": size}}
    marker = trace.get("marker")
    if isinstance(marker, dict) and "colorbar" in marker:
        return {**trace, "marker": {**marker, "colorbar": {**marker["colorbar"], "tickfont": size}}}
    return trace


TITLE_ROOM_PX = 44  # from the top of a titled figure to its legend: the title's line and a gap
MODEBAR_ROOM_PX = 30  # from the top of an untitled figure to its legend: the mode bar's band (top right, on hover)


def legend_under_title(layout: dict) -> dict:
    """A layout with its title at the figure's top and its legend just under it, both placed in the figure's own
    coordinates (`layout["height"]` px): a legend that wraps onto more rows on a narrow screen pushes the plot down
    (plotly.js widens the top margin) instead of running into the title. Untitled, a legend placed in the figure's
    coordinates (base_layout's) starts under the band of the mode bar. Other layouts are left as they are."""
    title = layout.get("title") or {}
    if not title.get("text"):
        legend = layout.get("legend") or {}
        if legend.get("yref") == "container" and legend.get("yanchor") == "top":
            layout["legend"] = {**legend, "y": 1.0 - MODEBAR_ROOM_PX / layout["height"]}
        return layout
    layout["title"] = {**title, "yref": "container", "y": 1.0, "yanchor": "top", "pad": {"t": 12}}
    layout["legend"] = {**layout.get("legend", {}), "yref": "container", "y": 1.0 - TITLE_ROOM_PX / layout["height"],
                        "yanchor": "top"}
    return layout


def base_layout(title: str = "", height: int = 460) -> dict:
    """Margins, legend and height shared by the page's figures: the legend from the left, under the title or the mode
    bar's band, so that neither lies over it."""
    return legend_under_title({
        "title": {"text": title, "x": 0.0, "xanchor": "left"},
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 60},
        "legend": {"orientation": "h", "yref": "container", "y": 1.0, "yanchor": "top", "x": 0.0, "xanchor": "left"},
        "hovermode": "closest",
    })
