"""Load on the server alone: N concurrent websocket clients, each a student changing the learning rate.

    python benchmarks/bench_load_ws.py [--sessions 30] [--changes 5] [--think 1.0] [--query dataset=digits]
    python benchmarks/bench_load_ws.py --scale-out --think 3   # one server vs 2 replicas behind HAProxy

``bench_load.py`` drives 30 real chromium pages, but on this 2-core machine their rendering takes ~90 %
of the CPU, so its rerun times measure the load generator more than the server. Students bring their
own browsers; what they share is the server. This script speaks Streamlit's own websocket protocol
(the protobuf ``BackMsg``/``ForwardMsg`` the page exchanges, from the installed ``streamlit.proto``), so
the whole machine is left to the servers:

1. every session does what a browser does before its websocket: it GETs the page ``?seed=<k>`` (its
   own data and runs, so every run misses the shared ``st.cache_data``) and ``/_stcore/health`` (which
   sets Streamlit's XSRF cookie), keeping the cookies it gets, then connects to ``/_stcore/stream``
   sending them back, and asks for a first run, at most --load-concurrency at once;
2. it then uploads a small file to ``/_stcore/upload_file/<its session>/...`` as ``st.file_uploader``
   does: Streamlit accepts it only on the server that holds the session;
3. once all have loaded, each changes the learning rate --changes times (the next value on the
   slider's ladder, as a key press would), after a random think time (--think on average), sending
   only that widget's new state as the page does, and times request -> the server's "script finished";
4. once all have made their changes, each makes --burst more with no pause: every session is waiting
   on the servers at once, so the reruns per second are what the servers can do, not what the
   students ask for.

``--scale-out`` measures, for each lesson (``?lesson=digits`` and the default one unless --query is
given), one server alone and then --replicas servers behind HAProxy on deploy/haproxy.cfg, the config
compose.yaml uses (benchmarks/balancer.py: Debian's haproxy, the replicas on their own loopback
addresses found through a stand-in for Docker's DNS). Through the balancer the sessions carry its
``replica`` cookie as a browser would, and the run proves it sticks: HAProxy's log (every request that
carried a cookie value reached one replica), the replicas themselves (asked directly which one knows
each session), and a control upload without the cookie (refused whenever it lands on another replica).

Errors: an exception element in any run, a run that did not finish successfully, a timeout, a closed
connection, an HTTP request or upload refused. Server RSS and CPU come from bench_load's sampler; script
runs are timed inside the server by bench_load's sitecustomize hook. Targets (issue 14): 0 errors,
rerun p95 <= 1.5 s on ``lesson=digits`` and <= 0.6 s on the default lesson (1 s for other settings),
lower again with the replicas, server RSS peak <= 1 GB per server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import balancer
import websockets
from bench_load import (  # the same directory: sampler, server hook, percentiles
    _SERVER_HOOK,
    RERUN_P95_TARGET_S,
    RSS_TARGET_MB,
    Sample,
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
XSRF_COOKIE = "_streamlit_xsrf"  # set by /_stcore/health; sent back as a websocket subprotocol and upload header
P95_TARGETS_S = {"lesson=digits": 1.5, "": 0.6}  # issue 14; other settings: RERUN_P95_TARGET_S
MUST_BE_LOWER = {"lesson=digits"}  # issue 14: the heavy lesson's p95 must drop with the replicas
SCALE_OUT_QUERIES = ["lesson=digits", ""]
REPLICAS_NAME = "app.replicas.test"  # the replicas' DNS name here (compose: "app")


@dataclass
class Client:
    number: int
    query: str
    first_load_s: float = float("nan")
    reruns_s: list[float] = field(default_factory=list)
    burst_s: list[float] = field(default_factory=list)  # the changes with no pause (--burst)
    errors: list[str] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)  # what a browser keeps for the site
    session_id: str = ""
    holder: str = ""  # the replica (address:port) that knows the session, asked directly
    control_status: int = 0  # an upload without the balancer's cookie (scale-out only)


@dataclass
class Page:
    """What a run sent that the next request needs: the page hash and the learning-rate widget."""

    script_hash: str = ""
    session_id: str = ""
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


async def read_run(ws, page: Page, timeout: float, on_element=None) -> list[str]:
    """Read until the server says the script finished: the problems (an exception in the page, a run that ended
    otherwise); the session's ids go to `page`, every new element to `on_element`."""
    problems = []
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await asyncio.wait_for(ws.recv(), timeout))
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            page.script_hash = msg.new_session.main_script_hash
            page.session_id = msg.new_session.initialize.session_id or page.session_id
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            if element.WhichOneof("type") == "exception":
                problems.append(f"exception in the page: {element.exception.message[:200]}")
            elif on_element is not None:
                on_element(element)
        elif kind == "script_finished":
            status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
            if status == "FINISHED_SUCCESSFULLY":
                return problems
            if status != "FINISHED_EARLY_FOR_RERUN":
                return [*problems, f"run ended {status}"]


