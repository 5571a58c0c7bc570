"""Playing is drawing: ▶ Play, in a real browser, draws at every moment what the frame shown holds.

For every kind of animated figure (a curve over x, 2-D classes with their shading and boundary, a 2-D
regression's shading, predicted against actual for many inputs, the Network diagram beside its output)
and for the exported HTML opened as a file, the test presses Play and reads what plotly.js has drawn at
several moments: every scatter trace's markers (where each one stands, in pixels) and line vertices, and
the source of every layout image. It compares them with the figure the server sent, merged with the
frame shown (plotly.js's current frame). While a frame is being drawn, what is drawn may still be the
previous frame's (plotly.js updates the traces first and the images in its redraw), so a moment matches
the frame shown or the one before it; paused, it must match the frame shown exactly. A trace or an image
that is missing, or points from no frame at all, fail. Skipped without chromium, unless
PLAYGROUND_REQUIRE_BROWSER=1 (CI).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from playground import export
from playground.experiment import run_experiment
from playground.sections import state
from playground.sections.training_views import fit_and_landscape_figure
from playground.settings import Settings
from tests.browser import (
    PAGE_CHART_SELECTOR,
    PHONE,
    ROOT,
    browser,
    new_page,
    require_browser,
    serve,
    watch_plotly_payloads,
)
from tests.page import decode

# What plotly.js has drawn in a graph div, in one go (one task: no drawing happens meanwhile).
SNAPSHOT_JS = """(gd) => {
  const full = gd._fullLayout, axes = {};
  for (const key of Object.keys(full)) {
    const axis = full[key];
    if (/^[xy]axis\\d*$/.test(key)) axes[axis._id] = {m: axis._m, b: axis._b, length: axis._length, type: axis.type};
  }
  const traces = Array.from(gd.querySelectorAll('.scatterlayer .trace')).map((group) => {
    const trace = group.__data__[0].trace, line = group.querySelector('.js-line');
    return {index: trace.index, xaxis: trace.xaxis, yaxis: trace.yaxis,
            points: Array.from(group.querySelectorAll('.points path.point')).map(p => p.getAttribute('transform')),
            line: line ? line.getAttribute('d') : null};
  });
  const images = Array.from(gd.querySelectorAll('.imagelayer image, .layer-below image, .layer-above image'))
    .filter(image => image.__data__ && image.__data__._index !== undefined)
    .map(image => [image.__data__._index, image.getAttribute('href')]);
  return {frame: full._currentFrame === undefined ? null : full._currentFrame, transitioning: !!gd._transitioning,
          queued: (gd._transitionData._frameQueue || []).length, axes, traces, images};
}"""
SETTLED_JS = "(gd) => !gd._transitioning && !(gd._transitionData._frameQueue || []).length"
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
TOLERANCE_PX = 1.0


def as_numbers(values) -> np.ndarray:
    """A trace's x or y as floats (typed arrays decoded, None as NaN)."""
    if isinstance(values, dict):
        return decode(values).astype(np.float64)
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def at_frame(figure: dict, name: str | None) -> tuple[list[dict], list[dict]]:
    """(traces, layout images) as frame `name` holds them: the figure's, with that frame's updates merged in;
    None: as the figure opens (its last frame)."""
    data = [dict(trace) for trace in figure["data"]]
    images = [dict(image) for image in figure["layout"].get("images", [])]
    if name is None:
        return data, images
    (frame,) = [f for f in figure["frames"] if f["name"] == name]
    for index, update in zip(frame["traces"], frame["data"]):
        merged = {**data[index], **update}
        if "marker" in update:
            merged["marker"] = {**data[index].get("marker", {}), **update["marker"]}
        data[index] = merged
    for index, update in enumerate(frame.get("layout", {}).get("images", [])):
        images[index].update(update)
    return data, images


def pixels(axis: dict, values: np.ndarray) -> np.ndarray:
    assert axis["type"] == "linear"
    return axis["m"] * values + axis["b"]


def expected_points(trace: dict, axes: dict) -> np.ndarray:
    """(n, 2) pixel positions of a trace's points that have both coordinates, in its subplot."""
    x, y = as_numbers(trace.get("x", [])), as_numbers(trace.get("y", []))
    n = min(len(x), len(y))  # plotly.js draws as many points as the shorter of x and y
    x, y = x[:n], y[:n]
    keep = np.isfinite(x) & np.isfinite(y)
    x_axis, y_axis = axes[trace.get("xaxis", "x")], axes[trace.get("yaxis", "y")]
    return np.column_stack([pixels(x_axis, x[keep]), pixels(y_axis, y[keep])])


