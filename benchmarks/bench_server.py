"""Server work per rerun: how long the page script runs when the learning rate changes (target ≤ 50 ms),
and the CPU per rerun of the heavy lessons against the default page's (issue 14: each ≤ 1.5×).

    python benchmarks/bench_server.py [--repeats 15] [--lessons-only] [--lesson-repeats 8]

Runs app.py through Streamlit's AppTest and times only the script itself (not AppTest's own
bookkeeping) for learning-rate changes, each to a value not seen before so every rerun trains afresh:

- at default settings (wall time), with the parts of such a rerun timed directly: training, the
  exact answer, the landscape slice and the figure;
- in ONE run, the CPU time of the script's thread per learning-rate change (``time.thread_time``: the
  script's own work, not the server's websocket or AppTest's) for the default page, ``?lesson=digits``,
  ``?lesson=digits:2``, ``?lesson=gradient-descent:2`` and breast cancer with its recommended settings
  (``dataset=breast_cancer&activation=sigmoid&standardize=true``), each on the view it opens (the lessons
  above open on Inspect, the default and breast cancer on Fit & landscape) and on Fit & landscape, and
  its ratio to the default page's. The cases are interleaved round by round, so load from other
  processes hits them alike; the medians are compared.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit.runtime.scriptrunner.script_runner as script_runner  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from playground import cache  # noqa: E402
from playground.charts.fit import fit_panel  # noqa: E402
from playground.charts.landscape import compute_slice, landscape_panel  # noqa: E402
from playground.charts.panels import compose  # noqa: E402
from playground.charts.style import frame_indices  # noqa: E402
from playground.engine import TrainingRun  # noqa: E402
from playground.experiment import run_experiment  # noqa: E402
from playground.reference import reference_answer  # noqa: E402
from playground.sections import state, warm  # noqa: E402
from playground.settings import LEARNING_RATES, Settings  # noqa: E402

TARGET_MS = 50.0
CPU_RATIO_TARGET = 1.5  # issue 14: a heavy lesson's CPU per rerun against the default page's
FIT = "Fit & landscape"
# (name, URL query): the heavy lessons of issue 14 and the default page they are compared with
CASES = (
    ("default", ""),
    ("digits", "lesson=digits"),
    ("digits:2", "lesson=digits:2"),
    ("gradient-descent:2", "lesson=gradient-descent:2"),
    ("breast cancer", "dataset=breast_cancer&activation=sigmoid&standardize=true"),
)


def script_times(repeats: int) -> list[float]:
    """Milliseconds the page script ran for each of `repeats` learning-rate changes."""
    times: list[float] = []
    original = script_runner.exec_func_with_error_handling

    def timed(func, ctx):
        start = time.perf_counter()
        try:
            return original(func, ctx)
        finally:
            times.append(1e3 * (time.perf_counter() - start))

    script_runner.exec_func_with_error_handling = timed
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
        at.select_slider(key="w_learning_rate").set_value(LEARNING_RATES[0]).run()  # warm imports and caches
        times.clear()
        for rate in LEARNING_RATES[1 : repeats + 1]:
            at.select_slider(key="w_learning_rate").set_value(rate).run()
            assert not at.exception, at.exception
    finally:
        script_runner.exec_func_with_error_handling = original
    return times


class ScriptClock:
    """Records the CPU seconds of the script's thread (and its wall seconds) for every run of the page."""

    def __init__(self):
        self.runs: list[tuple[float, float]] = []  # (CPU, wall) seconds per script run
        self.training: list[float] = []  # CPU seconds of each TrainingRun.run inside those runs
        self.original = script_runner.exec_func_with_error_handling
        self.original_train = TrainingRun.run

    def __enter__(self):
        def train(run, *args, **kwargs):
            cpu = time.thread_time()
            try:
                return self.original_train(run, *args, **kwargs)
            finally:
                self.training.append(time.thread_time() - cpu)

        def timed(func, ctx):
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                return self.original(func, ctx)
            finally:
                self.runs.append((time.thread_time() - cpu, time.perf_counter() - wall))

        script_runner.exec_func_with_error_handling = timed
        TrainingRun.run = train
        return self

    def __exit__(self, *exc):
        script_runner.exec_func_with_error_handling = self.original
        TrainingRun.run = self.original_train


class Page:
    """One session of the page opened with `query`, on `view` (None: the view it opens on). Its learning
    rate moves `up` the ladder (else down) from the page's, so two sessions of one case never share a run."""

    def __init__(self, query: str, view: str | None, up: bool = True):
        self.at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        for pair in filter(None, query.split("&")):
            name, _, value = pair.partition("=")
            self.at.query_params[name] = value
        self.at.run()
        if view is not None and self.at.session_state["view"] != view:
            self.at.session_state["view"] = view
            self.at.run()
        self.view = self.at.session_state["view"]
        self.rates = list(LEARNING_RATES)
        start = self.rates.index(self.at.select_slider(key="w_learning_rate").value)
        above, below = self.rates[start + 1 :], self.rates[:start][::-1]
        self.rates = above + below if up else below + above  # never a value seen before
        self.change()  # warm-up (imports, the view's first caches): not counted

    def change(self) -> None:
        """One learning-rate change to a value not seen before in this session."""
        self.at.select_slider(key="w_learning_rate").set_value(self.rates.pop(0)).run()
        assert not self.at.exception, self.at.exception


