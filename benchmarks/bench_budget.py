"""The work budget (playground/budget.py) against the CPU the work really takes.

    python benchmarks/bench_budget.py [--repeats 2] [--skip-calibration]

1. Calibration: training runs of many shapes (one neuron to 3 × 16 hidden, 80 to 160,000 rows, batch 1 to
   full), each with the work units the budget counts and the CPU it took: the units per CPU second, whose
   spread says how well the units follow the cost (budget.py's docstring quotes the range).
2. Requests end to end, as issue 18 measured them: a server (`streamlit run`), and for each request a new
   session (a new seed, so no cache helps) opening the default page or issue 18's heaviest link and upload on
   the views where they cost most, one at a time; the server's CPU seconds for it and the ratio to the default
   page's in the same run (issue 18: the worst request at most 10× the default page). Cases interleaved.
3. ``--apptest``: the same first loads in this process through AppTest (the script and its worker process, no server).
"""

from __future__ import annotations

import argparse
import io
import logging
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from playground import budget, cache, worker  # noqa: E402
from playground.engine import TrainingRun  # noqa: E402
from playground.engine.threads import one_thread  # noqa: E402
from playground.settings import Settings  # noqa: E402

RATIO_TARGET = 10.0
HEAVY_LINK = ("dataset=digits&hidden_layers=3&hidden_units=16&activation=sigmoid&hidden_activation=sigmoid"
              "&batch_size=45&epochs=500&validation_split=0&learning_rate=0.0001")
UPLOAD = "dataset=upload&hidden_layers=3&hidden_units=16&batch_size=2000&epochs=500"
CASES = (  # (name, query, upload?)
    ("default page", "", False),
    ("heavy link, Fit & landscape", HEAVY_LINK, False),
    ("heavy link, Optimizer race", HEAVY_LINK + "&view=Optimizer+race", False),
    ("20 MB upload, Fit & landscape", UPLOAD, True),
    ("20 MB upload, Optimizer race", UPLOAD + "&view=Optimizer+race", True),
)
SHAPES = (  # (rows, inputs, hidden, batch, epochs)
    (1150, 64, (), 32, 30), (1150, 64, (4,), 32, 30), (1150, 64, (16, 16, 16), 32, 30),
    (1150, 64, (16, 16, 16), 1150, 200), (20000, 64, (16, 16, 16), 2000, 5), (20000, 64, (), 2000, 20),
    (20000, 2, (), 20000, 100), (20000, 2, (16, 16, 16), 20000, 20), (40000, 50, (16, 16, 16), 2000, 2),
    (80, 1, (), 32, 300), (80, 1, (), 1, 100), (1600, 2, (8,), 1, 10), (1600, 2, (16, 16, 16), 16, 50),
    (400, 10, (8, 8), 400, 500), (160000, 1, (), 160000, 50), (160000, 64, (), 1000, 3),
    (455, 30, (16, 16, 16), 1, 20),
)


def calibration() -> list[float]:
    """Units per CPU second of each training shape (20 % of the rows held out, as the page does)."""
    rng = np.random.default_rng(0)
    rates = []
    print(f"\n{'rows':>7}{'inputs':>7}  {'hidden':14}{'batch':>7}{'epochs':>7}{'units M':>9}{'CPU s':>8}"
          f"{'G units/s':>11}")
    for rows, p, hidden, batch, epochs in SHAPES:
        n_val = rows // 5
        X, y = rng.normal(size=(rows, p)), (rng.random(rows) > 0.5).astype(float)
        run = TrainingRun(X[n_val:], y[n_val:], activation="sigmoid", loss="bce", batch_size=batch, epochs=epochs,
                          hidden=hidden, validation=(X[:n_val], y[:n_val]))
        settings = Settings(hidden_layers=len(hidden), hidden_units=hidden[0] if hidden else 4, batch_size=batch,
                            epochs=epochs, validation_split=n_val / rows)
        units = budget.training_units(settings, budget.DataShape(rows, p))
        with one_thread():
            cpu = time.process_time()
            run.run()
            cpu = time.process_time() - cpu
        rates.append(units / cpu)
        print(f"{rows:>7}{p:>7}  {str(hidden):14}{batch:>7}{epochs:>7}{units / 1e6:>9.0f}{cpu:>8.3f}"
              f"{units / cpu / 1e9:>11.2f}")
    print(f"units per CPU second: min {min(rates) / 1e9:.2f} G, median {statistics.median(rates) / 1e9:.2f} G, "
          f"max {max(rates) / 1e9:.2f} G (spread {max(rates) / min(rates):.1f}x)")
    return rates


def big_csv(rows: int = 200_000, columns: int = 50) -> bytes:
    """Issue 18's upload: 200k rows × 50 columns of one-digit numbers (~20 MB), the last a 0/1 target."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 10, size=(rows, columns - 1))
    buffer = io.StringIO()
    buffer.write(",".join(f"c{i}" for i in range(columns - 1)) + ",target\n")
    np.savetxt(buffer, np.column_stack([X, (X[:, 0] + X[:, 1] > 9).astype(int)]), fmt="%d", delimiter=",")
    return buffer.getvalue().encode()


def cpu_with_worker() -> float:
    """CPU seconds of this process and its worker processes (playground/worker.py): the ended ones (waited for)
    and the running one."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    running = 0.0
    pid = worker.worker_pid()
    if pid is not None:
        try:
            ticks = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]
            running = sum(int(t) for t in ticks) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError):
            pass
    return time.process_time() + children.ru_utime + children.ru_stime + running


