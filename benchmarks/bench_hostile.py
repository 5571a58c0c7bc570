"""Hostile load: a class of students on one server while 1–3 sessions open the heaviest links and uploads.

    python benchmarks/bench_hostile.py [--heavy 0 1 3] [--sessions 30] [--think 3] [--changes 5] [--repeat 75]

Issue 18: one public link could stall a classroom (three students' first loads took 4.2–6.2 s instead of 1.35 s
beside one heavy link; three held 1.6 GB and ~1.5 cores for 202 s). Each phase starts its own server
(`benchmarks/bench_load_ws.py`'s websocket students, speaking Streamlit's protocol, each with its own seed):

- ``--heavy H`` phases: the students load the default page, then each moves the learning rate ``--changes``
  times (a think time of ``--think`` s on average between). From the moment all have loaded until all have
  made their changes, H heavy sessions open, one after another each, a new session (a new seed every time)
  on issue 18's heaviest requests in turn: the digits link with 3 × 16 sigmoid layers, batch 45, 500 epochs on
  Optimizer race and on Fit & landscape, and a 20 MB upload (200,000 rows × 50 columns, 3 × 16 hidden,
  batch 2,000, 500 epochs) on Optimizer race. Reported: the students' rerun p50/p95, the heavy requests done
  and how long they took, the server's CPU (cores busy) and RSS; the target is the students' p95 within 2×
  of the phase without heavy sessions (H = 0), measured in the same run.
- ``--repeat N``: issue 18's memory test: the heavy digits link opened N times with new seeds (two sessions
  at a time) on Optimizer race; the server's RSS must stay under 1 GB (it grew from 383 MB to 2.88 GB).
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
from bench_budget import big_csv
from bench_load import Sampler, find_server_pid, pct, serve
from bench_load_ws import XSRF_COOKIE, AllDone, Client, Page, drive, hook_env, http, read_run
from streamlit.proto.BackMsg_pb2 import BackMsg

HEAVY_LINK = ("dataset=digits&hidden_layers=3&hidden_units=16&activation=sigmoid&hidden_activation=sigmoid"
              "&batch_size=45&epochs=500&validation_split=0&learning_rate=0.0001")
UPLOAD_LINK = "dataset=upload&hidden_layers=3&hidden_units=16&batch_size=2000&epochs=500"
HEAVY_REQUESTS = (  # (name, query, with the upload)
    ("digits link, Optimizer race", HEAVY_LINK + "&view=Optimizer+race", False),
    ("digits link, Fit & landscape", HEAVY_LINK, False),
    ("20 MB upload, Optimizer race", UPLOAD_LINK + "&view=Optimizer+race", True),
)
UPLOADER_KEY = "csv_file"  # playground/sections/sidebar.py's file_uploader
P95_RATIO_TARGET = 2.0
RSS_TARGET_MB = 1024.0


@dataclass
class HeavyResult:
    name: str
    seconds: float
    problems: list[str] = field(default_factory=list)


def roles(sampler: Sampler) -> str:
    """Each process's own peak: the server's and its worker's (their peaks need not coincide)."""
    return ", ".join(f"{role} alone peaked at {mb:.0f} MB" for role, mb in sampler.peak_mb_by_role.items())


def run_request(query: str, page: Page, widgets: list | None = None) -> bytes:
    """A BackMsg asking for a run of the page with `query`, with these widget states (None: a first run)."""
    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_script_hash = page.script_hash
    for widget in widgets or []:
        msg.rerun_script.widget_states.widgets.add().CopyFrom(widget)
    return msg.SerializeToString()


async def run_page(ws, query: str, page: Page, timeout: float, widgets=None) -> tuple[list[str], str]:
    """Send one run request and read until the script finished: (problems, the CSV uploader's widget id)."""
    uploader = []

    def note_uploader(element) -> None:
        if element.WhichOneof("type") == "file_uploader" and element.file_uploader.id.endswith(UPLOADER_KEY):
            uploader.append(element.file_uploader.id)

    await ws.send(run_request(query, page, widgets))
    problems = await read_run(ws, page, timeout, note_uploader)
    return problems, uploader[-1] if uploader else ""


def put_file(base_url: str, client: Client, session_id: str, file_id: str, data: bytes, timeout: float) -> int:
    """PUT a CSV to the session's upload endpoint as st.file_uploader does; the HTTP status (204 accepted)."""
    boundary = "bench-hostile"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
               "X-Xsrftoken": client.cookies.get(XSRF_COOKIE, "")}  # fmt: skip
    return http("PUT", f"{base_url}/_stcore/upload_file/{session_id}/{file_id}", client.cookies, timeout, body, headers)


