"""The page in a real browser against the reference minimal page (benchmarks/minimal_app.py).

    python benchmarks/bench_page.py [--app app.py] [--slider "Learning rate"] [--repeats 5]

In one run, serves the minimal page and the target app (each on its own free port, one at a time) and
measures in Debian's chromium, with the helpers of tests/browser.py:

- first render: navigation start -> page idle with every Plotly chart drawn, in a fresh browser context.
  "cold" is the first load after the server started (the server imports and fills its caches);
  "warm" is the median of --repeats further loads;
- rerun: the median over --repeats of slider key press -> rerun finished, nothing stale, every visible
  chart redrawn and idle (after one unmeasured warm-up press). Presses go one way (ArrowRight, or
  ArrowLeft when the slider lacks room), so every rerun sees a new value;
- Plotly payload: bytes of each figure's JSON as sent over the websocket (PlotlyChart.spec), and the
  JSON size of what plotly.js holds (data + layout + gd._transitionData._frames).

Targets: rerun <= 1.3x the minimal page, first render (warm) <= 1.5x, every figure <= 300 KB.
Timings are in-page (performance.now()), so Playwright's round trips are not counted. ``--strict``
exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser import (  # noqa: E402 - needs the repository root on sys.path first
    browser,
    browser_available,
    figure_sizes,
    has_slider,
    new_page,
    press_slider,
    serve,
    watch_plotly_payloads,
)

MINIMAL_APP = ROOT / "benchmarks" / "minimal_app.py"
RERUN_RATIO = 1.3
FIRST_RENDER_RATIO = 1.5
FIGURE_LIMIT_KB = 300.0


@dataclass
class Result:
    name: str
    app: str
    cold_s: float = float("nan")
    warm_s: list[float] = field(default_factory=list)
    rerun_s: list[float] = field(default_factory=list)
    rerun_note: str = ""
    wire_bytes: list[int] = field(default_factory=list)  # per figure, websocket JSON
    page_bytes: list[int] = field(default_factory=list)  # per figure, plotly.js data+layout+frames
    frames: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def warm_median(self) -> float:
        return statistics.median(self.warm_s) if self.warm_s else float("nan")

    @property
    def rerun_median(self) -> float:
        return statistics.median(self.rerun_s) if self.rerun_s else float("nan")


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
    """Alternate the order every round (AB, BA, AB, ...) so neither app always goes first."""
    return items if i % 2 == 0 else items[::-1]


def measure_both(
    b, apps: dict[str, Path], label: str, repeats: int, viewport, timeout: float
) -> list[Result]:
    """Serve every app at once and interleave the measures (minimal, target, target, minimal, ...), so
    that load from other processes on the machine hits both alike."""
    results = [Result(name, _shown(app)) for name, app in apps.items()]
    labels = ["Learning rate" if name == "minimal" else label for name in apps]
    with contextlib.ExitStack() as stack:
        urls = [stack.enter_context(serve(app, timeout=timeout)) for app in apps.values()]
        pages = [_load(b, r, url, viewport, timeout, cold=True) for r, url in zip(results, urls)]
        keys = []
        for r, page, name in zip(results, pages, labels):
            if has_slider(page, name):
                keys.append(_direction(page, name, repeats + 1))
                press_slider(page, name, keys[-1], timeout=timeout)  # warm-up: not counted
            else:
                keys.append(None)
                r.rerun_note = f"no slider labelled {name!r}: rerun not measured"
        for i in range(repeats):
            for r, page, name, key in _abba(i, list(zip(results, pages, labels, keys))):
                if key is not None:
                    r.rerun_s.append(press_slider(page, name, key, timeout=timeout))
        for r, page in zip(results, pages):
            r.errors.extend(e for e in page.console_errors if e not in r.errors)
            page.context.close()
        for i in range(repeats):
            for r, url in _abba(i, list(zip(results, urls))):
                _load(b, r, url, viewport, timeout)
    return results


def _fmt(x: float, unit: str = "s") -> str:
    if x != x:
        return "n/a"
    return f"{x:.3f} {unit}" if unit == "s" else f"{x:.1f} {unit}"


def _span(xs: list[float]) -> str:
    return f"{min(xs):.3f} .. {max(xs):.3f} s" if xs else "n/a"


def _kb_max(sizes: list[int]) -> float:
    return max(sizes, default=0) / 1e3


def _ratio(a: float, b: float) -> float:
    return a / b if b and a == a and b == b else float("nan")


def report(minimal: Result, target: Result) -> bool:
    """Print the table and the verdicts; return whether every target is met."""
    rows = [
        ("app", minimal.app, target.app, None, ""),
        ("first render, cold", minimal.cold_s, target.cold_s, None, ""),
        ("first render, warm (median)", minimal.warm_median, target.warm_median, FIRST_RENDER_RATIO, ""),
        ("rerun key -> idle (median)", minimal.rerun_median, target.rerun_median, RERUN_RATIO, ""),
        ("rerun min .. max", _span(minimal.rerun_s), _span(target.rerun_s), None, ""),
        ("plotly charts", str(len(minimal.wire_bytes)), str(len(target.wire_bytes)), None, ""),
        ("animation frames (total)", str(sum(minimal.frames)), str(sum(target.frames)), None, ""),
        ("largest figure, wire", _kb_max(minimal.wire_bytes), _kb_max(target.wire_bytes), None,
         f"<= {FIGURE_LIMIT_KB:.0f} KB"),
        ("all figures, wire", sum(minimal.wire_bytes) / 1e3, sum(target.wire_bytes) / 1e3, None, ""),
        ("largest figure, in plotly.js", _kb_max(minimal.page_bytes), _kb_max(target.page_bytes), None, ""),
        ("console errors", str(len(minimal.errors)), str(len(target.errors)), None, "0"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'':{width}}{'minimal':>20}{'target':>28}{'ratio':>9}  target")
    for label, a, b, limit, note in rows:
        unit = "KB" if "figure" in label else "s"
        sa = a if isinstance(a, str) else _fmt(a, unit)
        sb = b if isinstance(b, str) else _fmt(b, unit)
        ratio = "" if isinstance(a, str) or unit == "KB" else f"{_ratio(b, a):.2f}x"
        goal = f"<= {limit}x" if limit else note
        print(f"{label:{width}}{sa:>20}{sb:>28}{ratio:>9}  {goal}")
    if target.rerun_note:
        print(f"\n{target.name}: {target.rerun_note}")
    for r in (minimal, target):
        if r.wire_bytes:
            sizes = ", ".join(f"{n / 1e3:.1f}" for n in r.wire_bytes)
            print(f"{r.name} figures (KB on the wire, in page order): {sizes}")
        for e in r.errors[:5]:
            print(f"{r.name} console: {e}")

    ok = True
    print()
    checks = [
        ("rerun", _ratio(target.rerun_median, minimal.rerun_median), RERUN_RATIO),
        ("first render (warm)", _ratio(target.warm_median, minimal.warm_median), FIRST_RENDER_RATIO),
    ]
    for what, ratio, limit in checks:
        if ratio != ratio:
            print(f"{what}: not measured")
            continue
        met = ratio <= limit
        ok &= met
        print(f"{what}: {ratio:.2f}x the minimal page (target <= {limit}x): {'OK' if met else 'MISSED'}")
    big = [n for n in target.wire_bytes if n / 1e3 > FIGURE_LIMIT_KB]
    ok &= not big
    verdict = "MISSED" if big else "OK"
    print(f"figures over {FIGURE_LIMIT_KB:.0f} KB: {len(big)} of {len(target.wire_bytes)}: {verdict}")
    if target.errors:
        ok = False
        print(f"console errors on the target page: {len(target.errors)}: MISSED")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default="app.py", help="target app, relative to the repository root")
    parser.add_argument("--slider", default="Learning rate", help="label of the slider to step")
    parser.add_argument("--repeats", type=int, default=5, help="measured reruns and warm loads")
    parser.add_argument("--viewport", default="1280x720", help="WIDTHxHEIGHT")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for any one wait")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    if not browser_available():
        print("bench_page: needs /usr/bin/chromium and the playwright package", file=sys.stderr)
        return 2
    target_app = Path(args.app)
    if not target_app.is_absolute():
        target_app = ROOT / target_app
    viewport = tuple(int(v) for v in args.viewport.lower().split("x"))
    repeats = max(1, args.repeats)

    with browser() as b:
        apps = {"minimal": MINIMAL_APP, "target": target_app}
        minimal, target = measure_both(b, apps, args.slider, repeats, viewport, args.timeout)
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    print(f"chromium, viewport {viewport[0]}x{viewport[1]}, {repeats} repeats, load average {load:.1f}")
    if load > cores:
        print(f"warning: load average {load:.1f} on {cores} cores: other processes compete, ratios are noisy")
    print()
    ok = report(minimal, target)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