def first_load_cpu(query: str, upload: bytes | None) -> tuple[float, float, list[str]]:
    """(CPU s of this process, wall s, notices) of one first load of the page with `query`, caches empty."""
    cache.clear_all()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    for pair in filter(None, query.split("&")):
        name, _, value = pair.partition("=")
        at.query_params[name] = value.replace("+", " ")
    if upload is not None:
        at.session_state["upload_bytes"] = upload
    cpu, wall = cpu_with_worker(), time.perf_counter()
    at.run()
    cpu, wall = cpu_with_worker() - cpu, time.perf_counter() - wall
    assert not at.exception, at.exception
    notices = [str(x.value) for x in at.info]
    return cpu, wall, notices


def requests(repeats: int) -> bool:
    """Print each case's CPU per first load and its ratio to the default page's; True within the target."""
    upload = big_csv()
    print(f"\nfirst load of the page, caches empty (AppTest, CPU of this process; median of {repeats}, interleaved)")
    first_load_cpu("", None)  # imports: not counted
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in CASES}
    walls: dict[str, list[float]] = {name: [] for name, _, _ in CASES}
    notes: dict[str, list[str]] = {}
    for _ in range(repeats):
        for name, query, uses_upload in CASES:
            c, w, notes[name] = first_load_cpu(query, upload if uses_upload else None)
            cpu[name].append(c)
            walls[name].append(w)
    base = statistics.median(cpu["default page"])
    ok = True
    print(f"  {'case':34}{'CPU s':>8}{'min':>8}{'max':>8}{'wall s':>8}{'ratio':>8}")
    for name, values in cpu.items():
        ratio = statistics.median(values) / base
        ok &= ratio <= RATIO_TARGET
        print(f"  {name:34}{statistics.median(values):>8.2f}{min(values):>8.2f}{max(values):>8.2f}"
              f"{statistics.median(walls[name]):>8.2f}{ratio:>7.1f}x  {'OK' if ratio <= RATIO_TARGET else 'MISSED'}")
    for name, lines in notes.items():
        for line in lines:
            print(f"    {name}: {line[:300]}")
    print(f"target: every request <= {RATIO_TARGET:g}x the default page's CPU")
    return ok


def server_requests(repeats: int) -> bool:
    """Each case's server CPU per first load of a new session, and its ratio to the default page's."""
    import asyncio

    from bench_hostile import HEAVY_LINK as LINK
    from bench_hostile import UPLOAD_LINK, heavy_request
    from bench_load import Sampler, find_server_pid, serve

    cases = (("default page", "", False), ("heavy link, Fit & landscape", LINK, False),
             ("heavy link, Optimizer race", LINK + "&view=Optimizer+race", False),
             ("20 MB upload, Fit & landscape", UPLOAD_LINK, True),
             ("20 MB upload, Optimizer race", UPLOAD_LINK + "&view=Optimizer+race", True))  # fmt: skip
    upload = big_csv()
    cpu: dict[str, list[float]] = {name: [] for name, _, _ in cases}
    with serve("app.py", timeout=300) as base_url:
        pid = find_server_pid(int(base_url.rsplit(":", 1)[1]))
        with Sampler(pid) as sampler:
            asyncio.run(heavy_request(base_url, 0, "warm-up", "seed=0", None, 300))
            time.sleep(3.0)  # the lesson caches warm after the first page
            seed = 1
            for _ in range(repeats):
                for name, query, uses_upload in cases:
                    seed += 1
                    before = sampler.sample().server_cpu_s
                    result = asyncio.run(heavy_request(base_url, seed, name, f"seed={seed}&{query}".rstrip("&"),
                                                       upload if uses_upload else None, 300))
                    time.sleep(0.5)
                    cpu[name].append(sampler.sample().server_cpu_s - before)
                    assert not result.problems, result.problems
            peak = sampler.peak_mb()
    base = statistics.median(cpu["default page"])
    print(f"\nserver CPU per first load of a new session (median of {repeats}; the upload's first load also "
          f"reads the file, later ones find it parsed); server RSS peak {peak:.0f} MB")
    ok = True
    for name, values in cpu.items():
        ratio = statistics.median(values) / base
        ok &= ratio <= RATIO_TARGET
        print(f"  {name:34}{statistics.median(values):>8.2f} s  (runs: {' '.join(f'{v:.2f}' for v in values)})"
              f"{ratio:>7.1f}x  {'OK' if ratio <= RATIO_TARGET else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--skip-calibration", action="store_true")
    parser.add_argument("--apptest", action="store_true", help="also the first loads through AppTest")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; budget: run {budget.RUN_UNITS / 1e9:g} G "
          f"units, race {budget.RACE_UNITS / 1e9:g} G units, one pass over the rows {budget.PASS_UNITS / 1e6:g} M")
    if not args.skip_calibration:
        calibration()
    ok = server_requests(args.repeats)
    if args.apptest:
        ok &= requests(args.repeats)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