async def run_once(ws, query: str, page: Page, value: str | None, timeout: float) -> tuple[float, list[str]]:
    """Send one run request and read until the server says the script finished: (seconds, problems)."""

    def note_slider(element) -> None:
        if element.WhichOneof("type") == "slider" and element.slider.id.endswith(WIDGET_KEY):
            page.widget_id, page.options = element.slider.id, list(element.slider.options)
            page.value = page.value or page.options[int(element.slider.default[0])]  # the first run's

    start = time.monotonic()
    await ws.send(rerun_request(query, page, value))
    problems = await read_run(ws, page, timeout, note_slider)
    return time.monotonic() - start, problems


def next_value(page: Page) -> str:
    """The next learning rate up the ladder (down from the top), as an arrow key would give."""
    at = page.options.index(page.value)
    page.value = page.options[at + 1 if at + 1 < len(page.options) else at - 1]
    return page.value


# --------------------------------------------------------------------------------------------- HTTP


def http(method: str, url: str, cookies: dict[str, str], timeout: float, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> int:  # fmt: skip
    """One request sending ``cookies`` and keeping the ones the response sets, as a browser; its status."""
    headers = dict(headers or {})
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with balancer.LOOPBACK.open(request, timeout=timeout) as response:
            response.read()
            status, got = response.status, response.headers
    except urllib.error.HTTPError as error:
        status, got = error.code, error.headers
    for line in got.get_all("Set-Cookie") or []:
        name, _, value = line.split(";", 1)[0].partition("=")
        cookies[name.strip()] = value.strip()
    return status


def upload(base_url: str, client: Client, cookies: dict[str, str], timeout: float) -> int:
    """PUT a small CSV to the client's session as st.file_uploader does; the HTTP status (204 accepted)."""
    boundary = "bench-load-ws"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="probe.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\nx,y\r\n1,2\r\n\r\n--{boundary}--\r\n").encode()  # fmt: skip
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}",
               "X-Xsrftoken": client.cookies.get(XSRF_COOKIE, "")}  # fmt: skip
    url = f"{base_url}/_stcore/upload_file/{client.session_id}/probe-{client.number}"
    return http("PUT", url, cookies, timeout, body, headers)


def check_uploads(client: Client, base_url: str, replicas: list[str], timeout: float) -> None:
    """The client's upload must be accepted where it connects; behind the balancer, find its replica."""
    status = upload(base_url, client, client.cookies, timeout)
    if status != 204:
        client.errors.append(f"upload to its own session: HTTP {status}")
    if not replicas:
        return
    holders = [r for r in replicas if upload(f"http://{r}", client, dict(client.cookies), timeout) == 204]
    if len(holders) != 1:
        client.errors.append(f"its session is known to {len(holders)} replicas, not 1")
    client.holder = holders[0] if len(holders) == 1 else ""
    without = {k: v for k, v in client.cookies.items() if k != balancer.COOKIE}
    client.control_status = upload(base_url, client, without, timeout)


# --------------------------------------------------------------------------------------------- clients


class AllDone:
    """Set once every client has finished a step (or failed): the next step starts together."""

    def __init__(self, clients: int):
        self.left, self.event = clients, asyncio.Event()

    def done(self) -> None:
        self.left -= 1
        if self.left == 0:
            self.event.set()


