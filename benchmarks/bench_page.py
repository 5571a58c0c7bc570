"""The page in a real browser against the reference minimal page (benchmarks/minimal_app.py) and a
simple peer page (benchmarks/peer_app.py: two st.plotly_chart charts, one animated, a slider, a select).

    python benchmarks/bench_page.py [--app app.py] [--before OLD/app.py] [--slider "Learning rate"] [--repeats 5]
                                    [--network QUERY | --network ""] [--phone]

In one run, serves the three pages at once (each on its own free port) and measures in Debian's
chromium, with the helpers of tests/browser.py, interleaving the pages so that load from other
processes on the machine hits them alike:

- first render: navigation start -> page idle with every chart drawn, in a fresh browser context.
  "cold" is the first load after the server started (the server imports and fills its caches);
  "warm" is the median of --repeats further loads;
- rerun: the median over --repeats of action -> rerun finished, nothing stale, every visible chart
  redrawn and idle (after one unmeasured warm-up). Every page: a learning-rate key press (the target's
  is checked to have redrawn every chart shown). The target also: the 3-D toggle (on and off), the
  step-through's "Next step", the set-weights "w" slider. The minimal page's rerun is measured between
  each of them, and every ratio is against the median of all its reruns;
- Plotly payload: bytes of each figure's JSON as sent over the websocket, and the JSON size of what
  plotly.js holds (data + layout + gd._transitionData._frames);
- the Network tab at its biggest readable size (column "network": the target's server with
  ``--network``'s query, by default blobs with 3 hidden layers of 8, the tab open): its first render
  (the tab drawn; "cold" is that page's first load, its run not cached yet, the server already warm
  from the target's) and a learning-rate change with the tab open, to the same targets.

``--before OLD/app.py`` measures another version of the page in the same run (column "before", with
the target's actions), for before/after numbers: e.g. ``git archive <commit> | tar -x -C /tmp/old``.

``--phone`` measures instead on a phone (tests/browser.PHONE: 390×844, touch) whose CPU Chromium slows 4×
(``Emulation.setCPUThrottlingRate``): a learning-rate change (the median of --repeats, against the minimal page's
on the same phone) and ▶ Play's frame rate on Fit & landscape (frames drawn per second while it plays the whole
animation, against the 12.5 a second its 80 ms frames ask for), for the target and --before.

Targets (ratios to the minimal page): learning-rate change <= 2x; next step, set-weights slider, 3-D
toggle <= 1.5x; first render warm <= 1.3x, cold <= 2x; every figure <= 300 KB. Timings are in-page
(performance.now()), so Playwright's round trips are not counted. ``--strict`` exits 1 when a target
is missed. The machines are shared: compare within a run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser import (  # noqa: E402 - needs the repository root on sys.path first
    PAGE_CHART_SELECTOR,
    PHONE,
    all_charts_redrawn,
    browser,
    browser_available,
    click_and_wait,
    figure_sizes,
    has_slider,
    mark_drawn_charts,
    new_page,
    press_slider,
    serve,
    watch_plotly_payloads,
)

MINIMAL_APP = ROOT / "benchmarks" / "minimal_app.py"
PEER_APP = ROOT / "benchmarks" / "peer_app.py"
LEARNING_RATE = "learning-rate change"
RERUN_RATIOS = {LEARNING_RATE: 2.0, "3-D toggle on": 1.5, "3-D toggle off": 1.5, "next step": 1.5,
                "set-weights slider": 1.5}
FIRST_RENDER_WARM_RATIO = 1.3
FIRST_RENDER_COLD_RATIO = 2.0
FIGURE_LIMIT_KB = 300.0
SURFACE_TOGGLE = "Show the loss as a 3-D surface"
NETWORK_VIEW = "dataset=blobs&activation=sigmoid&hidden_layers=3&hidden_units=8&view=Network"


@dataclass
class Result:
    name: str
    app: str
    cold_s: float = float("nan")
    warm_s: list[float] = field(default_factory=list)
    reruns: dict[str, list[float]] = field(default_factory=dict)  # interaction -> seconds
    phases: dict[str, list[dict[str, float]]] = field(default_factory=dict)  # interaction -> page.rerun_phases
    notes: list[str] = field(default_factory=list)
    wire_bytes: list[int] = field(default_factory=list)  # per figure, websocket JSON
    page_bytes: list[int] = field(default_factory=list)  # per figure, plotly.js data+layout+frames
    frames: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def warm_median(self) -> float:
        return statistics.median(self.warm_s) if self.warm_s else float("nan")

    def rerun_median(self, what: str) -> float:
        times = self.reruns.get(what)
        return statistics.median(times) if times else float("nan")

    def record(self, what: str, seconds: float, page) -> None:
        self.reruns.setdefault(what, []).append(seconds)
        self.phases.setdefault(what, []).append(getattr(page, "rerun_phases", {}))

    def phase_medians(self, what: str) -> dict[str, float]:
        phases = [p for p in self.phases.get(what, []) if p]
        return {k: statistics.median(p[k] for p in phases) for k in (phases[0] if phases else {})}


def _direction(page, label: str, presses: int) -> str:
    """ArrowRight if the slider has room for ``presses`` steps to the right, else ArrowLeft."""
    slider = page.get_by_role("slider", name=label)
    value, top, step = (float(slider.get_attribute(a) or "nan") for a in ("value", "max", "step"))
    if value != value:  # attribute missing: the input's live value
        value = float(slider.input_value())
    return "ArrowRight" if value + presses * (step if step == step else 1.0) <= top + 1e-9 else "ArrowLeft"


def _shown(app: Path) -> str:
    return str(app.relative_to(ROOT)) if app.is_relative_to(ROOT) else str(app)


def _load(b, result: Result, url: str, viewport, timeout: float, *, cold: bool = False):
    """One fresh-context load of ``url``; the cold one also records the figures and stays open."""
    watched: list[list[dict]] = []
    hook = (lambda p: watched.append(watch_plotly_payloads(p))) if cold else None
    page, errors = new_page(b, url, viewport=viewport, timeout=timeout, before_goto=hook)
    result.errors.extend(errors)
    if not cold:
        result.warm_s.append(page.first_render_s)
        page.context.close()
        return None
    result.cold_s = page.first_render_s
    result.wire_bytes = [p["bytes"] for p in watched[0]]  # the first run's figures (reruns resend them)
    result.frames = [p["frames"] for p in watched[0]]
    result.page_bytes = [sum(sizes.values()) for sizes in figure_sizes(page)]
    return page


def _abba(i: int, items: list) -> list:
    """Alternate the order every round (AB, BA, AB, ...) so no page always goes first."""
    return items if i % 2 == 0 else items[::-1]


class Slider:
    """A slider stepped one way for the whole run (every press gives a new value)."""

    def __init__(self, page, label: str, presses: int):
        self.page, self.label = page, label
        self.key = _direction(page, label, presses) if has_slider(page, label) else None

    def press(self, timeout: float) -> float:
        return press_slider(self.page, self.label, self.key, timeout=timeout)


def _learning_rate_on_target(slider: Slider, timeout: float) -> float:
    """A learning-rate press that must redraw every chart shown (not only rerun the script)."""
    mark_drawn_charts(slider.page)
    seconds = slider.press(timeout)
    if not all_charts_redrawn(slider.page):
        raise RuntimeError("the learning-rate change left a chart shown but not redrawn")
    return seconds


def _target_interactions(page, repeats: int, timeout: float) -> dict[str, tuple[Callable, Callable]]:
    """The target's measured actions beyond the learning rate: (open its view, act and return seconds)."""
    def tab(name: str) -> Callable[[], None]:
        def open_view() -> None:
            view = page.get_by_role("tab", name=name)
            if view.get_attribute("aria-selected", timeout=timeout * 1000) != "true":  # else no rerun comes
                click_and_wait(page, view, timeout)
        return open_view

    surface = page.locator("label").filter(has_text=SURFACE_TOGGLE)  # the switch's input is covered
    state = {"on": False}

    def toggle(to: bool) -> Callable[[], float]:
        def act() -> float:
            if state["on"] == to:  # bring it to the other state first, unmeasured
                click_and_wait(page, surface, timeout)
                state["on"] = not to
            seconds = click_and_wait(page, surface, timeout)
            state["on"] = to
            return seconds
        return act

    weights: list[Slider] = []

    def set_weights() -> float:
        if not weights:
            weights.append(Slider(page, "w (weight)", repeats + 1))
            if weights[0].key is None:
                raise LookupError("no slider 'w (weight)'")
        return weights[0].press(timeout)

    return {
        "3-D toggle on": (tab("Fit & landscape"), toggle(True)),
        "3-D toggle off": (tab("Fit & landscape"), toggle(False)),
        "next step": (tab("Step through the math"),
                      lambda: click_and_wait(page, page.get_by_role("button", name="Next step ▶"), timeout)),
        "set-weights slider": (tab("Set weights by hand"), set_weights),
    }