def uploader_state(widget_id: str, file_id: str, size: int):
    """The uploader's widget state once the file is uploaded, as the page sends it."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    widget = WidgetState(id=widget_id)
    info = widget.file_uploader_state_value.uploaded_file_info.add()
    info.file_id, info.name, info.size = file_id, "big.csv", size
    return widget


async def heavy_request(base_url: str, number: int, name: str, query: str, upload: bytes | None,
                        timeout: float) -> HeavyResult:  # fmt: skip
    """One new session on a heavy request: the page and health check, the websocket, the first run and, with
    an upload, the file and the run that reads it. Seconds from the first request to the last run's end."""
    client, page, started = Client(number, query), Page(), time.monotonic()
    result = HeavyResult(name, float("nan"))
    try:
        for path in (f"/?{query}", "/_stcore/health"):
            await asyncio.to_thread(http, "GET", base_url + path, client.cookies, timeout)
        xsrf = client.cookies.get(XSRF_COOKIE)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        async with websockets.connect(base_url.replace("http://", "ws://") + "/_stcore/stream",
                                      subprotocols=["streamlit", *([xsrf] if xsrf else [])],
                                      additional_headers={"Cookie": cookie} if cookie else None,
                                      max_size=None, proxy=None, open_timeout=timeout) as ws:  # fmt: skip
            problems, uploader = await run_page(ws, query, page, timeout)
            result.problems += problems
            if upload is not None:
                file_id = f"big-{number}"
                status = await asyncio.to_thread(put_file, base_url, client, page.session_id, file_id, upload, timeout)
                if status != 204 or not uploader:
                    result.problems.append(f"upload: HTTP {status}, uploader {'found' if uploader else 'missing'}")
                else:
                    problems, _ = await run_page(ws, query, page, timeout, [uploader_state(uploader, file_id,
                                                                                            len(upload))])
                    result.problems += problems
    except (TimeoutError, OSError, websockets.WebSocketException) as error:
        result.problems.append(f"{type(error).__name__}: {error}")
    result.seconds = time.monotonic() - started
    return result


async def heavy_session(base_url: str, index: int, start: asyncio.Event, stop: asyncio.Event, upload: bytes,
                        timeout: float, results: list[HeavyResult], requests=HEAVY_REQUESTS) -> None:  # fmt: skip
    """One hostile user: from `start` until `stop`, a new session on the next heavy request, again and again."""
    await start.wait()
    round_ = 0
    while not stop.is_set():
        name, query, with_upload = requests[(index + round_) % len(requests)]
        seed = 10_000 * (index + 1) + round_
        results.append(await heavy_request(base_url, seed, name, f"seed={seed}&{query}",
                                           upload if with_upload else None, timeout))
        round_ += 1


@dataclass
class Phase:
    heavy: int
    students: list[Client]
    results: list[HeavyResult]
    samples: dict[str, object]
    sampler: Sampler
    wall_s: float


async def drive_phase(base_url: str, args, heavy: int, upload: bytes, sampler: Sampler) -> Phase:
    students = [Client(i, f"seed={i + 1}") for i in range(args.sessions)]
    steps = {"loaded": AllDone(len(students)), "changed": AllDone(len(students))}
    gate = asyncio.Semaphore(args.sessions)
    results: list[HeavyResult] = []
    marks: dict[str, object] = {}

    async def mark(name: str) -> None:
        await steps[name].event.wait()
        marks[name] = sampler.sample()

    options = argparse.Namespace(timeout=args.timeout, think=args.think, changes=args.changes, burst=0)
    started = time.monotonic()
    await asyncio.gather(
        *(mark(name) for name in steps),
        *(drive(c, base_url, gate, list(steps.values()), options, []) for c in students),
        *(heavy_session(base_url, i, steps["loaded"].event, steps["changed"].event, upload, args.timeout, results,
                        [HEAVY_REQUESTS[k] for k in args.requests]) for i in range(heavy)),
    )  # fmt: skip
    return Phase(heavy, students, results, marks, sampler, time.monotonic() - started)


def run_phase(args, heavy: int, upload: bytes, hook_dir: Path) -> Phase:
    random.seed(args.seed)  # the same think times in every phase
    with serve(args.app, extra_env=hook_env(hook_dir / f"runs-{heavy}.txt"), timeout=args.timeout) as base_url:
        pid = find_server_pid(int(base_url.rsplit(":", 1)[1]))
        warm = Client(-1, "")
        asyncio.run(drive(warm, base_url, asyncio.Semaphore(1), [AllDone(1), AllDone(1)],
                          argparse.Namespace(timeout=args.timeout, think=0, changes=0, burst=0), []))
        time.sleep(3.0)  # the lesson caches warm in the background after the first page
        with Sampler(pid) as sampler:
            return asyncio.run(drive_phase(base_url, args, heavy, upload, sampler))


