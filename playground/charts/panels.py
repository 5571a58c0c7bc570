"""Side-by-side panels that animate together: each panel brings its traces, axes and per-frame updates."""

from __future__ import annotations

from dataclasses import dataclass, field

from .style import CONTROLS_MARGIN_PX, animation_controls, base_layout

GAP = 0.12  # between panels (paper fraction): the next panel's axis title and tick labels
COLORBAR_GAP = 0.13  # more after a panel with a colour bar (its title stands beside it, turned)


@dataclass
class Panel:
    """Traces on one pair of axes; `frames[k]` holds one update per trace listed in `animated`."""

    traces: list[dict]
    xaxis: dict
    yaxis: dict
    animated: list[int] = field(default_factory=list)  # indices into `traces`
    frames: list[list[dict]] = field(default_factory=list)
    redraw: bool = False  # heatmap updates need a full redraw; scatter updates don't
    images: list[dict] = field(default_factory=list)  # layout images placed in this panel's axes
    annotations: list[dict] = field(default_factory=list)  # layout annotations placed in this panel's axes
    width: float = 1.0  # share of the row's width, relative to the other panels'


def _has_colorbar(trace: dict) -> bool:
    return "colorbar" in trace and trace.get("showscale", True)


def compose(panels: list[Panel], labels: list[str], title: str = "", height: int = 480) -> dict:
    """One figure with the panels side by side and, if any panel animates, shared Play/slider frames.

    A panel's colour bar stands just right of that panel (the gap after it widens to hold it), so two
    panels' colour bars never overlap.
    """
    gaps = [GAP + (COLORBAR_GAP if any(map(_has_colorbar, panel.traces)) else 0.0) for panel in panels[:-1]]
    share = (1.0 - sum(gaps)) / sum(panel.width for panel in panels)
    layout, data, animated = base_layout(title, height), [], []
    start = 0.0
    for number, panel in enumerate(panels, start=1):
        suffix = "" if number == 1 else str(number)
        end = start + share * panel.width
        layout[f"xaxis{suffix}"] = {**panel.xaxis, "domain": [start, end], "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**panel.yaxis, "anchor": f"x{suffix}"}
        for name, items in (("images", panel.images), ("annotations", panel.annotations)):
            layout.setdefault(name, []).extend({**item, "xref": f"x{suffix}", "yref": f"y{suffix}"} for item in items)
        offset = len(data)
        for trace in panel.traces:
            trace = {**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
            if _has_colorbar(trace):
                trace["colorbar"] = {**trace["colorbar"], "x": end + 0.01, "xanchor": "left", "xref": "paper"}
            data.append(trace)
        animated += [(offset + i, panel, k) for k, i in enumerate(panel.animated)]
        start = end + (gaps[number - 1] if number < len(panels) else 0.0)
    figure = {"data": data, "layout": layout}
    if animated and labels:
        redraw = any(panel.redraw for panel in panels if panel.animated)
        figure["frames"] = [
            {"name": label, "traces": [index for index, _, _ in animated],
             "data": [panel.frames[f][k] for _, panel, k in animated]}
            for f, label in enumerate(labels)
        ]
        layout["margin"] = {**layout["margin"], "b": CONTROLS_MARGIN_PX}
        layout["height"] = height + CONTROLS_MARGIN_PX - base_layout()["margin"]["b"]
        plot_height = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
        layout.update(animation_controls(labels, redraw, plot_height))
    return figure