async def drive(client: Client, base_url: str, gate: asyncio.Semaphore, steps: list[AllDone], args,
                replicas: list[str]) -> None:  # fmt: skip
    """One student: the page and health check as a browser, the websocket, first run, upload, changes,
    then (--burst) changes with no pause; ``steps`` are the barriers after the first run and the changes."""
    page, done = Page(), 0
    try:
        for path in (f"/?{client.query}", "/_stcore/health"):
            status = await asyncio.to_thread(http, "GET", base_url + path, client.cookies, args.timeout)
            if status != 200:
                client.errors.append(f"GET {path}: HTTP {status}")
        xsrf = client.cookies.get(XSRF_COOKIE)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
        url = base_url.replace("http://", "ws://") + "/_stcore/stream"
        async with websockets.connect(url, subprotocols=["streamlit", *([xsrf] if xsrf else [])],
                                      additional_headers={"Cookie": cookie} if cookie else None,
                                      max_size=None, proxy=None, open_timeout=args.timeout) as ws:  # fmt: skip
            async with gate:
                client.first_load_s, problems = await run_once(ws, client.query, page, None, args.timeout)
            client.errors += problems
            client.session_id = page.session_id
            if not page.widget_id:
                client.errors.append(f"no widget with key {WIDGET_KEY!r} in the first run")
            await asyncio.to_thread(check_uploads, client, base_url, replicas, args.timeout)
            for step, think, changes, times in ((steps[0], args.think, args.changes, client.reruns_s),
                                                (steps[1], 0.0, args.burst, client.burst_s)):  # fmt: skip
                step.done()
                done += 1
                await step.event.wait()
                for _ in range(changes if page.widget_id else 0):
                    await asyncio.sleep(random.expovariate(1.0 / think) if think > 0 else 0.0)
                    seconds, problems = await run_once(ws, client.query, page, next_value(page), args.timeout)
                    times.append(seconds)
                    client.errors += problems
    except (TimeoutError, OSError, websockets.WebSocketException) as error:
        client.errors.append(f"{type(error).__name__}: {error}")
    finally:
        for step in steps[done:]:
            step.done()  # a client that failed early must not hold the others


async def drive_all(clients: list[Client], base_url: str, args, replicas: list[str] = (),
                    samplers: list[Sampler] = ()) -> dict[str, list[Sample]]:  # fmt: skip
    """All clients at once against ``base_url``; the samplers' samples when all had their first run
    ("loaded") and when all had made their changes ("changed")."""
    gate = asyncio.Semaphore(args.load_concurrency or len(clients))
    steps = {"loaded": AllDone(len(clients)), "changed": AllDone(len(clients))}
    marks: dict[str, list[Sample]] = {}

    async def mark(name: str) -> None:
        await steps[name].event.wait()
        marks[name] = [s.sample() for s in samplers]

    await asyncio.gather(*(mark(name) for name in steps),
                         *(drive(c, base_url, gate, list(steps.values()), args, list(replicas)) for c in clients))
    return marks


def warm_up(base_url: str, args) -> None:
    """One session's first run (imports, first cache fill): not counted."""
    asyncio.run(drive_all([Client(-1, "")], base_url, argparse.Namespace(**{**vars(args), "changes": 0, "burst": 0})))


# --------------------------------------------------------------------------------------------- phases


@dataclass
class Server:
    name: str
    sampler: Sampler
    runs_log: Path
    runs: list[tuple[float, float, float]] = field(default_factory=list)


@dataclass
class Phase:
    label: str
    query: str
    clients: list[Client]
    servers: list[Server]
    balancer: Sampler | None = None  # HAProxy's process
    marks: dict[str, list[Sample]] = field(default_factory=dict)  # per sampler (servers, then balancer)
    wall_s: float = float("nan")
    generator_cpu_s: float = float("nan")  # this process: the load generator
    log: list[balancer.Request] = field(default_factory=list)  # HAProxy's, scale-out only
    slots: list[dict[str, str]] = field(default_factory=list)  # HAProxy's server slots