def measure(b, apps: dict[str, Path], label: str, repeats: int, viewport, timeout: float,
            views: dict[str, tuple[str, str]] | None = None) -> list[Result]:
    """Serve every app at once and interleave the measures (see the module docstring). ``apps`` holds
    "minimal", "peer" and one or more targets (the playground, and optionally an older version of it);
    ``views`` more pages of a served target, by name: (that target's name, a query string). A view is
    measured for its first render and the learning-rate change only."""
    views = views or {}
    results = {name: Result(name, _shown(app)) for name, app in apps.items()}
    results.update({name: Result(name, f"{_shown(apps[app])}?{query}") for name, (app, query) in views.items()})
    targets = [name for name in apps if name not in ("minimal", "peer")]
    minimal = results["minimal"]
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(serve(app, timeout=timeout)) for name, app in apps.items()}
        urls.update({name: f"{urls[app]}/?{query}" for name, (app, query) in views.items()})
        pages = {name: _load(b, results[name], urls[name], viewport, timeout, cold=True) for name in urls}
        # The minimal page's slider moves in the learning-rate round and between each target action.
        presses = {name: 1 + repeats * (1 + 4 * len(targets) if name == "minimal" else 1) for name in urls}
        targets_and_views = targets + list(views)
        sliders = {name: Slider(pages[name], label if name in targets_and_views else "Learning rate", presses[name])
                   for name in urls}
        for name, slider in sliders.items():
            if slider.key is None:
                results[name].notes.append(f"no slider labelled {slider.label!r}: rerun not measured")
            else:
                slider.press(timeout)  # warm-up: not counted

        def learning_rate(name: str) -> float:
            if name in targets_and_views:
                return _learning_rate_on_target(sliders[name], timeout)
            return sliders[name].press(timeout)

        names = [name for name in urls if sliders[name].key is not None]
        for i in range(repeats):
            for name in _abba(i, names):
                results[name].record(LEARNING_RATE, learning_rate(name), pages[name])

        for name in targets:
            if sliders[name].key is None or sliders["minimal"].key is None:
                continue
            for what, (open_view, act) in _target_interactions(pages[name], repeats, timeout).items():
                try:
                    open_view()
                    act()  # warm-up: not counted
                except Exception as error:  # a control this app lacks: say so, measure the rest
                    results[name].notes.append(f"{what}: not measured ({type(error).__name__}: {error})"[:160])
                    continue
                for i in range(repeats):
                    for who in _abba(i, ["minimal", name]):
                        if who == "minimal":
                            minimal.record(LEARNING_RATE, learning_rate("minimal"), pages["minimal"])
                        else:
                            results[name].record(what, act(), pages[name])

        for name, page in pages.items():
            results[name].errors.extend(e for e in page.console_errors if e not in results[name].errors)
            page.context.close()
        for i in range(repeats):
            for name in _abba(i, list(urls)):
                _load(b, results[name], urls[name], viewport, timeout)
    return list(results.values())


