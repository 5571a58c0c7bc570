"""One BLAS thread per computation against BLAS's own threads: the default page's script CPU per rerun, both ways.

    python benchmarks/bench_threads.py [--rounds 8]

The page limits BLAS (and OpenMP) to one thread per computation and for the whole server process
(playground/engine/threads.py) so that one heavy run cannot take both cores. This measures that the default
page (and the digits lesson) get no slower for it: AppTest runs of learning-rate changes, each a new run,
alternating round by round between the limit and BLAS's default threads (the limit lifted, the engine's and
the reference's contexts made no-ops); thread CPU and wall time of the page script, medians.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import streamlit.runtime.scriptrunner.script_runner as script_runner  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from playground import race, reference, stepthrough  # noqa: E402
from playground.engine import threads, training  # noqa: E402

USERS = (threads, training, race, reference, stepthrough)  # the modules that enter `one_thread()`
from playground.settings import LEARNING_RATES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    runs: list[tuple[float, float]] = []
    original = script_runner.exec_func_with_error_handling

    def timed(func, ctx):
        cpu, wall = time.thread_time(), time.perf_counter()
        try:
            return original(func, ctx)
        finally:
            runs.append((time.thread_time() - cpu, time.perf_counter() - wall))

    script_runner.exec_func_with_error_handling = timed
    limited_context, default_threads = threads.one_thread, threads._controller().info()[0]["num_threads"]
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    pages = {}
    for name, query in (("default", ""), ("digits", "lesson=digits")):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        if query:
            at.query_params["lesson"] = "digits"
        pages[name] = (at.run(), iter(LEARNING_RATES[::-1] if name == "default" else LEARNING_RATES))
    for _ in range(args.rounds):
        for mode in ("one thread", f"BLAS default ({default_threads})"):
            one = mode == "one thread"
            for module in USERS:
                module.one_thread = limited_context if one else contextlib.nullcontext
            threads._controller().limit(limits=1 if one else default_threads)  # the process-wide setting
            for name, (at, rates) in pages.items():
                runs.clear()
                at.select_slider(key="w_learning_rate").set_value(next(rates)).run()
                results.setdefault((name, mode), []).append(runs[-1])
    for module in USERS:
        module.one_thread = limited_context
    print(f"page script per learning-rate change, median of {args.rounds} (interleaved)")
    for (name, mode), values in results.items():
        print(f"  {name:8}{mode:22} CPU {1e3 * statistics.median(c for c, _ in values):6.1f} ms   wall "
              f"{1e3 * statistics.median(w for _, w in values):6.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
