"""Load: many concurrent sessions against ONE local Streamlit server, each changing a slider.

    python benchmarks/bench_load.py [--sessions 30] [--changes 3] [--app app.py] [--slider "Learning rate"]
    python benchmarks/bench_load.py --sessions 5          # quick try (about a minute)
    python benchmarks/bench_load.py --query dataset=digits # heavier runs and cache entries (memory)

Serves the app once (``tests/browser.py``'s ``serve``: a free 127.0.0.1 port, stopped by its PID at the
end), launches ONE Debian chromium and drives N browser contexts concurrently with Playwright's async
API (the sync helpers of tests/browser.py are single-threaded; this reuses their injected init script
and their waiting rules, see /work/shared/BROWSER_TESTING.md):

1. a warm-up session loads the default page alone (the server imports the app and its libraries: the
   "cold" load, not counted in the percentiles) and is closed;
2. N sessions open ``?seed=<k>`` (a seed of their own, so every session has its own settings and its
   runs miss the shared ``st.cache_data``), --load-concurrency at a time (a first load costs chromium
   ~6 s of CPU here: 30 at once would take minutes each), and wait until the page is fully loaded:
   idle, nothing stale, every visible Plotly chart drawn. Loaded sessions stay open;
3. once every session has loaded, all of them step the slider --changes times concurrently (ArrowRight,
   or ArrowLeft when the slider lacks room), each after a random think time (--think on average), and
   measure key press -> rerun finished, nothing stale, charts redrawn and idle (as ``press_slider``
   measures, in page time).

The load generator shares the machine with the server: it runs at ``--client-nice`` (19: the server
keeps its priority), and the per-frame idle check of tests/browser.py's init script is parked while a
page's DOM is still (see _TICK_ON_CHANGE_JS), otherwise 30 open pages would use ~2 cores doing nothing.

Where the time goes, three ways:

- per rerun, from the websocket messages as the page handles them: key -> server "running", "running"
  -> "finished", "finished" -> page idle. A busy renderer handles them late, so the middle part is an
  upper bound of the server's share;
- per script run, inside the server: a ``sitecustomize.py`` put on the server's PYTHONPATH (a temporary
  directory; the app is untouched; ``--no-server-hook`` turns it off) times ``ScriptRunner._run_script``:
  wall seconds and CPU seconds of the script thread;
- per phase, CPU seconds of the server process tree, of the client side (this script, Playwright's
  driver, chromium) and of everything else on the machine (/proc), so the browser's share is visible.

Errors: console errors, page errors, exceptions shown in the page (``[data-testid="stException"]``),
timeouts, and anything else that stops a session. Server RSS (process and its children, VmRSS from
/proc every 0.5 s): baseline after start, after the warm-up, after all sessions loaded, peak, at the end,
and once every session is closed. Targets: 0 errors, rerun p95 <= 1 s, server RSS peak <= 1 GB.
``--strict`` exits 1 when a target is missed. Every wait is bounded (--timeout) and the whole session
phase too (--budget); only loopback traffic.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser import (  # noqa: E402 - needs the repository root on sys.path first
    _INIT_SCRIPT,
    _RUN_DONE_JS,
    _SETTLED_JS,
    CHROMIUM,
    CHROMIUM_ARGS,
    browser_available,
    serve,
)

RERUN_P95_TARGET_S = 1.0
RSS_TARGET_MB = 1024.0
EXCEPTION_SELECTOR = '[data-testid="stException"]'
SAMPLE_EVERY_S = 0.5
CLK_TCK = os.sysconf("SC_CLK_TCK")

# tests/browser.py's init script checks the page on every animation frame (its `tick`), for the page's
# whole life: about 0.06 s of CPU per second per page here, so 30 open pages would need ~2 cores for it
# alone (and a rerun that waits 20 s for a busy server ticks 1,200 times). What it checks (script state,
# stale elements, skeletons, drawn charts) only changes with the DOM, so this init script parks that
# loop while the DOM is still: it wraps requestAnimationFrame for the callback named "tick" only (React's
# and plotly's frames are untouched), parks it once nothing has changed for 300 ms, and lets it run
# again on the next animation frame after any DOM change or key press, as if it had run all along.
# window.__ticks counts the ticks (0 means the wrapper did not apply).
_TICK_ON_CHANGE_JS = """
(() => {
  if (window.__ticks !== undefined) return;
  window.__ticks = 0;
  const KEEP_MS = 300;
  const nativeRaf = window.requestAnimationFrame.bind(window);
  let parked = null, lastChange = performance.now();
  window.requestAnimationFrame = (cb) => {
    if (typeof cb !== 'function' || cb.name !== 'tick') return nativeRaf(cb);
    const counted = (t) => { window.__ticks++; cb(t); };
    if (performance.now() - lastChange > KEEP_MS) { parked = counted; return 0; }
    return nativeRaf(counted);
  };
  const wake = () => {
    lastChange = performance.now();
    if (parked) { const cb = parked; parked = null; nativeRaf(cb); }
  };
  new MutationObserver(wake).observe(document, {subtree: true, childList: true, attributes: true,
                                                characterData: true});
  addEventListener('keydown', wake, true);
})();
"""
POLL_MS = 50  # the waits return in-page timestamps: how often they poll does not change the figures


# In-page times (ms) of the websocket run messages recorded since index `since`: the first "running",
# the last end of run ("notRunning" or "finishedEarly").
_WS_SPLIT_JS = """
(since) => {
  const s = (window.__scriptStates || []).slice(since).filter(x => x[2] === 'ws');
  const run = s.find(x => x[0] === 'running');
  const ends = s.filter(x => x[0] !== 'running');
  return [run ? run[1] : null, ends.length ? ends[ends.length - 1][1] : null];
}
"""


# Put on the server's PYTHONPATH as sitecustomize.py (nothing of the app changes): times every
# ScriptRunner._run_script call (one script run, or a burst when a rerun request arrives during it) and
# appends "start wall cpu" to $BENCH_LOAD_RUNS: CLOCK_MONOTONIC start, wall seconds, and CPU seconds of
# the script thread (wall - cpu is time spent waiting: for the GIL, held by the other sessions' scripts
# and the server's event loop, or for a core). Does nothing if Streamlit's internals differ.
_SERVER_HOOK = """
import os, sys, threading, time

