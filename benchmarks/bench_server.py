"""Server work per rerun: how long the page script runs when the learning rate changes (target ≤ 50 ms).

    python benchmarks/bench_server.py [--repeats 15]

Runs app.py through Streamlit's AppTest and times only the script itself (not AppTest's own
bookkeeping) for learning-rate changes at default settings, each to a value not seen before so
every rerun trains afresh. Also prints the parts: training, the exact answer, the landscape slice
and the figure, timed directly.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit.runtime.scriptrunner.script_runner as script_runner  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from playground.charts.fit import fit_panel  # noqa: E402
from playground.charts.landscape import compute_slice, landscape_panel  # noqa: E402
from playground.charts.panels import compose  # noqa: E402
from playground.charts.style import frame_indices  # noqa: E402
from playground.experiment import run_experiment  # noqa: E402
from playground.reference import reference_answer  # noqa: E402
from playground.settings import LEARNING_RATES, Settings  # noqa: E402

TARGET_MS = 50.0


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


def main() -> None:
    """Print the per-rerun script time against the target, and its parts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    times = script_times(args.repeats)
    median = statistics.median(times)
    verdict = "OK" if median <= TARGET_MS else "MISSED"
    print(f"page script per learning-rate change: median {median:.1f} ms, min {min(times):.1f}, "
          f"max {max(times):.1f} (n={len(times)}); target ≤ {TARGET_MS:.0f} ms: {verdict}")
    for name, ms in parts().items():
        print(f"  {name:<16} {ms:6.1f} ms")


if __name__ == "__main__":
    main()
