"""Load on the server alone: N concurrent websocket clients, each a student changing the learning rate.

    python benchmarks/bench_load_ws.py [--sessions 30] [--changes 5] [--think 1.0] [--query dataset=digits]

``bench_load.py`` drives 30 real chromium pages, but on this 2-core machine their rendering takes ~90 %
of the CPU, so its rerun times measure the load generator more than the server. Students bring their
own browsers; what they share is the server. This script speaks Streamlit's own websocket protocol
(the protobuf ``BackMsg``/``ForwardMsg`` the page exchanges, from the installed ``streamlit.proto``), so
the whole machine is left to one ``streamlit run``:

1. every session connects to ``/_stcore/stream`` and asks for a first run of ``?seed=<k>`` (its own
   data and runs, so every run misses the shared ``st.cache_data``), at most --load-concurrency at once;
2. once all have loaded, each changes the learning rate --changes times (the next value on the
   slider's ladder, as a key press would), after a random think time (--think on average), sending
   only that widget's new state as the page does, and times request -> the server's "script finished".

Errors: an exception element in any run, a run that did not finish successfully, a timeout, a closed
connection. Server RSS and CPU come from bench_load's sampler; script runs are timed inside the server
by bench_load's sitecustomize hook. Targets: 0 errors, rerun p95 <= 1 s, server RSS peak <= 1 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from bench_load import (  # the same directory: sampler, server hook, percentiles
    _SERVER_HOOK,
    RERUN_P95_TARGET_S,
    RSS_TARGET_MB,
    Sampler,
    _row,
    find_server_pid,
    max_overlap,
    pct,
    read_server_runs,
    serve,
)
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

WIDGET_KEY = "w_learning_rate"  # the sidebar's learning-rate select_slider (widget ids end with their key)


@dataclass
class Client:
    number: int
    query: str
    first_load_s: float = float("nan")
    reruns_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@dataclass
class Page:
    """What a run sent that the next request needs: the page hash and the learning-rate widget."""

    script_hash: str = ""
    widget_id: str = ""
    options: list[str] = field(default_factory=list)
    value: str = ""


def rerun_request(query: str, page: Page, value: str | None) -> bytes:
    """A BackMsg asking for a run, with the learning-rate widget set to ``value`` (None: first run)."""
    msg = BackMsg()
    request = msg.rerun_script
    request.query_string = query
    request.page_script_hash = page.script_hash
    if value is not None:
        widget = request.widget_states.widgets.add()
        widget.id = page.widget_id
        widget.string_array_value.data.append(value)
    return msg.SerializeToString()


async def run_once(ws, query: str, page: Page, value: str | None, timeout: float) -> tuple[float, list[str]]:
    """Send one run request and read until the server says the script finished: (seconds, problems)."""
    start = time.monotonic()
    await ws.send(rerun_request(query, page, value))
    problems = []
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout)
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            page.script_hash = msg.new_session.main_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "exception":
                problems.append(f"exception in the page: {element.exception.message[:200]}")
            elif element.WhichOneof("type") == "slider" and element.slider.id.endswith(WIDGET_KEY):
                page.widget_id, page.options = element.slider.id, list(element.slider.options)
                page.value = page.value or page.options[int(element.slider.default[0])]  # the first run's
        elif kind == "script_finished":
            status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
            if status == "FINISHED_SUCCESSFULLY":
                return time.monotonic() - start, problems
            if status != "FINISHED_EARLY_FOR_RERUN":
                return time.monotonic() - start, [*problems, f"run ended {status}"]


def next_value(page: Page) -> str:
    """The next learning rate up the ladder (down from the top), as an arrow key would give."""
    at = page.options.index(page.value)
    page.value = page.options[at + 1 if at + 1 < len(page.options) else at - 1]
    return page.value


class Loaded:
    """Set once every client has had its first run (or failed): the changes start together."""

    def __init__(self, clients: int):
        self.left, self.event = clients, asyncio.Event()

    def done(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.event.set()


async def drive(client: Client, url: str, gate: asyncio.Semaphore, loaded: Loaded, args) -> None:
    """One student: connect, first run, then the learning-rate changes."""
    page, counted = Page(), False
    try:
        async with websockets.connect(url, subprotocols=["streamlit"], max_size=None) as ws:
            async with gate:
                client.first_load_s, problems = await run_once(ws, client.query, page, None, args.timeout)
            client.errors += problems
            if not page.widget_id:
                client.errors.append(f"no widget with key {WIDGET_KEY!r} in the first run")
            loaded.done()
            counted = True
            await loaded.event.wait()
            for _ in range(args.changes if page.widget_id else 0):
                await asyncio.sleep(random.expovariate(1.0 / args.think) if args.think > 0 else 0.0)
                seconds, problems = await run_once(ws, client.query, page, next_value(page), args.timeout)
                client.reruns_s.append(seconds)
                client.errors += problems
    except (TimeoutError, OSError, websockets.WebSocketException) as error:
        client.errors.append(f"{type(error).__name__}: {error}")
    finally:
        if not counted:
            loaded.done()  # a client that failed early must not hold the others


async def drive_all(clients: list[Client], base_url: str, args) -> None:
    """All clients at once against the server at ``base_url``."""
    url = base_url.replace("http://", "ws://") + "/_stcore/stream"
    gate = asyncio.Semaphore(args.load_concurrency or len(clients))
    loaded = Loaded(len(clients))
    await asyncio.gather(*(drive(c, url, gate, loaded, args) for c in clients))


def report(clients: list[Client], sampler: Sampler, server_runs, args, wall_s: float) -> bool:
    """Print the figures; True when every target is met."""
    errors = [f"session {c.number}: {e}" for c in clients for e in c.errors]
    reruns = [t for c in clients for t in c.reruns_s]
    loads = [c.first_load_s for c in clients if c.first_load_s == c.first_load_s]
    expected = args.sessions * args.changes
    samples = sampler.samples
    peak = sampler.peak_mb()
    server_cpu = samples[-1].server_cpu_s - samples[0].server_cpu_s
    machine_cpu = samples[-1].machine_cpu_s - samples[0].machine_cpu_s
    print(f"Load: {args.sessions} websocket clients x {args.changes} learning-rate changes, think "
          f"{args.think:g} s on average, one streamlit server, {os.cpu_count()} cores; wall {wall_s:.1f} s")
    print(f"errors: {len(errors)}")
    for line in errors[:10]:
        print("  " + line)
    print(f"\n  {'seconds':44}{'n':>5}{'p50':>9}{'p95':>9}{'max':>9}")
    print(_row("first run: request -> script finished", loads, f"{args.load_concurrency or 'all'} at a time"))
    print(_row("rerun: request -> script finished", reruns, f"target p95 <= {RERUN_P95_TARGET_S:g} s"))
    print(_row("server: script run, wall", [w for _, w, _ in server_runs],
               f"up to {max_overlap(server_runs)} at once"))
    print(_row("server: script run, CPU of its thread", [c for _, _, c in server_runs]))
    print(f"\nserver RSS: baseline {samples[0].rss_mb:.0f} MB, peak {peak:.0f} MB "
          f"(target <= {RSS_TARGET_MB:.0f}), per session {(peak - samples[0].rss_mb) / args.sessions:.1f} MB")
    print(f"CPU seconds: server {server_cpu:.1f}, whole machine {machine_cpu:.1f} "
          f"({server_cpu / max(machine_cpu, 1e-9):.0%} the server's)")
    checks = [("errors", len(errors) == 0, f"{len(errors)} (target 0)"),
              ("rerun p95", pct(reruns, 95) <= RERUN_P95_TARGET_S,
               f"{pct(reruns, 95):.3f} s (target <= {RERUN_P95_TARGET_S:g} s)"),
              ("server RSS peak", peak <= RSS_TARGET_MB, f"{peak:.0f} MB (target <= {RSS_TARGET_MB:.0f} MB)"),
              ("reruns measured", len(reruns) == expected, f"{len(reruns)} of {expected}")]
    for name, ok, text in checks:
        print(f"{name}: {text}: {'OK' if ok else 'MISSED'}")
    return all(ok for _, ok, _ in checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent websocket clients")
    parser.add_argument("--changes", type=int, default=5, help="learning-rate changes per client")
    parser.add_argument("--app", default="app.py", help="app to serve, relative to the repository root")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause before each change, s")
    parser.add_argument("--query", default="", help="more URL settings for every session, e.g. 'dataset=digits'")
    parser.add_argument("--load-concurrency", type=int, default=0, help="first runs at a time (0: all at once)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for any one run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the think times")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    random.seed(args.seed)
    hook_dir = Path(tempfile.mkdtemp(prefix="bench_load_ws_"))
    (hook_dir / "sitecustomize.py").write_text(_SERVER_HOOK)
    runs_log = hook_dir / "runs.txt"
    extra_env = {"PYTHONPATH": os.pathsep.join(x for x in (str(hook_dir), os.environ.get("PYTHONPATH", "")) if x),
                 "BENCH_LOAD_RUNS": str(runs_log)}
    extra = f"&{args.query.lstrip('?&')}" if args.query else ""
    clients = [Client(i, f"seed={i + 1}{extra}") for i in range(args.sessions)]
    with serve(args.app, extra_env=extra_env, timeout=args.timeout) as base_url:
        server_pid = find_server_pid(int(base_url.rsplit(":", 1)[1]))
        if server_pid is None:
            raise RuntimeError("bench_load_ws: cannot find the server process")
        asyncio.run(drive_all([Client(-1, "")], base_url, argparse.Namespace(**{**vars(args), "changes": 0})))
        with Sampler(server_pid) as sampler:
            started = time.monotonic()
            runs_log.unlink(missing_ok=True)  # the warm-up (imports, first cache fill) is not counted
            asyncio.run(drive_all(clients, base_url, args))
            wall = time.monotonic() - started
            sampler.sample()
    ok = report(clients, sampler, read_server_runs(runs_log), args, wall)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