def hook_env(runs_log: Path) -> dict[str, str]:
    """The server's environment for bench_load's script-run hook (sitecustomize beside ``runs_log``)."""
    path = os.pathsep.join(x for x in (str(runs_log.parent), os.environ.get("PYTHONPATH", "")) if x)
    return {"PYTHONPATH": path, "BENCH_LOAD_RUNS": str(runs_log)}


def run_phase(phase: Phase, base_url: str, args, replicas: list[str] = ()) -> Phase:
    """Drive the clients against ``base_url`` while sampling every server (and the balancer)."""
    samplers = [s.sampler for s in phase.servers] + ([phase.balancer] if phase.balancer else [])
    with ExitStack() as stack:
        for sampler in samplers:
            stack.enter_context(sampler)
        for server in phase.servers:
            server.runs_log.unlink(missing_ok=True)  # the warm-up is not counted
        started, cpu = time.monotonic(), time.process_time()
        phase.marks = asyncio.run(drive_all(phase.clients, base_url, args, replicas, samplers))
        phase.wall_s, phase.generator_cpu_s = time.monotonic() - started, time.process_time() - cpu
        for sampler in samplers:
            sampler.sample()
    for server in phase.servers:
        server.runs = read_server_runs(server.runs_log)
    return phase


def clients_for(query: str, args) -> list[Client]:
    extra = f"&{query.lstrip('?&')}" if query else ""
    return [Client(i, f"seed={i + 1}{extra}") for i in range(args.sessions)]


def one_server(query: str, args, hook_dir: Path) -> Phase:
    """The clients against one ``streamlit run``, connecting to it directly."""
    runs_log = hook_dir / "runs-server.txt"
    with serve(args.app, extra_env=hook_env(runs_log), timeout=args.timeout) as base_url:
        server_pid = find_server_pid(int(base_url.rsplit(":", 1)[1]))
        if server_pid is None:
            raise RuntimeError("bench_load_ws: cannot find the server process")
        warm_up(base_url, args)
        phase = Phase("one server", query, clients_for(query, args), [Server("server", Sampler(server_pid), runs_log)])
        return run_phase(phase, base_url, args)


def behind_haproxy(query: str, args, hook_dir: Path) -> Phase:
    """The clients through HAProxy (deploy/haproxy.cfg) to --replicas ``streamlit run`` replicas."""
    addresses = [f"127.0.0.{2 + i}" for i in range(args.replicas)]
    port = balancer.shared_free_port(addresses)
    replicas = [f"{a}:{port}" for a in addresses]
    with balancer.ReplicaDns(REPLICAS_NAME, addresses) as dns, ExitStack() as stack:
        servers = []
        for i, address in enumerate(addresses):
            runs_log = hook_dir / f"runs-replica{i + 1}.txt"
            proc = stack.enter_context(balancer.replica(args.app, address, port, hook_env(runs_log), args.timeout))
            servers.append(Server(f"replica {address}", Sampler(proc.pid), runs_log))
        lb = stack.enter_context(balancer.haproxy(f"{REPLICAS_NAME}:{port}", dns.address, args.replicas))
        for r in replicas:
            warm_up(f"http://{r}", args)
        phase = Phase(f"{args.replicas} replicas + HAProxy", query, clients_for(query, args), servers,
                      balancer=Sampler(lb.pid))  # fmt: skip
        run_phase(phase, lb.url, args, replicas)
        phase.slots = balancer.servers(lb)
        time.sleep(1.0)  # HAProxy logs a websocket when it closes: the clients have just closed theirs
        phase.log = balancer.read_log(lb.log)
    return phase


# --------------------------------------------------------------------------------------------- report


def p95_target(query: str) -> float:
    return P95_TARGETS_S.get(query.lstrip("?&"), RERUN_P95_TARGET_S)


def lesson_name(query: str) -> str:
    return f"?{query}" if query else "default lesson"


@dataclass
class Figures:
    """One phase's numbers for the comparison."""

    errors: int
    reruns: list[float]  # the students' changes
    burst: list[float]  # the changes with no pause
    asked_rate: float  # reruns/s during the students' changes: what they asked for, if the servers kept up
    burst_rate: float  # reruns/s with no pause: what the servers can do
    cpu_per_rerun: float  # servers' CPU seconds per rerun (from the burst, else the students' changes)
    burst_cores: float  # servers' CPU seconds per second during the burst
    cpu_s: list[float]  # per server, whole phase
    rss_peak_mb: list[float]  # per server
    balancer_cpu_s: float