def _install():
    path = os.environ.get("BENCH_LOAD_RUNS")
    if not path or "playground.worker" in sys.orig_argv:
        return  # the server's script runs only (its worker process imports no Streamlit)
    try:
        from streamlit.runtime.scriptrunner import script_runner
        original = script_runner.ScriptRunner._run_script
    except Exception:
        return
    lock = threading.Lock()

    def timed(self, *args, **kwargs):
        t0, c0 = time.monotonic(), time.thread_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            line = f"{t0:.6f} {time.monotonic() - t0:.6f} {time.thread_time() - c0:.6f}\\n"
            with lock, open(path, "a") as f:
                f.write(line)

    script_runner.ScriptRunner._run_script = timed

_install()
"""


def read_server_runs(path: Path) -> list[tuple[float, float, float]]:
    """(start on CLOCK_MONOTONIC, wall s, script-thread CPU s) per script run the server hook logged."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    runs = []
    for line in lines:
        with suppress(ValueError):
            start, wall, cpu = (float(x) for x in line.split())
            runs.append((start, wall, cpu))
    return runs


# --------------------------------------------------------------------------------------------- /proc


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:  # the process is gone
        return None


def _processes() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, utime + stime in clock ticks) for every process visible in /proc."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        stat = _read(f"/proc/{name}/stat")
        if not stat:
            continue
        rest = stat[stat.rfind(")") + 2 :].split()  # after "pid (comm) "
        out[int(name)] = (int(rest[1]), int(rest[11]) + int(rest[12]))
    return out