def _fmt(x: float) -> str:
    return "n/a" if x != x else f"{x:.3f} s"


def _ratio(a: float, b: float) -> float:
    return a / b if b and a == a and b == b else float("nan")


def _ratio_text(r: float) -> str:
    return "n/a" if r != r else f"{r:.2f}x"


def report(results: list[Result], judged: tuple[str, ...] = ("target",)) -> bool:
    """Print the tables and the verdicts on the `judged` results (the target and its views); return whether
    they meet every target. Ratios are to the minimal page measured in the same run."""
    by_name = {r.name: r for r in results}
    minimal, peer = by_name["minimal"], by_name["peer"]
    base = minimal.rerun_median(LEARNING_RATE)
    width = 12
    for r in results:
        print(f"{r.name}: {r.app}")
    print()
    head = "".join(f"{r.name:>{width}}" for r in results)
    print(f"{'seconds (median)':30}{head}")
    measures = [("first render, cold", lambda r: r.cold_s, minimal.cold_s, FIRST_RENDER_COLD_RATIO),
                ("first render, warm", lambda r: r.warm_median, minimal.warm_median, FIRST_RENDER_WARM_RATIO)]
    measures += [(f"rerun: {what}", lambda r, w=what: r.rerun_median(w), base, limit)
                 for what, limit in RERUN_RATIOS.items()]
    for label, get, _, _ in measures:
        print(f"{label:30}" + "".join(f"{_fmt(get(r)):>{width}}" for r in results))
    print()
    print(f"{'ratio to the minimal page':30}{head}  target")
    for label, get, reference, limit in measures:
        cells = "".join(f"{_ratio_text(_ratio(get(r), reference)):>{width}}" for r in results)
        print(f"{label:30}{cells}  <= {limit}x")
    lr = [_ratio(r.rerun_median(LEARNING_RATE), peer.rerun_median(LEARNING_RATE)) for r in results]
    print(f"{'learning rate / peer page':30}" + "".join(f"{_ratio_text(x):>{width}}" for x in lr))
    print()
    print("where a rerun's time goes (medians, s): input -> run started, run (script and its deltas), "
          "after the run (the browser still drawing)")
    for r in results:
        for what in r.reruns:
            parts = ", ".join(f"{k} {v:.3f}" for k, v in r.phase_medians(what).items())
            print(f"  {r.name}, {what}: {parts}")
    print()
    print("every rerun (s):")
    for r in results:
        for what, times in r.reruns.items():
            print(f"  {r.name}, {what}: " + ", ".join(f"{t:.3f}" for t in times))

    print()
    print(f"{'figures':30}{head}")
    rows = [("plotly charts (first run)", lambda r: f"{len(r.wire_bytes)}"),
            ("animation frames (total)", lambda r: f"{sum(r.frames)}"),
            ("largest figure, wire (KB)", lambda r: f"{max(r.wire_bytes, default=0) / 1e3:.1f}"),
            ("all figures, wire (KB)", lambda r: f"{sum(r.wire_bytes) / 1e3:.1f}"),
            ("largest in plotly.js (KB)", lambda r: f"{max(r.page_bytes, default=0) / 1e3:.1f}"),
            ("console errors", lambda r: f"{len(r.errors)}")]
    for label, get in rows:
        print(f"{label:30}" + "".join(f"{get(r):>{width}}" for r in results))
    for r in results:
        for note in r.notes:
            print(f"{r.name}: {note}")
        for e in r.errors[:5]:
            print(f"{r.name} console: {e}")

    ok = True
    for name in judged:
        target = by_name[name]
        print(f"\n{name}:")
        for label, get, reference, limit in measures:
            ratio = _ratio(get(target), reference)
            if ratio != ratio:
                if name == "target":  # a view measures only its first render and the learning rate
                    print(f"{label}: not measured")
                continue
            met = ratio <= limit
            ok &= met
            print(f"{label}: {ratio:.2f}x the minimal page (target <= {limit}x): {'OK' if met else 'MISSED'}")
        big = [n for n in target.wire_bytes if n / 1e3 > FIGURE_LIMIT_KB]
        ok &= not big
        print(f"figures over {FIGURE_LIMIT_KB:.0f} KB: {len(big)} of {len(target.wire_bytes)}: "
              f"{'MISSED' if big else 'OK'}")
        if target.errors:
            ok = False
            print(f"console errors on the {name} page: {len(target.errors)}: MISSED")
    return ok