def figures(phase: Phase) -> Figures:
    samplers = [s.sampler for s in phase.servers]
    reruns = [t for c in phase.clients for t in c.reruns_s]
    burst = [t for c in phase.clients for t in c.burst_s]
    first = [s.samples[0] for s in samplers]
    loaded = phase.marks.get("loaded", first)[: len(samplers)]
    changed = phase.marks.get("changed", loaded)[: len(samplers)]
    end = [s.samples[-1] for s in samplers]

    def per_second(n: int, a: list[Sample], b: list[Sample]) -> float:
        return n / (b[0].t - a[0].t) if n and b[0].t > a[0].t else float("nan")

    def cpu(a: list[Sample], b: list[Sample]) -> float:
        return sum(y.server_cpu_s - x.server_cpu_s for x, y in zip(a, b))

    per_rerun = cpu(changed, end) / len(burst) if burst else cpu(loaded, changed) / max(len(reruns), 1)
    lb = phase.balancer.samples if phase.balancer else []
    return Figures(
        errors=sum(len(c.errors) for c in phase.clients),
        reruns=reruns,
        burst=burst,
        asked_rate=per_second(len(reruns), loaded, changed),
        burst_rate=per_second(len(burst), changed, end),
        cpu_per_rerun=per_rerun,
        burst_cores=cpu(changed, end) / (end[0].t - changed[0].t) if burst else float("nan"),
        cpu_s=[e.server_cpu_s - f.server_cpu_s for f, e in zip(first, end)],
        rss_peak_mb=[s.peak_mb() for s in samplers],
        balancer_cpu_s=lb[-1].server_cpu_s - lb[0].server_cpu_s if lb else 0.0,
    )


def stickiness(phase: Phase) -> list[tuple[str, bool, str]]:
    """(what, held, how it was seen) for each piece of evidence that every session stayed on one replica."""
    clients, log = phase.clients, phase.log
    address_of = {slot["svname"]: slot["addr"] for slot in phase.slots}
    server_of = {slot["cookie"]: slot["svname"] for slot in phase.slots if slot["cookie"]}  # stats show-legends
    with_cookie = [r for r in log if r.cookie_sent]
    misrouted = [r for r in with_cookie if server_of.get(r.cookie_sent) != r.server]
    sockets = [r for r in log if r.uri.startswith("/_stcore/stream")]
    sticky_sockets = [r for r in sockets if r.cookie_state[0] == "V"]
    upload_server = {r.uri.split("/")[3]: r.server for r in log
                     if r.uri.startswith("/_stcore/upload_file/") and r.cookie_sent}  # fmt: skip
    matched = [c for c in clients if c.holder and address_of.get(upload_server.get(c.session_id, "")) == c.holder]
    sessions = Counter(c.holder for c in clients if c.holder)
    refused = [c for c in clients if c.control_status == 400]
    n = len(clients)
    spread = ", ".join(f"{a} {k}" for a, k in sorted(sessions.items()))
    return [
        ("sessions per replica (each replica asked for every session id)", sum(sessions.values()) == n,
         f"{spread}; {sum(sessions.values())} of {n} found on exactly one"),
        ("HAProxy's log: every request with a cookie reached the replica it names", bool(with_cookie) and not misrouted,
         f"{len(with_cookie)} requests carried one ({len({r.cookie_sent for r in with_cookie})} values), "
         f"{len(misrouted)} reached another replica"),
        ("websockets opened with a valid cookie", len(sticky_sockets) == n, f"{len(sticky_sockets)} of {n}"),
        ("uploads with the cookie taken by the replica holding the session", len(matched) == n,
         f"{len(matched)} of {n}"),
        ("control: uploads without the cookie refused by another replica (400)", bool(refused) or n < 10,
         f"{len(refused)} of {n} (expected about {n - n // len(phase.servers)}: a new browser's request "
         "goes to the least busy replica)"),
    ]  # fmt: skip