def on_plot(points: np.ndarray, size: tuple[float, float]) -> np.ndarray:
    """Which pixel positions (n, 2) lie on a subplot of `size` (width, height) px, give or take a pixel."""
    return (points[:, 0] >= -1) & (points[:, 0] <= size[0] + 1) & (points[:, 1] >= -1) & (points[:, 1] <= size[1] + 1)


def scatter_mismatch(drawn: dict, traces: list[dict], axes: dict) -> str | None:
    """Why the drawn scatter traces are not those of `traces`, or None when they are."""
    by_index = {t["index"]: t for t in drawn}
    for index, trace in enumerate(traces):
        if trace.get("type", "scatter") != "scatter" or trace.get("visible") is False:
            continue
        mode, name = trace.get("mode", "markers"), f"trace {index} ({trace.get('name')})"
        expected = expected_points(trace, axes)
        group = by_index.get(index)
        if group is None:
            if len(expected):
                return f"{name} is not drawn"
            continue
        if "markers" in mode:
            points = np.array([[float(v) for v in NUMBER.findall(t or "")[:2]] for t in group["points"]]).reshape(-1, 2)
            if len(points) != len(expected):
                return f"{name}: {len(points)} markers drawn, the frame has {len(expected)}"
            if len(points) and np.abs(points - expected).max() > TOLERANCE_PX:
                return f"{name}: markers off by {np.abs(points - expected).max():.1f} px"
        if "lines" in mode and len(expected) >= 2:
            vertices = np.array([float(v) for v in NUMBER.findall(group["line"] or "")]).reshape(-1, 2)
            size = (axes[trace.get("xaxis", "x")]["length"], axes[trace.get("yaxis", "y")]["length"])
            seen = on_plot(vertices, size)  # plotly.js adds vertices where it clips a line far outside
            if not seen.any():
                if on_plot(expected, size).any():
                    return f"{name}: no line drawn"
                continue
            off = np.sqrt(((vertices[seen][:, None] - expected[None]) ** 2).sum(-1)).min(axis=1).max()
            if off > TOLERANCE_PX:
                return f"{name}: a line vertex {off:.1f} px from the frame's line"
    return None


def image_mismatch(drawn: list, images: list[dict]) -> str | None:
    """Why the drawn layout images are not `images`, or None when they are."""
    shown = dict(drawn)
    for index, image in enumerate(images):
        if shown.get(index) != image["source"]:
            return f"image {index} is {'missing' if index not in shown else 'another frame'}'s"
    return None


def check(snapshot: dict, figure: dict, strict: bool) -> None:
    """The snapshot draws the frame shown (or, while a frame is drawn and not `strict`, the one before it)."""
    names = [f["name"] for f in figure["frames"]]
    shown = snapshot["frame"]
    candidates = [shown]
    if shown is not None and not strict:
        candidates.append(names[names.index(shown) - 1] if names.index(shown) else None)
    for name in candidates:
        traces, images = at_frame(figure, name)
        reasons = [scatter_mismatch(snapshot["traces"], traces, snapshot["axes"]), image_mismatch(snapshot["images"],
                                                                                                images)]
        if reasons == [None, None]:
            return
    for name in candidates[1:]:  # traces drawn for the frame shown, images still the previous frame's
        if scatter_mismatch(snapshot["traces"], at_frame(figure, shown)[0], snapshot["axes"]) is None \
                and image_mismatch(snapshot["images"], at_frame(figure, name)[1]) is None:
            return
    raise AssertionError(f"at frame {shown!r} ({'paused' if strict else 'playing'}): {reasons}")


# plotly.js rejects the Play button's promise when Pause interrupts it, and its buttons leave that rejection
# unhandled: one such page error per Pause, from plotly.js itself (the page has it on main too).
PAUSE_REJECTION = "pageerror: undefined"