def report(phase: Phase, base: Phase | None) -> bool:
    reruns = [t for c in phase.students for t in c.reruns_s]
    loads = [c.first_load_s for c in phase.students]
    errors = [e for c in phase.students for e in c.errors]
    s = phase.sampler.samples
    loaded, changed = phase.samples.get("loaded", s[0]), phase.samples.get("changed", s[-1])
    seconds = max(changed.t - loaded.t, 1e-9)
    cores = (changed.server_cpu_s - loaded.server_cpu_s) / seconds
    print(f"\n=== {len(phase.students)} students + {phase.heavy} heavy session(s); wall {phase.wall_s:.1f} s")
    print(f"  students: first load p50 {pct(loads, 50):.2f} s, p95 {pct(loads, 95):.2f} s; rerun p50 "
          f"{pct(reruns, 50):.3f} s, p95 {pct(reruns, 95):.3f} s (n={len(reruns)}); errors {len(errors)}")
    for line in errors[:5]:
        print(f"    {line}")
    print(f"  server while the students changed: {cores:.2f} cores busy; RSS {s[0].rss_mb:.0f} MB at the start, peak "
          f"{phase.sampler.peak_mb():.0f} MB (target <= {RSS_TARGET_MB:.0f}); {roles(phase.sampler)}")
    for name, _, _ in HEAVY_REQUESTS:
        done = [r for r in phase.results if r.name == name]
        if done:
            secs = [r.seconds for r in done]
            problems = [p for r in done for p in r.problems]
            print(f"  heavy: {name:30} {len(done):3d} opened, {pct(secs, 50):6.1f} s each (max {max(secs):.1f})"
                  f"{'; problems: ' + '; '.join(problems[:3]) if problems else ''}")
    ok = not errors and phase.sampler.peak_mb() <= RSS_TARGET_MB
    if base is not None:
        base_p95 = pct([t for c in base.students for t in c.reruns_s], 95)
        ratio = pct(reruns, 95) / base_p95
        ok &= ratio <= P95_RATIO_TARGET
        print(f"  students' rerun p95 {ratio:.2f}x the run without heavy sessions ({base_p95:.3f} s): "
              f"{'OK' if ratio <= P95_RATIO_TARGET else 'MISSED'} (target <= {P95_RATIO_TARGET:g}x)")
    return ok


async def repeat_heavy(base_url: str, count: int, timeout: float, sampler: Sampler) -> list[HeavyResult]:
    results: list[HeavyResult] = []
    name, query, _ = HEAVY_REQUESTS[0]
    seeds = iter(range(1, count + 1))

    async def worker() -> None:
        for seed in seeds:
            results.append(await heavy_request(base_url, seed, name, f"seed={seed}&{query}", None, timeout))
            sampler.sample()

    await asyncio.gather(worker(), worker())
    return results


def run_repeat(args, hook_dir: Path) -> bool:
    with serve(args.app, extra_env=hook_env(hook_dir / "runs-repeat.txt"), timeout=args.timeout) as base_url:
        pid = find_server_pid(int(base_url.rsplit(":", 1)[1]))
        with Sampler(pid) as sampler:
            started = time.monotonic()
            results = asyncio.run(repeat_heavy(base_url, args.repeat, args.timeout, sampler))
            wall = time.monotonic() - started
            end = sampler.sample()
    s = sampler.samples
    secs = [r.seconds for r in results]
    problems = [p for r in results for p in r.problems]
    peak = sampler.peak_mb()
    print(f"\n=== the heavy digits link on Optimizer race, {len(results)} new seeds, two sessions at a time: wall "
          f"{wall:.0f} s, {pct(secs, 50):.1f} s each (max {max(secs):.1f}); server CPU "
          f"{end.server_cpu_s - s[0].server_cpu_s:.0f} s; RSS {s[0].rss_mb:.0f} MB at the start, peak {peak:.0f} MB, "
          f"at the end {end.rss_mb:.0f} MB (target <= {RSS_TARGET_MB:.0f}); {roles(sampler)}; problems {len(problems)}")
    for line in problems[:5]:
        print(f"    {line}")
    return peak <= RSS_TARGET_MB and not problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--heavy", type=int, nargs="*", default=[0, 1, 3], help="heavy sessions per phase (0 first)")
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--think", type=float, default=3.0)
    parser.add_argument("--requests", type=int, nargs="*", default=list(range(len(HEAVY_REQUESTS))),
                        help="which heavy requests the heavy sessions open, by position: " +
                        "; ".join(f"{i} {name}" for i, (name, _, _) in enumerate(HEAVY_REQUESTS)))
    parser.add_argument("--repeat", type=int, default=0, help="then open the heavy link this many times (memory)")
    parser.add_argument("--app", default="app.py")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    hook_dir = Path(tempfile.mkdtemp(prefix="bench_hostile_"))
    from bench_load import _SERVER_HOOK

    (hook_dir / "sitecustomize.py").write_text(_SERVER_HOOK)
    upload = big_csv()
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; upload {len(upload) / 1e6:.1f} MB")
    ok, base = True, None
    for heavy in args.heavy:
        phase = run_phase(args, heavy, upload, hook_dir)
        ok &= report(phase, base if heavy else None)
        base = phase if heavy == 0 else base
    if args.repeat:
        ok &= run_repeat(args, hook_dir)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
