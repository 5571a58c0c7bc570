"""Side-by-side panels that animate together: each panel brings its traces, axes and per-frame updates."""

from __future__ import annotations

from dataclasses import dataclass, field

from .style import animation_controls, base_layout


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


def compose(panels: list[Panel], labels: list[str], title: str = "", height: int = 480) -> dict:
    """One figure with the panels side by side and, if any panel animates, shared Play/slider frames."""
    gap = 0.12
    width = (1.0 - gap * (len(panels) - 1)) / len(panels)
    layout, data, animated = base_layout(title, height), [], []
    for number, panel in enumerate(panels, start=1):
        suffix = "" if number == 1 else str(number)
        start = (number - 1) * (width + gap)
        layout[f"xaxis{suffix}"] = {**panel.xaxis, "domain": [start, start + width], "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**panel.yaxis, "anchor": f"x{suffix}"}
        layout.setdefault("images", []).extend(
            {**image, "xref": f"x{suffix}", "yref": f"y{suffix}"} for image in panel.images)
        offset = len(data)
        data += [{**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"} for trace in panel.traces]
        animated += [(offset + i, panel, k) for k, i in enumerate(panel.animated)]
    figure = {"data": data, "layout": layout}
    if animated and labels:
        redraw = any(panel.redraw for panel in panels if panel.animated)
        figure["frames"] = [
            {"name": label, "traces": [index for index, _, _ in animated],
             "data": [panel.frames[f][k] for _, panel, k in animated]}
            for f, label in enumerate(labels)
        ]
        layout.update(animation_controls(labels, redraw))
        layout["margin"] = {**layout["margin"], "b": 110}
        layout["height"] = height + 50
    return figure