PHONE_THROTTLE = 4  # Chromium's CPU slow-down: a mid-range phone against this machine's cores
# Frame times of ▶ Play: every plotly_animatingframe event, in page time (ms).
PLAY_FRAMES_JS = f"""() => new Promise((done) => {{
  const gd = document.querySelector('{PAGE_CHART_SELECTOR}.js-plotly-plot'), times = [];
  const steps = gd._fullLayout.sliders[0].steps.length;
  gd.on('plotly_animatingframe', () => times.push(performance.now()));
  gd.querySelector('.updatemenu-button').dispatchEvent(new MouseEvent('click', {{bubbles: true}}));
  const started = performance.now();
  const poll = () => (times.length >= steps || performance.now() - started > 60000 ? done({{times, steps}})
                      : setTimeout(poll, 100));
  poll();
}})"""


def _phone_page(b, url: str, timeout: float):
    """A fresh phone page of ``url`` with its CPU slowed PHONE_THROTTLE times, idle with its charts drawn."""
    def throttle(page) -> None:
        page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": PHONE_THROTTLE})
    return new_page(b, url, timeout=timeout, before_goto=throttle, **PHONE)


def measure_phone(b, apps: dict[str, Path], repeats: int, timeout: float) -> None:
    """Print the phone's learning-rate change (median seconds, ratio to the minimal page) and Play's frame rate."""
    rows = {}
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(serve(app, timeout=timeout)) for name, app in apps.items()}
        pages = {name: _phone_page(b, url, timeout)[0] for name, url in urls.items()}
        sliders = {name: Slider(page, "Learning rate", 2 * repeats + 1) for name, page in pages.items()}
        for slider in sliders.values():
            slider.press(timeout)  # warm-up
        times = {name: [] for name in pages}
        for i in range(repeats):
            for name in _abba(i, list(pages)):
                times[name].append(sliders[name].press(timeout))
        for name, page in pages.items():
            rows[name] = {"learning-rate change": statistics.median(times[name])}
            if name != "minimal":
                page.locator(f"{PAGE_CHART_SELECTOR}.js-plotly-plot").first.scroll_into_view_if_needed()
                played = page.evaluate(PLAY_FRAMES_JS)
                frames = played["times"]
                rows[name]["frames"] = f"{len(frames)} of {played['steps']}"
                rows[name]["Play frames/s"] = ((len(frames) - 1) / ((frames[-1] - frames[0]) / 1000)
                                               if len(frames) > 1 else float("nan"))
            page.context.close()
    minimal = rows["minimal"]["learning-rate change"]
    print(f"phone: {PHONE['viewport'][0]}x{PHONE['viewport'][1]}, CPU throttled {PHONE_THROTTLE}x, {repeats} repeats")
    for name, row in rows.items():
        change = row["learning-rate change"]
        play = (f"; Play {row['Play frames/s']:.1f} frames/s ({row['frames']} frames, 12.5/s asked)"
                if "frames" in row else "")
        print(f"  {name:8} learning-rate change {change:.2f} s ({_ratio_text(_ratio(change, minimal))} minimal){play}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="app.py", help="target app, relative to the repository root")
    parser.add_argument("--slider", default="Learning rate", help="label of the target's slider to step")
    parser.add_argument("--before", help="also measure this app in the same run (e.g. app.py of an older "
                        "checkout), as the column 'before'")
    parser.add_argument("--repeats", type=int, default=5, help="measured reruns per action and warm loads")
    parser.add_argument("--viewport", default="1280x720", help="WIDTHxHEIGHT")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for any one wait")
    parser.add_argument("--network", default=NETWORK_VIEW, help="query of the target's Network-tab page measured "
                        "as the column 'network' (empty: not measured)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--phone", action="store_true", help=f"measure on a phone, CPU {PHONE_THROTTLE}x slower")
    args = parser.parse_args(argv)

    if not browser_available():
        print("bench_page: needs /usr/bin/chromium and the playwright package", file=sys.stderr)
        return 2
    target_app = Path(args.app)
    if not target_app.is_absolute():
        target_app = ROOT / target_app
    viewport = tuple(int(v) for v in args.viewport.lower().split("x"))
    repeats = max(1, args.repeats)

    if args.phone:
        apps = {"minimal": MINIMAL_APP, **({"before": Path(args.before).resolve()} if args.before else {}),
                "target": target_app}
        with browser() as b:
            measure_phone(b, apps, repeats, args.timeout)
        return 0
    with browser() as b:
        apps = {"minimal": MINIMAL_APP, "peer": PEER_APP}
        if args.before:
            apps["before"] = Path(args.before).resolve()
        apps["target"] = target_app
        views = {"network": ("target", args.network.lstrip("?"))} if args.network else {}
        results = measure(b, apps, args.slider, repeats, viewport, args.timeout, views)
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    print(f"chromium, viewport {viewport[0]}x{viewport[1]}, {repeats} repeats, load average {load:.1f}")
    if load > cores:
        print(f"warning: load average {load:.1f} on {cores} cores: other processes compete, ratios are noisy")
    print()
    ok = report(results, ("target", *views))
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