def _tree(root: int, procs: dict[int, tuple[int, int]]) -> set[int]:
    """``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    seen, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in procs:
            continue
        seen.add(pid)
        todo.extend(children.get(pid, ()))
    return seen


def _rss_mb(pid: int) -> float:
    status = _read(f"/proc/{pid}/status") or ""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def _machine_busy_s() -> float:
    """CPU seconds the whole machine has spent not idle since boot (all cores)."""
    first = (_read("/proc/stat") or "cpu 0").splitlines()[0].split()[1:]
    ticks = [int(x) for x in first]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    guest = sum(ticks[8:10]) if len(ticks) > 9 else 0  # already counted in user/nice
    return (sum(ticks) - idle - guest) / CLK_TCK


def find_server_pid(port: int, timeout: float = 10.0) -> int | None:
    """The ``streamlit run`` child of this process that ``serve`` started on ``port``.

    ``serve`` yields only the URL; its server is our direct child with ``--server.port PORT`` in its
    command line.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for pid, (ppid, _) in _processes().items():
            if ppid != os.getpid():
                continue
            args = (_read(f"/proc/{pid}/cmdline") or "").split("\0")
            if "streamlit" in " ".join(args) and str(port) in args:
                return pid
        time.sleep(0.1)
    return None


@dataclass
class Sample:
    t: float
    rss_mb: float
    server_cpu_s: float
    client_cpu_s: float
    machine_cpu_s: float


class Sampler:
    """Every 0.5 s: the server tree's RSS, and cumulative CPU seconds of the server tree, of the client
    tree (this process's other descendants: Playwright's driver, chromium) and of the whole machine.

    CPU is summed per PID over everything ever seen, so a chromium renderer that exits still counts.
    """

    def __init__(self, server_pid: int):
        self.server_pid = server_pid
        self.samples: list[Sample] = []
        self.peak_mb_by_role: dict[str, float] = {}  # "server" (the root process), "worker" (its children)
        self._server_ticks: dict[int, int] = {}
        self._client_ticks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._lock = threading.Lock()

    def __enter__(self) -> Sampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self.sample()

    def sample(self) -> Sample:
        with self._lock:
            procs = _processes()
            server = _tree(self.server_pid, procs)
            client = _tree(os.getpid(), procs) - server
            for pid in server:
                self._server_ticks[pid] = procs[pid][1]
            for pid in client:
                self._client_ticks[pid] = procs[pid][1]
            rss = {pid: _rss_mb(pid) for pid in server}
            for role, mb in (("server", rss.get(self.server_pid, 0.0)),
                             ("worker", sum(rss.values()) - rss.get(self.server_pid, 0.0))):
                self.peak_mb_by_role[role] = max(self.peak_mb_by_role.get(role, 0.0), mb)
            s = Sample(
                t=time.monotonic(),
                rss_mb=sum(rss.values()),
                server_cpu_s=sum(self._server_ticks.values()) / CLK_TCK,
                client_cpu_s=sum(self._client_ticks.values()) / CLK_TCK,
                machine_cpu_s=_machine_busy_s(),
            )
            self.samples.append(s)
            return s

    def peak_mb(self, since: float = 0.0) -> float:
        return max((s.rss_mb for s in self.samples if s.t >= since), default=float("nan"))


# --------------------------------------------------------------------------------------------- sessions


@dataclass
class Rerun:
    total_s: float
    to_running_s: float | None  # key press -> server's "running" message
    server_s: float | None  # server "running" -> "finished" message
    after_s: float | None  # "finished" message -> page idle, charts drawn


@dataclass
class Session:
    index: int
    url: str
    first_load_s: float | None = None
    reruns: list[Rerun] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    done: bool = False
    ticks_parked: bool = False  # its idle check loop is parked while the DOM is still (_TICK_ON_CHANGE_JS)
    context: Any = None  # its browser context, closed at the end

    def error(self, kind: str, text: str) -> None:
        text = " ".join(str(text).split())[:300]
        if (kind, text) not in self.errors:
            self.errors.append((kind, text))


def _split(page_split: list[float | None], start_ms: float, end_ms: float) -> tuple:
    run_ms, fin_ms = page_split
    to_run = (run_ms - start_ms) / 1000.0 if run_ms is not None else None
    server = (fin_ms - run_ms) / 1000.0 if run_ms is not None and fin_ms is not None else None
    after = (end_ms - fin_ms) / 1000.0 if fin_ms is not None else None
    return to_run, server, after


async def _state_count(page: Any) -> int:
    return int(await page.evaluate("(window.__scriptStates || []).length"))


