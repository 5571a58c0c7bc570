"""Side-by-side panels that animate together: each panel brings its traces, axes and per-frame updates.

How plotly.js plays frames (Plotly.animate, 4.x) decides how an animated figure is built. Each frame first
redraws, in every subplot, only the scatter traces the frame lists, and removes from that subplot every
other layer: heatmaps and contours always (they are not "animatable"), and the scatter layer itself when
the frame lists none of that subplot's traces. Only a full redraw (`redraw: true`) brings them back, after
the frame has been on screen. So an animated figure here holds scatter traces only, every frame lists at
least one trace of every panel, and a picture that changes over the frames (a probability shading, a
neuron's picture over the plane) is a layout image whose source each frame replaces: images are redrawn in
place and never dropped.

On a screen too narrow for the panels side by side they stack, the first above the next (fit above landscape,
diagram above output), in the same figure with the same frames: one animation. The figure carries the stacked
arrangement in `layout.meta["stack"]` (what changes, and below which width); the page's chart script applies it
(playground/sections/plot.js), as `stacked` does here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .style import CONTROLS_BELOW_PX, CONTROLS_MARGIN_PX, animation_controls, base_layout, legend_under_title

GAP = 0.12  # between panels (paper fraction): the next panel's axis title and tick labels
COLORBAR_GAP = 0.13  # more after a panel with a colour bar (its title stands beside it, turned)
MIN_PLOT_PX = 200  # the narrowest a panel's plot area may be side by side; narrower, the panels stack
SIDE_MARGINS_PX = 140  # the figure's width outside its plot areas: y tick labels and title, the last colour bar
STACKED_ROW_PX = 270  # a stacked panel's plot height
STACKED_GAP_PX = 80  # between stacked panels: the upper one's x tick labels and axis title
MENU_BELOW_PX = 24  # the Play/Pause buttons stand this far below the slider's top (see style.animation_controls)


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
    panels' colour bars never overlap. A panel's y axis anchored to its x axis (`"scaleanchor": "x"`: drawn to
    scale) is anchored to its own x axis. Animated figures follow the rules of the module docstring; a figure of two
    or more panels carries how they stack (`stacked`).
    """
    gaps = [GAP + (COLORBAR_GAP if any(map(colorbar_owner, panel.traces)) else 0.0) for panel in panels[:-1]]
    share = (1.0 - sum(gaps)) / sum(panel.width for panel in panels)
    layout, data, animated, images, animated_images = base_layout(title, height), [], [], [], []
    owners = []  # (trace index, panel number) of every colour bar
    start = 0.0
    for number, panel in enumerate(panels, start=1):
        suffix = "" if number == 1 else str(number)
        end = start + share * panel.width
        layout[f"xaxis{suffix}"] = {**panel.xaxis, "domain": [start, end], "anchor": f"y{suffix}"}
        layout[f"yaxis{suffix}"] = {**panel.yaxis, "anchor": f"x{suffix}"}
        if panel.yaxis.get("scaleanchor") == "x":
            layout[f"yaxis{suffix}"]["scaleanchor"] = f"x{suffix}"
        animated_images += [(len(images) + i, panel, k) for k, i in enumerate(panel.animated_images)]
        images += [{**item, "xref": f"x{suffix}", "yref": f"y{suffix}"} for item in panel.images]
        layout.setdefault("annotations", []).extend(
            {**item, "xref": f"x{suffix}", "yref": f"y{suffix}"} for item in panel.annotations)
        offset = len(data)
        for trace in panel.traces:
            trace = {**trace, "xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
            if colorbar_owner(trace) is not None:
                trace = with_colorbar(trace, {"x": end + 0.01, "xanchor": "left", "xref": "paper"})
                owners.append((len(data), number))
            data.append(trace)
        listed = panel.animated or ([0] if labels and panel.traces else [])  # a still panel lists one trace
        animated += [(offset + i, panel, k if panel.animated else None) for k, i in enumerate(listed)]
        start = end + (gaps[number - 1] if number < len(panels) else 0.0)
    layout["images"] = images
    figure = {"data": data, "layout": layout}
    controls = any(panel.moves for panel in panels) and labels
    if controls:
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
    if len(panels) > 1:
        narrowest = min(share * panel.width for panel in panels)
        layout["meta"] = {"stack": stack_arrangement(layout, len(panels), data, owners, bool(controls))}
        layout["meta"]["stack"]["below_px"] = round(MIN_PLOT_PX / narrowest + SIDE_MARGINS_PX)
    return figure


def stack_arrangement(layout: dict, count: int, traces: list[dict], owners=(), controls: bool = False,
                      gap_px: int = STACKED_GAP_PX) -> dict:
    """A figure's `count` panels (axes x, y, then x2, y2, …) one above the next, as changes to its layout and traces
    (applied by `stacked`): each panel a row across the whole width, its colour bar (trace index, panel number in
    `owners`) beside its row, the animation controls (`controls`) below the last."""
    top, bottom = layout["margin"]["t"], layout["margin"]["b"]
    height = top + count * STACKED_ROW_PX + (count - 1) * gap_px + bottom
    plot = height - top - bottom
    rows = []
    for row in range(count):
        high = 1.0 - row * (STACKED_ROW_PX + gap_px) / plot
        rows.append((max(high - STACKED_ROW_PX / plot, 0.0), min(high, 1.0)))
    changes = {"height": height}
    for number, (low, high) in enumerate(rows, start=1):
        suffix = "" if number == 1 else str(number)
        changes[f"xaxis{suffix}"] = {"domain": [0.0, 1.0]}
        changes[f"yaxis{suffix}"] = {"domain": [low, high]}
    data = [{} for _ in traces]
    for index, number in owners:
        low, high = rows[number - 1]
        bar = {"x": 1.02, "y": (low + high) / 2, "yanchor": "middle", "len": 0.9 * (high - low), "lenmode": "fraction"}
        data[index] = {"colorbar": bar} if "colorbar" in traces[index] else {"marker": {"colorbar": bar}}
    if controls:
        changes["sliders"] = [{"y": -CONTROLS_BELOW_PX / plot}]
        changes["updatemenus"] = [{"y": -(CONTROLS_BELOW_PX + MENU_BELOW_PX) / plot}]
    legend = layout.get("legend", {})
    if legend.get("yref") == "container":  # as many px from the figure's top (or bottom) at the new height
        from_bottom = legend["y"] * layout["height"] if legend.get("yanchor") == "bottom" else None
        changes["legend"] = {"y": from_bottom / height if from_bottom is not None
                             else 1.0 - (1.0 - legend["y"]) * layout["height"] / height}
    return {"layout": changes, "data": data}


def overlay(target, changes):
    """`target` with `changes` laid over it, without changing either: dicts merged key by key, lists item by item
    (a shorter list of changes leaves the rest, an empty change its item), anything else replaced. plot.js lays the
    stack over the same way."""
    if changes == {}:
        return target
    if isinstance(target, dict) and isinstance(changes, dict):
        return {**target, **{key: overlay(target.get(key), value) for key, value in changes.items()}}
    if isinstance(target, list) and isinstance(changes, list):
        return [overlay(item, changes[i]) if i < len(changes) else item for i, item in enumerate(target)]
    return changes


def stacked(figure: dict) -> dict:
    """The figure as a screen narrower than its `layout.meta["stack"]["below_px"]` shows it: panels stacked."""
    stack = figure["layout"]["meta"]["stack"]
    return {**figure, "layout": overlay(figure["layout"], stack["layout"]),
            "data": overlay(figure["data"], stack["data"])}