def lesson_cpu(repeats: int) -> dict[tuple[str, str], list[tuple[float, float]]]:
    """(CPU seconds of the page script, of which training) per learning-rate change, per (case, view),
    interleaved by round."""
    with ScriptClock() as clock:
        pages: dict[tuple[str, str], Page] = {}
        for name, query in CASES:
            page = Page(query, None)
            pages[(name, page.view)] = page
            if page.view != FIT:
                pages[(name, FIT)] = Page(query, FIT, up=False)
        cpu: dict[tuple[str, str], list[tuple[float, float]]] = {key: [] for key in pages}
        for _ in range(repeats):
            for key, page in pages.items():
                clock.runs.clear()
                clock.training.clear()
                page.change()
                cpu[key].append((sum(c for c, _ in clock.runs), sum(clock.training)))
    return cpu


def report_lessons(cpu: dict[tuple[str, str], list[tuple[float, float]]]) -> bool:
    """Print the CPU table with ratios to the default page; True when every case is within the target.
    "training" is the engine's TrainingRun.run inside the rerun: a new learning rate is a new run, so it
    is the part no cache can save."""
    base = statistics.median(c for c, _ in cpu[("default", FIT)])
    print(f"\nCPU of the page script per learning-rate change (median of {len(next(iter(cpu.values())))}, "
          f"thread time), ratio to the default page; target <= {CPU_RATIO_TARGET}x")
    print(f"  {'case':20}{'view':26}{'median ms':>10}{'min':>8}{'max':>8}{'training':>10}{'rest':>8}{'ratio':>8}")
    ok = True
    opened = {name: view for name, view in cpu if view != FIT}
    for (name, view), pairs in cpu.items():
        values = [c for c, _ in pairs]
        median, training = statistics.median(values), statistics.median(t for _, t in pairs)
        ratio = median / base
        opens = view == opened.get(name, FIT)
        met = ratio <= CPU_RATIO_TARGET
        ok &= met
        shown = f"{view}{' (opens)' if opens else ''}"
        print(f"  {name:20}{shown:26}{1e3 * median:>10.1f}{1e3 * min(values):>8.1f}{1e3 * max(values):>8.1f}"
              f"{1e3 * training:>10.1f}{1e3 * (median - training):>8.1f}{ratio:>7.2f}x  {'OK' if met else 'MISSED'}")
    return ok


def warm_caches() -> None:
    """Print what warming the lesson caches (playground/sections/warm.py) costs once per server process: CPU
    seconds, and memory as the cache measures the runs (playground/cache.nbytes) and as Python allocated it
    meanwhile."""
    cache.clear_all()
    tracemalloc.start()
    cpu = time.process_time()
    warm.warm_lessons()
    cpu = time.process_time() - cpu
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"\nwarm caches: {len(state.LESSON_CACHE)} lesson parts (run, exact answer, opening landscape) in "
          f"{cpu:.2f} s of CPU once per process; the runs take {state.LESSON_CACHE.bytes / 1e6:.1f} MB in the cache "
          f"(allocation peak while warming {peak / 1e6:.1f} MB)")


def parts() -> dict[str, float]:
    """Median milliseconds of each part of a default rerun, timed directly (7 repeats)."""
    samples: dict[str, list[float]] = {"train": [], "exact answer": [], "landscape slice": [], "figure": []}
    for rate in LEARNING_RATES[10:17]:
        t0 = time.perf_counter()
        exp = run_experiment(Settings(learning_rate=rate))
        t1 = time.perf_counter()
        reference = reference_answer(exp.X_train, exp.y_train, exp.settings.activation, exp.loss)
        t2 = time.perf_counter()
        ls = compute_slice(exp, reference, 0, 1)
        t3 = time.perf_counter()
        frames = frame_indices(len(exp.history.step))
        compose([fit_panel(exp, frames, reference), landscape_panel(ls, frames)], [str(f) for f in frames])
        t4 = time.perf_counter()
        for name, (a, b) in zip(samples, ((t0, t1), (t1, t2), (t2, t3), (t3, t4))):
            samples[name].append(1e3 * (b - a))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> int:
    """Print the lessons' CPU per rerun against the default page's, the per-rerun script time against its
    target, and its parts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--lesson-repeats", type=int, default=8, help="learning-rate changes per lesson case")
    parser.add_argument("--lessons-only", action="store_true", help="only the CPU table of the lessons")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # AppTest outside a server warns on every session
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    ok = report_lessons(lesson_cpu(args.lesson_repeats))
    warm_caches()
    if args.lessons_only:
        return 1 if args.strict and not ok else 0
    times = script_times(args.repeats)
    median = statistics.median(times)
    verdict = "OK" if median <= TARGET_MS else "MISSED"
    print(f"page script per learning-rate change: median {median:.1f} ms, min {min(times):.1f}, "
          f"max {max(times):.1f} (n={len(times)}); target ≤ {TARGET_MS:.0f} ms: {verdict}")
    for name, ms in parts().items():
        print(f"  {name:<16} {ms:6.1f} ms")
    ok &= median <= TARGET_MS
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