async def _wait_rerun(page: Any, since: int, timeout_ms: float) -> float:
    """Async ``wait_rerun`` of tests/browser.py: the last run begun after ``since`` finished, then
    settled (idle, nothing stale, charts drawn, quiet 100 ms), and no run begun meanwhile. Returns the
    in-page time (ms) the page was done."""
    while True:
        await page.wait_for_function(_RUN_DONE_JS, arg=since, polling=POLL_MS, timeout=timeout_ms)
        count = await _state_count(page)
        handle = await page.wait_for_function(_SETTLED_JS, arg=100.0, polling=POLL_MS, timeout=timeout_ms)
        end_ms = float(await handle.json_value())
        restarted = await page.evaluate("(n) => window.__scriptStates.slice(n).some(s => s[0] === 'running')", count)
        if not restarted:
            return end_ms
        since = count


async def _check_exceptions(page: Any, s: Session) -> None:
    shown = page.locator(EXCEPTION_SELECTOR)
    for i in range(await shown.count()):
        s.error("exception in page", await shown.nth(i).inner_text(timeout=5000))


async def _direction(slider: Any, presses: int) -> str:
    """ArrowRight if the slider has room for ``presses`` steps to the right, else ArrowLeft."""
    attrs = [await slider.get_attribute(a) for a in ("value", "max", "step")]
    value, top, step = (float(a) if a not in (None, "") else float("nan") for a in attrs)
    if value != value:
        value = float(await slider.input_value())
    step = step if step == step else 1.0
    return "ArrowRight" if value + presses * step <= top + 1e-9 else "ArrowLeft"


