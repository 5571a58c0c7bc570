"""Side-by-side panels that animate together: each panel brings its traces, axes and per-frame updates.

How plotly.js plays frames (Plotly.animate, 4.x) decides how an animated figure is built. Each frame first
redraws, in every subplot, only the scatter traces the frame lists, and removes from that subplot every
other layer: heatmaps and contours always (they are not "animatable"), and the scatter layer itself when
the frame lists none of that subplot's traces. Only a full redraw (`redraw: true`) brings them back, after
the frame has been on screen. So an animated figure here holds scatter traces only, every frame lists at
least one trace of every panel, and a picture that changes over the frames (a probability shading, a
neuron's picture over the plane) is a layout image whose source each frame replaces: images are redrawn in
place and never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .style import CONTROLS_MARGIN_PX, animation_controls, base_layout, legend_under_title

GAP = 0.12  # between panels (paper fraction): the next panel's axis title and tick labels
COLORBAR_GAP = 0.13  # more after a panel with a colour bar (its title stands beside it, turned)


@dataclass
class Panel:
    """Traces on one pair of axes; `frames[k]` holds one update per trace listed in `animated`, and
    `image_frames[k]` one update (a new "source") per layout image listed in `animated_images`."""

    traces: list[dict]
    xaxis: dict
    yaxis: dict
    animated: list[int] = field(default_factory=list)  # indices into `traces` (scatter traces)
    frames: list[list[dict]] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)  # layout images placed in this panel's axes
    animated_images: list[int] = field(default_factory=list)  # indices into `images`
    image_frames: list[list[dict]] = field(default_factory=list)
    annotations: list[dict] = field(default_factory=list)  # layout annotations placed in this panel's axes
    width: float = 1.0  # share of the row's width, relative to the other panels'

    @property
    def moves(self) -> bool:
        """Whether anything in this panel changes from frame to frame."""
        return bool(self.animated or self.animated_images)


def colorbar_owner(trace: dict) -> dict | None:
    """The part of a trace that draws a colour bar (the trace, or its markers), or None."""
    for owner in (trace, trace.get("marker") or {}):
        if "colorbar" in owner and owner.get("showscale", owner is trace):
            return owner
    return None


def with_colorbar(trace: dict, colorbar: dict) -> dict:
    """A copy of `trace` whose colour bar (on the trace or on its markers) has `colorbar` merged in."""
    if "colorbar" in trace:
        return {**trace, "colorbar": {**trace["colorbar"], **colorbar}}
    marker = trace["marker"]
    return {**trace, "marker": {**marker, "colorbar": {**marker["colorbar"], **colorbar}}}


def compose(panels: list[Panel], labels: list[str], title: str = "", height: int = 480) -> dict:
    """One figure with the panels side by side and, if any panel animates, shared Play/slider frames.

    A panel's colour bar stands just right of that panel (the gap after it widens to hold it), so two
    panels' colour bars never overlap. Animated figures follow the rules of the module docstring.
    """
    gaps = [GAP + (COLORBAR_GAP if any(map(colorbar_owner, panel.traces)) else 0.0) for panel in panels[:-1]]
    share = (1.0 - sum(gaps)) / sum(panel.width for panel in panels)
    layout, data, animated, images, animated_images = base_layout(title, height), [], [], [], []
    start = 0.0
    for number, panel in enumerate(panels, start=1):
        suffix = "" if number == 1 else str(number)
        end = start + share * panel.width
        layout[f"xaxis{suffix}"] = {**panel.xaxis, "domain": [start, end], "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**panel.yaxis, "anchor": f"x{suffix}"}
        animated_images += [(len(images) + i, panel, k) for k, i in enumerate(panel.animated_images)]
        images += [{**item, "xref": f"x{suffix}", "yref": f"y{suffix}"} for item in panel.images]
        layout.setdefault("annotations", []).extend(
            {**item, "xref": f"x{suffix}", "yref": f"y{suffix}"} for item in panel.annotations)
        offset = len(data)
        for trace in panel.traces:
            trace = {**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
            if colorbar_owner(trace) is not None:
                trace = with_colorbar(trace, {"x": end + 0.01, "xanchor": "left", "xref": "paper"})
            data.append(trace)
        listed = panel.animated or ([0] if labels and panel.traces else [])  # a still panel lists one trace
        animated += [(offset + i, panel, k if panel.animated else None) for k, i in enumerate(listed)]
        start = end + (gaps[number - 1] if number < len(panels) else 0.0)
    layout["images"] = images
    figure = {"data": data, "layout": layout}
    if any(panel.moves for panel in panels) and labels:
        still = [trace.get("name") for trace in data if trace.get("type", "scatter") != "scatter"]
        if still:
            raise ValueError(f"an animated figure holds scatter traces only (plotly.js drops the rest): {still}")
        frames = []
        for f, label in enumerate(labels):
            frame = {"name": label, "traces": [index for index, _, _ in animated],
                     "data": [{} if k is None else panel.frames[f][k] for _, panel, k in animated]}
            if animated_images:
                updates = {index: panel.image_frames[f][k] for index, panel, k in animated_images}
                frame["layout"] = {"images": [updates.get(i, {}) for i in range(max(updates) + 1)]}
            frames.append(frame)
        figure["frames"] = frames
        layout["margin"] = {**layout["margin"], "b": CONTROLS_MARGIN_PX}
        layout["height"] = height + CONTROLS_MARGIN_PX - base_layout()["margin"]["b"]
        plot_height = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
        layout.update(animation_controls(labels, bool(animated_images), plot_height))
        legend_under_title(layout)  # at the new height
    return figure