def report(phase: Phase, args) -> bool:
    """Print one phase's figures; True when its own targets are met."""
    f = figures(phase)
    clients = phase.clients
    errors = [f"session {c.number}: {e}" for c in clients for e in c.errors]
    loads = [c.first_load_s for c in clients if c.first_load_s == c.first_load_s]
    expected = args.sessions * args.changes
    target = p95_target(phase.query)
    first = phase.servers[0].sampler.samples
    machine = first[-1].machine_cpu_s - first[0].machine_cpu_s
    ours = sum(f.cpu_s) + f.balancer_cpu_s
    print(f"\n=== {lesson_name(phase.query)}: {phase.label} — {args.sessions} websocket clients x {args.changes} "
          f"learning-rate changes, think {args.think:g} s on average, then {args.burst} each with no pause; "
          f"{os.cpu_count()} cores; wall {phase.wall_s:.1f} s")  # fmt: skip
    print(f"errors: {len(errors)}")
    for line in errors[:10]:
        print("  " + line)
    print(f"\n  {'seconds':44}{'n':>5}{'p50':>9}{'p95':>9}{'max':>9}")
    print(_row("first run: request -> script finished", loads, f"{args.load_concurrency or 'all'} at a time"))
    print(_row("rerun: request -> script finished", f.reruns, f"target p95 <= {target:g} s"))
    print(_row("  with no pause (--burst)", f.burst, "every session waiting: a queue, not a class"))
    for server in phase.servers:
        name = f"{server.name}: script run" if len(phase.servers) > 1 else "server: script run"
        print(_row(f"{name}, wall", [w for _, w, _ in server.runs], f"up to {max_overlap(server.runs)} at once"))
        print(_row(f"{name}, CPU of its thread", [c for _, _, c in server.runs]))
    asked = f"{args.sessions} students every ~{args.think:g} s" if args.think > 0 else "no pause"
    print(f"\nthroughput: {f.asked_rate:.2f} reruns/s while the students changed ({asked}); "
          f"with no pause {f.burst_rate:.2f} reruns/s, the servers busy {f.burst_cores:.2f} cores, "
          f"CPU per rerun {f.cpu_per_rerun:.3f} s")  # fmt: skip
    for server, cpu, peak in zip(phase.servers, f.cpu_s, f.rss_peak_mb):
        base = server.sampler.samples[0].rss_mb
        print(f"  {server.name:26} CPU {cpu:6.1f} s   RSS baseline {base:4.0f} MB, peak {peak:4.0f} MB "
              f"(target <= {RSS_TARGET_MB:.0f}), per session {(peak - base) / args.sessions:+.1f} MB")  # fmt: skip
    if phase.balancer:
        print(f"  {'HAProxy':26} CPU {f.balancer_cpu_s:6.1f} s")
    print(f"CPU seconds: servers{' and HAProxy' if phase.balancer else ''} {ours:.1f}, this load generator "
          f"{phase.generator_cpu_s:.1f}, whole machine {machine:.1f} (the rest: other work on the machine)")
    checks = [("errors", len(errors) == 0, f"{len(errors)} (target 0)"),
              ("rerun p95", pct(f.reruns, 95) <= target, f"{pct(f.reruns, 95):.3f} s (target <= {target:g} s)"),
              ("server RSS peak", max(f.rss_peak_mb) <= RSS_TARGET_MB,
               f"{max(f.rss_peak_mb):.0f} MB (target <= {RSS_TARGET_MB:.0f} MB per server)"),
              ("reruns measured", len(f.reruns) + len(f.burst) == expected + args.sessions * args.burst,
               f"{len(f.reruns) + len(f.burst)} of {expected + args.sessions * args.burst}")]  # fmt: skip
    if phase.log or phase.slots:
        checks += stickiness(phase)
    for name, ok, text in checks:
        print(f"{name}: {text}: {'OK' if ok else 'MISSED'}")
    return all(ok for _, ok, _ in checks)