async def open_session(b: Any, s: Session, viewport: tuple[int, int], timeout_ms: float) -> Any:
    """A fresh context on ``s.url``, waited until the first run finished and every chart is drawn."""
    context = s.context = await b.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    await context.add_init_script(_TICK_ON_CHANGE_JS)
    await context.add_init_script(_INIT_SCRIPT)
    page = await context.new_page()
    page.on("console", lambda msg: s.error("console error", msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: s.error("page error", str(exc)))
    await page.goto(s.url, wait_until="domcontentloaded", timeout=timeout_ms)
    await page.wait_for_function(_RUN_DONE_JS, arg=0, polling=POLL_MS, timeout=timeout_ms)
    end_ms = await _wait_rerun(page, 0, timeout_ms)
    s.first_load_s = end_ms / 1000.0  # performance.now() counts from navigation start
    await _check_exceptions(page, s)
    s.ticks_parked = bool(await page.evaluate("window.__ticks > 0"))
    return page


async def change(page: Any, s: Session, label: str, key: str, timeout_ms: float) -> None:
    """One key press on the slider and its measured rerun (as ``press_slider`` does)."""
    slider = page.get_by_role("slider", name=label)
    await slider.focus(timeout=timeout_ms)
    before = await slider.input_value()
    await page.evaluate("window.__lastKeydown = null")
    since = await _state_count(page)
    await slider.press(key, timeout=timeout_ms)
    start_ms = await page.evaluate("window.__lastKeydown")
    if start_ms is None:
        raise RuntimeError(f"no keydown reached the page for slider {label!r}")
    if await slider.input_value() == before:
        raise RuntimeError(f"{key} did not move slider {label!r} (value {before})")
    end_ms = await _wait_rerun(page, since, timeout_ms)
    split = await page.evaluate(_WS_SPLIT_JS, since)
    s.reruns.append(Rerun((end_ms - start_ms) / 1000.0, *_split(split, float(start_ms), end_ms)))
    await _check_exceptions(page, s)


def _failure(s: Session, what: str, exc: BaseException) -> None:
    name = type(exc).__name__
    if "Timeout" in name:
        s.error("timeout", f"{what}: {str(exc).splitlines()[0] if str(exc) else name}")
    else:
        s.error("failure", f"{what}: {name}: {exc}")


@dataclass
class Run:
    args: argparse.Namespace
    sessions: list[Session]
    sampler: Sampler
    marks: dict[str, Sample] = field(default_factory=dict)
    warmup: Session | None = None
    wall_s: dict[str, float] = field(default_factory=dict)
    server_runs: list[tuple[float, float, float]] = field(default_factory=list)  # from the server hook

    def runs_between(self, a: str, b: str) -> list[tuple[float, float, float]]:
        lo, hi = self.marks.get(a), self.marks.get(b)
        if lo is None or hi is None:
            return []
        return [r for r in self.server_runs if lo.t <= r[0] < hi.t]


async def drive(run: Run, base_url: str) -> None:
    from playwright.async_api import async_playwright

    args, sessions = run.args, run.sessions
    timeout_ms = args.timeout * 1000.0
    viewport = tuple(int(v) for v in args.viewport.lower().split("x"))
    loaded = 0
    all_loaded = asyncio.Event()

    # A page's first load costs chromium ~6 s of CPU here; 30 at once on 2 cores make every one of them
    # last minutes (and cost twice the CPU, animating all along): the arrivals are staggered instead.
    loading = asyncio.Semaphore(args.load_concurrency or len(sessions))

    def one_loaded() -> None:
        nonlocal loaded
        loaded += 1
        if loaded == len(sessions):
            run.marks["loaded"] = run.sampler.sample()
            all_loaded.set()

    async def one(s: Session, b: Any) -> None:
        rng = random.Random(s.index)
        try:
            async with loading:
                page = await open_session(b, s, viewport, timeout_ms)
        except Exception as exc:  # recorded; the other sessions go on
            _failure(s, "first load", exc)
            return
        finally:
            one_loaded()
        await all_loaded.wait()
        slider = page.get_by_role("slider", name=args.slider)
        if await slider.count() == 0:
            s.error("failure", f"no slider labelled {args.slider!r}")
            return
        key = await _direction(slider, args.changes)
        for i in range(args.changes):
            await asyncio.sleep(rng.uniform(0.5, 1.5) * args.think)
            try:
                await change(page, s, args.slider, key, timeout_ms)
            except Exception as exc:
                _failure(s, f"change {i + 1}", exc)
                return
        s.done = True

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # Warm-up: the server's first session imports the app and fills module-level state.
            warm = run.warmup = Session(-1, base_url + "/")
            t0 = time.monotonic()
            try:
                page = await open_session(b, warm, viewport, timeout_ms)
                await page.context.close()
            except Exception as exc:
                _failure(warm, "warm-up load", exc)
            run.wall_s["warm-up"] = time.monotonic() - t0
            run.marks["warm"] = run.sampler.sample()

            t0 = time.monotonic()
            tasks = [asyncio.create_task(one(s, b)) for s in sessions]
            _, pending = await asyncio.wait(tasks, timeout=args.budget)
            for task in pending:
                task.cancel()
            for task in pending:
                with suppress(asyncio.CancelledError, Exception):
                    await task
            for s in sessions:
                stopped = any(kind in ("timeout", "failure") for kind, _ in s.errors)
                if not s.done and not stopped:
                    s.error("timeout", f"session not finished within the --budget of {args.budget:.0f} s")
            if "loaded" not in run.marks:
                run.marks["loaded"] = run.sampler.sample()
            run.wall_s["sessions"] = time.monotonic() - t0
            run.marks["end"] = run.sampler.sample()

            contexts = [s.context for s in sessions if s.context is not None]
            await asyncio.gather(*(c.close() for c in contexts), return_exceptions=True)
            await asyncio.sleep(3.0)  # let the server drop the closed sessions
            run.marks["closed"] = run.sampler.sample()
        finally:
            await b.close()


# --------------------------------------------------------------------------------------------- report


def pct(xs: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: with 90 values the p95 is the 86th smallest)."""
    if not xs:
        return float("nan")
    ordered = sorted(xs)
    return ordered[max(0, math.ceil(q / 100.0 * len(ordered)) - 1)]


def max_overlap(runs: list[tuple[float, float, float]]) -> int:
    """Most script runs in progress at the same time, from (start, wall, cpu)."""
    events = sorted([(start, 1) for start, _, _ in runs] + [(start + wall, -1) for start, wall, _ in runs])
    most = now = 0
    for _, step in events:
        now += step
        most = max(most, now)
    return most


def _row(label: str, xs: list[float], note: str = "") -> str:
    def f(x: float) -> str:
        return "n/a" if x != x else f"{x:.3f}"

    stats = (len(xs), f(pct(xs, 50)), f(pct(xs, 95)), f(max(xs) if xs else float("nan")))
    return f"  {label:44}{stats[0]:>5}{stats[1]:>9}{stats[2]:>9}{stats[3]:>9}  {note}"


def _cpu(a: Sample, b: Sample) -> tuple[float, float, float, float]:
    server = b.server_cpu_s - a.server_cpu_s
    client = b.client_cpu_s - a.client_cpu_s
    machine = b.machine_cpu_s - a.machine_cpu_s
    return server, client, max(0.0, machine - server - client), b.t - a.t


def report(run: Run, load_before: tuple[float, float, float], load_after: tuple[float, float, float]) -> bool:
    args, sessions, marks = run.args, run.sessions, run.marks
    cores = os.cpu_count() or 1
    measured = [marks[k] for k in ("warm", "end") if k in marks]
    other_share = client_share = float("nan")
    if len(measured) == 2:
        server, client, other, _ = _cpu(*measured)
        total = server + client + other
        other_share, client_share = (x / total if total else float("nan") for x in (other, client))
    contexts = f"{len(sessions)} context{'s' if len(sessions) != 1 else ''}"
    print(
        f"Load: {len(sessions)} concurrent sessions x {args.changes} changes of {args.slider!r} on {args.app} "
        f"(one streamlit server; one chromium with {contexts}, viewport {args.viewport}, "
        f"at nice {args.client_nice})"
    )
    print(
        f"machine: {cores} cores; load average (1/5/15 min) before {'/'.join(f'{x:.1f}' for x in load_before)}, "
        f"after {'/'.join(f'{x:.1f}' for x in load_after)} (the run's own chromium processes count in it)"
    )
    if other_share > 0.10:
        print(
            f"warning: the machine is shared: other processes used {100 * other_share:.0f}% of the CPU during the "
            f"sessions (load average {load_before[0]:.1f} before the run): the timings are pessimistic"
        )
    elif load_before[0] > cores:
        print(
            f"note: load average {load_before[0]:.1f} on {cores} cores before the run, but other processes used "
            f"only {100 * other_share:.0f}% of the CPU during the sessions"
        )
    if any(s.first_load_s is not None and not s.ticks_parked for s in sessions):
        print(
            "note: the idle check loop of tests/browser.py could not be parked (no rAF callback named "
            "'tick'): every open page checks itself on every frame, which loads the CPU"
        )
    print(
        f"wall time: warm-up load {run.wall_s.get('warm-up', float('nan')):.1f} s, "
        f"sessions {run.wall_s.get('sessions', float('nan')):.1f} s (budget {args.budget:.0f} s)"
    )

    errors = [(s.index, kind, text) for s in sessions for kind, text in s.errors]
    if run.warmup is not None:
        errors += [(-1, kind, text) for kind, text in run.warmup.errors]
    kinds = {
        "console error": "console errors",
        "page error": "page errors",
        "exception in page": "exceptions in page",
        "timeout": "timeouts",
        "failure": "other failures",
    }
    counts = ", ".join(f"{name} {sum(e[1] == kind for e in errors)}" for kind, name in kinds.items())
    print()
    print(f"errors: {len(errors)}  ({counts})")
    for index, kind, text in errors[:12]:
        who = "warm-up" if index < 0 else f"session {index}"
        print(f"  {who}: {kind}: {text}")
    if len(errors) > 12:
        print(f"  ... and {len(errors) - 12} more")

    loads = [s.first_load_s for s in sessions if s.first_load_s is not None]
    reruns = [r for s in sessions for r in s.reruns]
    totals = [r.total_s for r in reruns]

    def some(xs: list[float | None]) -> list[float]:
        return [x for x in xs if x is not None]

    print()
    print(f"  {'seconds':44}{'n':>5}{'p50':>9}{'p95':>9}{'max':>9}")
    warm = run.warmup
    if warm is not None and warm.first_load_s is not None:
        print(f"  {'warm-up load, alone (cold server)':44}{1:>5}{warm.first_load_s:>9.3f}")
    hooked = bool(run.server_runs)
    at_a_time = f"{min(args.load_concurrency or len(sessions), len(sessions))} at a time"
    phases = [("first load: navigation -> all charts drawn", loads, at_a_time, "warm", "loaded")]
    phases.append(("rerun: key -> charts redrawn and idle", totals, f"target p95 <= {RERUN_P95_TARGET_S:g} s",
                   "loaded", "end"))  # fmt: skip
    for label, xs, note, a, b in phases:
        print(_row(label, xs, note))
        if not label.startswith("first load"):  # the first run's messages queue behind the page's own loading
            print(_row("  page saw: key -> 'running' message", some([r.to_running_s for r in reruns])))
            print(_row("  page saw: 'running' -> 'finished' messages", some([r.server_s for r in reruns])))
            print(_row("  page saw: 'finished' -> idle, charts drawn", some([r.after_s for r in reruns])))
        if hooked:
            runs = run.runs_between(a, b)
            busy = f"up to {max_overlap(runs)} at once" if runs else ""
            print(_row("  server: script run, wall", [r[1] for r in runs], busy))
            print(_row("  server: script run, CPU of its thread", [r[2] for r in runs]))
    print(
        "  'page saw' times are stamped when the page's main thread handles the websocket messages: a busy\n"
        "  renderer delays them (so 'running' -> 'finished' is an upper bound of the server's part)."
    )
    if hooked:
        print(
            "  'server' times come from a hook on the server's ScriptRunner (sitecustomize on its PYTHONPATH):\n"
            "  wall - CPU is the script waiting for the GIL (the other sessions' scripts) or for a core."
        )
    else:
        print("  (no server-side run times: the ScriptRunner hook was off or did not apply)")

    samples = run.sampler.samples
    start = samples[0]
    print()
    print("server RSS (streamlit process and children, MB):")
    marks_shown = [
        ("baseline after start", start),
        ("after the warm-up session", marks.get("warm")),
        (f"all {len(sessions)} sessions loaded", marks.get("loaded")),
        ("end of the reruns (sessions open)", marks.get("end")),
        ("3 s after closing every session", marks.get("closed")),
    ]
    for label, mark in marks_shown:
        if mark is not None:
            print(f"  {label:40}{mark.rss_mb:8.0f}")
    peak = run.sampler.peak_mb()
    print(f"  {'peak (every 0.5 s, ' + str(len(samples)) + ' samples)':40}{peak:8.0f}   target <= {RSS_TARGET_MB:.0f}")
    if marks.get("warm") and marks.get("end") and sessions:
        per = (run.sampler.peak_mb(marks["warm"].t) - marks["warm"].rss_mb) / len(sessions)
        end_per = (marks["end"].rss_mb - marks["warm"].rss_mb) / len(sessions)
        print(f"  per session: peak {per:+.1f} MB, at the end {end_per:+.1f} MB (over the warm-up level)")

    print()
    print("CPU seconds by phase (server tree | browser: chromium, Playwright, this script | other processes | wall):")
    phases = [
        ("warm-up", start, marks.get("warm"), ("start", "warm")),
        ("first loads", marks.get("warm"), marks.get("loaded"), ("warm", "loaded")),
        ("reruns", marks.get("loaded"), marks.get("end"), ("loaded", "end")),
    ]
    for label, a, b, keys in phases:
        if a is None or b is None:
            continue
        server, client, other, wall = _cpu(a, b)
        busy = server + client + other
        s, c, o = (f"{100 * x / busy:3.0f}%" if busy else "  -" for x in (server, client, other))
        print(
            f"  {label:12} server {server:6.1f} s {s} | browser {client:6.1f} s {c} | "
            f"other {other:6.1f} s {o} | wall {wall:5.1f} s ({busy / wall if wall else 0:.2f} cores busy)"
        )
        runs = len(run.runs_between(*keys)) if run.server_runs else len(totals if label == "reruns" else loads)
        if runs:
            print(
                f"  {'':12} per script run: server {server / runs:.3f} s, browser {client / runs:.3f} s "
                f"({runs} run{'s' if runs != 1 else ''}{', from the server hook' if run.server_runs else ''})"
            )
    if client_share > 0.5:
        print(
            f"  -> the load generator (chromium, Playwright) used {100 * client_share:.0f}% of the CPU: the rerun "
            "times here are bound by the\n     browsers sharing the cores with the server; the server's own part "
            "is in the 'server: script run' rows."
        )

    ok = True
    print()
    p95 = pct(totals, 95)
    checks = [
        (f"errors: {len(errors)} (target 0)", not errors),
        (f"rerun p95: {p95:.3f} s (target <= {RERUN_P95_TARGET_S:g} s)", p95 == p95 and p95 <= RERUN_P95_TARGET_S),
        (f"server RSS peak: {peak:.0f} MB (target <= {RSS_TARGET_MB:.0f} MB)", peak <= RSS_TARGET_MB),
    ]
    expected = len(sessions) * args.changes
    if len(totals) < expected:
        checks.append((f"reruns measured: {len(totals)} of {expected}", False))
    for text, met in checks:
        ok &= met
        print(f"{text}: {'OK' if met else 'MISSED'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent browser sessions")
    parser.add_argument("--changes", type=int, default=3, help="slider key presses per session")
    parser.add_argument("--app", default="app.py", help="app to serve, relative to the repository root")
    parser.add_argument("--slider", default="Learning rate", help="label of the slider to step")
    parser.add_argument(
        "--query", default="", help="more URL settings for every session, e.g. 'dataset=digits&epochs=100'"
    )
    parser.add_argument("--viewport", default="1280x720", help="WIDTHxHEIGHT of every page")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause before each key press, s")
    parser.add_argument(
        "--load-concurrency", type=int, default=2, help="first loads at a time (0: all sessions at once)"
    )
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds for any one wait")
    parser.add_argument("--budget", type=float, default=250.0, help="seconds for the whole session phase")
    parser.add_argument(
        "--client-nice",
        type=int,
        default=19,
        help="niceness of this script, Playwright and chromium (0: same priority as the server)",
    )
    parser.add_argument(
        "--no-server-hook", action="store_true", help="do not time script runs inside the server (sitecustomize)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.sessions < 1 or args.changes < 0:
        parser.error("--sessions must be >= 1 and --changes >= 0")
    if not browser_available():
        print("bench_load: needs /usr/bin/chromium and the playwright package", file=sys.stderr)
        return 2

    load_before = os.getloadavg()
    hook_dir = Path(tempfile.mkdtemp(prefix="bench_load_"))
    runs_log = hook_dir / "runs.txt"
    extra_env = {}
    if not args.no_server_hook:
        (hook_dir / "sitecustomize.py").write_text(_SERVER_HOOK)
        path = os.pathsep.join(x for x in (str(hook_dir), os.environ.get("PYTHONPATH", "")) if x)
        extra_env = {"PYTHONPATH": path, "BENCH_LOAD_RUNS": str(runs_log)}
    try:
        ok = _serve_and_drive(args, extra_env, runs_log, load_before)
    finally:
        shutil.rmtree(hook_dir, ignore_errors=True)
    return 1 if args.strict and not ok else 0


def _serve_and_drive(
    args: argparse.Namespace, extra_env: dict[str, str], runs_log: Path, load_before: tuple[float, float, float]
) -> bool:
    with serve(args.app, extra_env=extra_env, timeout=args.timeout) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        server_pid = find_server_pid(port)
        if server_pid is None:
            raise RuntimeError(f"bench_load: cannot find the server process on port {port}")
        extra = f"&{args.query.lstrip('?&')}" if args.query else ""
        sessions = [Session(i, f"{base_url}/?seed={i + 1}{extra}") for i in range(args.sessions)]
        if args.client_nice:
            # Playwright's driver and chromium, started from here, inherit it; the server (started
            # above) keeps its priority, so its own load generator does not starve it.
            os.nice(args.client_nice)
        with Sampler(server_pid) as sampler:
            run = Run(args, sessions, sampler, marks={"start": sampler.samples[0]})
            asyncio.run(drive(run, base_url))
    # serve() has terminated the server by its PID and waited for it.
    run.server_runs = read_server_runs(runs_log)
    return report(run, load_before, os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