def play_and_check(page, graph, figure: dict) -> None:
    """Play; check ~12 moments while it plays, then pause twice and check the frame shown exactly."""
    names = [f["name"] for f in figure["frames"]]
    assert len(names) >= 10
    check(graph.evaluate(SNAPSHOT_JS), figure, strict=True)  # as it opens: the last frame
    shown = set()
    for pause_from in (len(names) // 5, len(names) // 2):  # pause early in one round, half-way in the next
        graph.locator(".updatemenu-button").filter(has_text="Play").click()
        page.wait_for_function(f"(gd) => gd._fullLayout._currentFrame && gd._fullLayout._currentFrame !== "
                               f"{names[-1]!r}", arg=graph.element_handle(), timeout=10_000)
        for _ in range(12):  # each look also waits for the page's thread while it draws: up to ~0.7 s
            snapshot = graph.evaluate(SNAPSHOT_JS)
            check(snapshot, figure, strict=False)
            shown.add(snapshot["frame"])
            if snapshot["frame"] is not None and names.index(snapshot["frame"]) >= pause_from:
                break
            page.wait_for_timeout(120)  # a frame or two on (a light figure plays a frame every 80 ms)
        # forced: while it plays, plotly.js redraws the buttons with every frame, never "stable" for Playwright
        graph.locator(".updatemenu-button").filter(has_text="Pause").click(force=True)
        page.wait_for_function(SETTLED_JS, arg=graph.element_handle(), timeout=10_000)
        page.wait_for_timeout(100)
        snapshot = graph.evaluate(SNAPSHOT_JS)
        assert snapshot["frame"] != names[-1]  # paused mid-way
        check(snapshot, figure, strict=True)
        shown.add(snapshot["frame"])
    assert len(shown - {None, names[-1]}) >= 4  # moments of the run, not only its end


@pytest.fixture(scope="module")
def site():
    require_browser()
    with serve(ROOT / "app.py") as url, browser() as b:
        yield url, b


KINDS = {
    "1-D curve": "epochs=60",
    "2-D classes": "lesson=nonlinear",
    "2-D regression (saddle)": "dataset=saddle",
    "many inputs": "dataset=diabetes",
    "Network, 2-D classes": "dataset=circles&activation=sigmoid&hidden_layers=1&hidden_units=4&view=Network",
}


@pytest.mark.parametrize("query", KINDS.values(), ids=KINDS.keys())
def test_playing_draws_the_frame_shown(site, query):
    url, b = site
    payloads = []
    page, errors = new_page(b, f"{url}/?{query}", viewport=(1400, 900),
                            before_goto=lambda p: payloads.append(watch_plotly_payloads(p)))
    try:
        graph = page.locator(f"{PAGE_CHART_SELECTOR}.js-plotly-plot").first
        graph.scroll_into_view_if_needed()
        animated = [p["figure"] for p in payloads[0] if p["frames"]]
        assert animated, "no animated figure was sent"
        play_and_check(page, graph, animated[-1])
        assert [e for e in errors if e != PAUSE_REJECTION] == [] and len(errors) <= 2
    finally:
        page.context.close()


STACKED = {"2-D classes": "lesson=nonlinear", "Network, 2-D classes": KINDS["Network, 2-D classes"]}


@pytest.mark.parametrize("query", STACKED.values(), ids=STACKED.keys())
def test_stacked_panels_on_a_phone_play_the_frame_shown(site, query):
    """On a phone the panels stack (one above the other): still one animation that draws every frame it shows."""
    url, b = site
    payloads = []
    page, errors = new_page(b, f"{url}/?{query}", before_goto=lambda p: payloads.append(watch_plotly_payloads(p)),
                            **PHONE)
    try:
        graph = page.locator(f"{PAGE_CHART_SELECTOR}.js-plotly-plot").first
        graph.scroll_into_view_if_needed()
        domains = graph.evaluate("gd => [gd._fullLayout.yaxis.domain, gd._fullLayout.yaxis2.domain]")
        assert domains[1][1] < domains[0][0]  # stacked: the second panel under the first
        animated = [p["figure"] for p in payloads[0] if p["frames"]]
        play_and_check(page, graph, animated[-1])
        assert [e for e in errors if e != PAUSE_REJECTION] == [] and len(errors) <= 2
    finally:
        page.context.close()


def test_the_exported_html_plays_what_it_shows(site, tmp_path):
    _, b = site
    exp = run_experiment(Settings(dataset="circles", activation="sigmoid", inputs="x1,x2,x1sq,x2sq"))
    figure = fit_and_landscape_figure(exp, state.reference_for(exp), 0, exp.history.sizes[-2], title="circles")[0]
    path = tmp_path / "animation.html"
    path.write_text(export.animation_html(figure, "circles"), encoding="utf-8")
    page = b.new_page(viewport={"width": 1400, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(path.as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg")
        page.wait_for_function(SETTLED_JS, arg=page.locator(".js-plotly-plot").element_handle())
        play_and_check(page, page.locator(".js-plotly-plot"), figure)
        assert [e for e in errors if f"pageerror: {e}" != PAUSE_REJECTION] == [] and len(errors) <= 2
    finally:
        page.close()