def compare(pairs: list[tuple[Phase, Phase]], args) -> bool:
    """The scale-out table: one server against the replicas, per lesson; True when the replicas meet
    the targets (and, on the heavy lesson, lower the p95)."""
    print(f"\n=== scale-out: {args.sessions} students, one change every ~{args.think:g} s each; 'no pause': "
          f"{args.burst} changes each, back to back (measured under whatever else runs on this "
          f"{os.cpu_count()}-core machine)")  # fmt: skip
    print(f"  {'lesson':18}{'setup':24}{'errors':>7}{'p50 s':>8}{'p95 s':>8}{'target':>8}"
          f"{'no pause: reruns/s':>20}{'cores':>7}{'CPU/rerun':>11}  {'CPU s per server':18}RSS peak MB per server")
    ok = True
    for one, many in pairs:
        a, b = figures(one), figures(many)
        for phase, f in ((one, a), (many, b)):
            print(f"  {lesson_name(phase.query):18}{phase.label:24}{f.errors:>7}{pct(f.reruns, 50):>8.3f}"
                  f"{pct(f.reruns, 95):>8.3f}{p95_target(phase.query):>8g}{f.burst_rate:>20.2f}{f.burst_cores:>7.2f}"
                  f"{f.cpu_per_rerun:>11.3f}  {' / '.join(f'{x:.0f}' for x in f.cpu_s):18}"
                  f"{' / '.join(f'{x:.0f}' for x in f.rss_peak_mb)}")  # fmt: skip
        lower = pct(b.reruns, 95) < pct(a.reruns, 95)
        must = one.query in MUST_BE_LOWER
        print(f"  -> {lesson_name(one.query)}: p95 {pct(a.reruns, 95):.2f} s -> {pct(b.reruns, 95):.2f} s "
              f"({'lower' if lower else 'not lower'}{'' if must else ', not required'}), no-pause throughput "
              f"x{b.burst_rate / a.burst_rate:.2f}, errors {b.errors} behind the balancer")  # fmt: skip
        ok &= b.errors == 0 and pct(b.reruns, 95) <= p95_target(many.query) and (lower or not must)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="concurrent websocket clients")
    parser.add_argument("--changes", type=int, default=5, help="learning-rate changes per client")
    parser.add_argument("--app", default="app.py", help="app to serve, relative to the repository root")
    parser.add_argument("--think", type=float, default=1.0, help="mean pause before each change, s")
    parser.add_argument("--burst", type=int, default=5,
                        help="then this many changes per client with no pause: the servers' throughput")  # fmt: skip
    parser.add_argument("--query", action="append", help="more URL settings for every session, e.g. "
                        "'dataset=digits'; repeat for several runs ('' is the default lesson)")  # fmt: skip
    parser.add_argument("--scale-out", action="store_true",
                        help="one server, then --replicas behind HAProxy (deploy/haproxy.cfg), per --query "
                        f"(default: {' and '.join(map(repr, SCALE_OUT_QUERIES))})")  # fmt: skip
    parser.add_argument("--replicas", type=int, default=2, help="replicas behind HAProxy with --scale-out")
    parser.add_argument("--load-concurrency", type=int, default=0, help="first runs at a time (0: all at once)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds for any one run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the think times")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.scale_out and not balancer.haproxy_available():
        print("bench_load_ws: --scale-out needs Debian's haproxy (apt-get install haproxy)", file=sys.stderr)
        return 2
    if args.scale_out and not 2 <= args.replicas <= 8:  # deploy/haproxy.cfg has 8 server slots
        parser.error("--replicas must be 2 to 8")
    queries = args.query or (SCALE_OUT_QUERIES if args.scale_out else [""])
    hook_dir = Path(tempfile.mkdtemp(prefix="bench_load_ws_"))
    (hook_dir / "sitecustomize.py").write_text(_SERVER_HOOK)
    ok, pairs = True, []
    for query in queries:
        random.seed(args.seed)
        one = one_server(query, args, hook_dir)
        ok &= report(one, args)
        if args.scale_out:
            random.seed(args.seed)  # the same think times
            many = behind_haproxy(query, args, hook_dir)
            ok &= report(many, args)
            pairs.append((one, many))
    if pairs:
        ok &= compare(pairs, args)
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
