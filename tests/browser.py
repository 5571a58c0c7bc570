"""Support for driving the Streamlit page in a real browser (Debian's chromium through Playwright).

Not a test module: imported by the browser tests and by ``benchmarks/bench_page.py``. The recipe, the
selectors and the waiting rules follow /work/shared/BROWSER_TESTING.md (measured on these machines).

Typical use::

    with serve("app.py") as url, browser() as b:
        page, errors = new_page(b, url)
        seconds = press_slider(page, "Learning rate", "ArrowRight")
        assert not errors

Timings are taken inside the page with ``performance.now()`` (milliseconds since navigation start), so
they do not include Playwright's round trips: the key press is stamped by a ``keydown`` listener, and the
end is the latest of: the first animation frame of the idle stretch (connected, not running, nothing
stale or still a loading skeleton, every visible chart drawn), the last DOM change inside a chart, the
last end-of-run message. Run start/end are read both from ``data-test-script-state`` and from the
websocket, because a fast rerun may never show ``running`` in the DOM.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
APP = '[data-testid="stApp"]'
IDLE_SELECTOR = f'{APP}[data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'
# The graph div of a chart of the page (playground/sections/plot.py's component draws in it).
PAGE_CHART_SELECTOR = '[data-testid="playgroundChart"]'
# What waiting counts as a chart: the element Streamlit renders for a v2 component (every one on the
# page is a chart; its graph div appears only once the component's script has loaded, so waiting for the
# element, not the div) or for st.plotly_chart (the reference pages of benchmarks/).
CHART_SELECTOR = '[data-testid="stBidiComponentRegular"], [data-testid="stPlotlyChart"]'
DRAWN_SELECTOR = ".js-plotly-plot .main-svg"
# A phone (as Playwright's "iPhone 13": 390×844 CSS px, touch, mobile layout): pass as new_page(..., **PHONE).
PHONE = {"viewport": (390, 844), "is_mobile": True, "has_touch": True, "device_scale_factor": 2}

# Injected before any page script runs (``context.add_init_script``). Keeps, in page time (ms):
#   window.__scriptStates  [state, t, source] for every transition of data-test-script-state on stApp
#                          (source "dom"), and for the server's run messages read off the websocket
#                          (source "ws": session_status_changed with script_is_running -> "running",
#                          script_finished -> "notRunning", or "finishedEarly" when a rerun interrupted
#                          it). A fast rerun often never shows "running" in the DOM: React batches the
#                          "running" and "finished" messages into one render, so the DOM alone misses it.
#   window.__chartMutated  last DOM change inside any chart (plotly drawing; st.plotly_chart replaces the
#                          plot div on every rerun, so plotly's own events on the old div are useless);
#   window.__idleSince     first animation frame of the current idle stretch (null while not idle);
#   window.__lastKeydown   last keydown, capture phase (before Streamlit's handlers);
#   window.__lastClick     last click, capture phase.
_INIT_SCRIPT = r"""
(() => {
  if (window.__scriptStates) return;
  const IDLE = __IDLE__, CHART = __CHART__, DRAWN = __DRAWN__;
  const states = window.__scriptStates = [];
  window.__chartMutated = 0;
  window.__idleSince = null;
  window.__lastKeydown = null;
  window.__lastClick = null;
  addEventListener('keydown', () => { window.__lastKeydown = performance.now(); }, true);
  addEventListener('click', () => { window.__lastClick = performance.now(); }, true);

  let lastDom = null;
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.target.nodeType !== 1 || r.target.getAttribute('data-testid') !== 'stApp') continue;
      const value = r.target.getAttribute('data-test-script-state'), t = performance.now();
      if (lastDom === null && r.oldValue && r.oldValue !== value) states.push([r.oldValue, t, 'dom']);
      if (value !== lastDom) { states.push([value, t, 'dom']); lastDom = value; }
    }
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});

  new MutationObserver((records) => {
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (el && el.closest(CHART)) { window.__chartMutated = performance.now(); break; }
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});

  // Top-level protobuf fields of a ForwardMsg: 6 = script_finished (enum), 9 = session_status_changed
  // (its field 2 = script_is_running).
  const varint = (b, i) => {
    let v = 0, shift = 1, x;
    do { x = b[i++]; v += (x & 0x7f) * shift; shift *= 128; } while (x & 0x80 && i < b.length);
    return [v, i];
  };
  const eachField = (b, cb) => {
    let i = 0;
    while (i < b.length) {
      let tag, v = null;
      [tag, i] = varint(b, i);
      const field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) [v, i] = varint(b, i);
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else if (wire === 2) { let n; [n, i] = varint(b, i); v = b.subarray(i, i + n); i += n; }
      else return;
      cb(field, v);
    }
  };
  const onMessage = (ev) => {
    if (!(ev.data instanceof ArrayBuffer)) return;
    const t = performance.now();
    try {
      eachField(new Uint8Array(ev.data), (field, v) => {
        if (field === 6) states.push([v === 2 ? 'finishedEarly' : 'notRunning', t, 'ws']);
        else if (field === 9) {
          eachField(v, (f, w) => { if (f === 2 && w) states.push(['running', t, 'ws']); });
        }
      });
    } catch (e) { /* not a ForwardMsg */ }
  };
  const NativeWebSocket = window.WebSocket;
  window.WebSocket = class extends NativeWebSocket {
    constructor(...args) { super(...args); this.addEventListener('message', onMessage); }
  };

  // Idle: connected, not running, nothing stale, no lazy-loading skeleton (the first run shows
  // stSkeleton placeholders while the widget and Plotly code chunks load, with the script state already
  // "notRunning"), every rendered chart drawn. Charts without a layout box (inactive tab, collapsed
  // expander) are not waited for: plotly may not draw them while hidden.
  const idleNow = window.__idleNow = () => {
    if (!document.querySelector(IDLE)) return false;
    if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
    for (const chart of document.querySelectorAll(CHART)) {
      if (chart.getClientRects().length && !chart.querySelector(DRAWN)) return false;
    }
    return true;
  };
  const tick = () => {
    if (!idleNow()) window.__idleSince = null;
    else if (window.__idleSince === null) window.__idleSince = performance.now();
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();
"""
_INIT_SCRIPT = (
    _INIT_SCRIPT.replace("__IDLE__", json.dumps(IDLE_SELECTOR))
    .replace("__CHART__", json.dumps(CHART_SELECTOR))
    .replace("__DRAWN__", json.dumps(DRAWN_SELECTOR))
)

# The page is idle now and nothing (idle stretch, chart DOM, run message) has happened for `quiet` ms:
# returns when the page was done, the latest of those three times.
_SETTLED_JS = """
(quiet) => {
  if (window.__idleSince === null || !window.__idleNow()) return false;
  let runEnd = 0;
  for (const s of window.__scriptStates) if (s[0] === 'notRunning') runEnd = s[1];
  const done = Math.max(window.__idleSince, window.__chartMutated, runEnd);
  return performance.now() - done >= quiet ? done : false;
}
"""

# The last "running" recorded after index `since` has been followed by a "notRunning".
_RUN_DONE_JS = """
(since) => {
  const s = window.__scriptStates || [];
  let lastRun = -1;
  for (let i = since; i < s.length; i++) if (s[i][0] === 'running') lastRun = i;
  if (lastRun < 0) return false;
  for (let i = lastRun + 1; i < s.length; i++) if (s[i][0] === 'notRunning') return true;
  return false;
}
"""


def browser_available() -> bool:
    """Whether Debian's chromium and the playwright package are both present."""
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return False
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def require_browser() -> None:
    """Skip the calling test when there is no browser, unless CI demands one
    (``PLAYGROUND_REQUIRE_BROWSER=1``): then fail it loudly."""
    import pytest

    if browser_available():
        return
    why = f"browser test needs {CHROMIUM} and the playwright package"
    if os.environ.get("PLAYGROUND_REQUIRE_BROWSER") == "1":
        pytest.fail(f"PLAYGROUND_REQUIRE_BROWSER=1 but {why} (see .ci/run)", pytrace=False)
    pytest.skip(why)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def stop(proc: subprocess.Popen) -> None:
    """Terminate a server this process started (by its PID only) and wait for it; kill it if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@contextlib.contextmanager
def streamlit_server(
    app: str | os.PathLike[str],
    address: str,
    port: int,
    extra_env: dict[str, str] | None = None,
    timeout: float = 60.0,
    cwd: str | os.PathLike[str] | None = ROOT,
) -> Iterator[subprocess.Popen]:
    """Run ``streamlit run app`` headless on ``address:port`` and yield the process once healthy.

    Polls ``/_stcore/health`` until ``ok`` (which does not mean the script ran: it runs when a browser
    connects). On exit terminates the server it started, by PID, and waits for it. The server's output
    goes to a temporary log whose tail is put in the error if the server dies or never gets healthy.
    """
    app = Path(app)
    if not app.is_absolute():
        app = Path(cwd or ".").resolve() / app
    if not app.is_file():
        raise FileNotFoundError(app)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.headless", "true",
        "--server.address", address,
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    health = f"http://{address}:{port}/_stcore/health"
    with tempfile.TemporaryFile(mode="w+b") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)

        def tail() -> str:
            log.seek(0)
            return log.read().decode(errors="replace")[-3000:]

        try:
            deadline = time.monotonic() + timeout
            while not _healthy(health):
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit on {address}:{port} exited with {proc.returncode}:\n{tail()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{health} not ok after {timeout:.0f} s:\n{tail()}")
                time.sleep(0.1)
            yield proc
        finally:
            stop(proc)


@contextlib.contextmanager
def serve(
    app_path: str | os.PathLike[str],
    extra_env: dict[str, str] | None = None,
    timeout: float = 60.0,
    cwd: str | os.PathLike[str] | None = ROOT,
) -> Iterator[str]:
    """Run ``streamlit run app_path`` on a free localhost port and yield its base URL (see streamlit_server)."""
    port = free_port()
    with streamlit_server(app_path, "127.0.0.1", port, extra_env, timeout, cwd):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def browser(**launch_kwargs: Any) -> Iterator[Any]:
    """Yield a Playwright ``Browser`` on Debian's chromium (never ``playwright install``'s)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, **launch_kwargs)
        try:
            yield b
        finally:
            b.close()


def new_page(
    browser: Any,
    url: str,
    viewport: tuple[int, int] = (1280, 720),
    timeout: float = 60.0,
    before_goto: Callable[[Any], None] | None = None,
    **context_options: Any,
) -> tuple[Any, list[str]]:
    """Open ``url`` in a fresh context, wait for the first script run to finish with every chart drawn.

    Returns ``(page, errors)``: ``errors`` collects console errors and uncaught page errors for the
    page's lifetime (also at ``page.console_errors``). ``page.first_render_s`` is navigation start →
    idle with every chart drawn, measured in the page. ``before_goto(page)`` runs before navigating
    (e.g. :func:`watch_plotly_payloads`). ``context_options`` go to ``browser.new_context`` (e.g. :data:`PHONE`, or
    ``color_scheme="dark"``). Close with ``page.context.close()``.
    """
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, **context_options)
    context.add_init_script(_INIT_SCRIPT)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.console_errors = errors
    try:
        if before_goto is not None:
            before_goto(page)
        page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
        _wait_run_done(page, 0, timeout)
        page.first_render_s = wait_idle(page, timeout) / 1000.0
    except BaseException:
        context.close()
        raise
    return page, errors


def _wait_run_done(page: Any, since_index: int, timeout: float) -> None:
    page.wait_for_function(_RUN_DONE_JS, arg=since_index, polling="raf", timeout=timeout * 1000)


def wait_idle(page: Any, timeout: float = 30.0, quiet_ms: float = 100.0) -> float:
    """Wait until ``stApp`` is CONNECTED and notRunning, no element is stale (``data-stale="true"``) or a
    loading skeleton, every rendered chart (``CHART_SELECTOR``) holds a drawn ``.js-plotly-plot .main-svg``, and
    nothing (chart DOM, run messages) has changed for ``quiet_ms``.

    Returns the in-page time (``performance.now()`` ms since navigation start) at which the page was
    done: the latest of the start of the idle stretch, the last change inside a chart and the last
    end-of-run message. Needs a page from :func:`new_page` (its init script keeps those times).
    """
    handle = page.wait_for_function(_SETTLED_JS, arg=quiet_ms, polling="raf", timeout=timeout * 1000)
    return float(handle.json_value())


def script_state_count(page: Any) -> int:
    """Index to pass to :func:`wait_rerun` as ``since_index`` (take it before triggering the rerun)."""
    return int(page.evaluate("(window.__scriptStates || []).length"))


def wait_rerun(page: Any, since_index: int, timeout: float = 30.0, start_ms: float | None = None) -> float:
    """Wait until a run that started after ``window.__scriptStates[since_index]`` has finished (and any
    run started meanwhile, e.g. by several key presses), then :func:`wait_idle`.

    Returns seconds from ``start_ms`` (in-page ``performance.now()`` ms; default: when this was called)
    to the page being idle with its charts redrawn. Also sets ``page.rerun_phases`` (seconds): "to run"
    from ``start_ms`` to the server's first run-started message, "run" from there to the last
    script-finished message (the script, and the deltas it sent, arriving and rendered meanwhile),
    "after run" from there to idle (what the browser still had to draw).
    """
    if start_ms is None:
        start_ms = float(page.evaluate("performance.now()"))
    first = since_index
    while True:
        _wait_run_done(page, since_index, timeout)
        count = script_state_count(page)
        end_ms = wait_idle(page, timeout)
        if page.evaluate(
            "(n) => !window.__scriptStates.slice(n).some(s => s[0] === 'running')", count
        ):
            page.rerun_phases = _phases(page, first, start_ms, end_ms)
            return (end_ms - start_ms) / 1000.0
        since_index = count


def _phases(page: Any, since_index: int, start_ms: float, end_ms: float) -> dict[str, float]:
    states = page.evaluate("(n) => window.__scriptStates.slice(n)", since_index)
    run = min((t for state, t, source in states if state == "running" and source == "ws"), default=None)
    done = max((t for state, t, source in states if state == "notRunning" and source == "ws"), default=None)
    if run is None or done is None:
        return {}
    return {"to run": (run - start_ms) / 1000, "run": (done - run) / 1000, "after run": (end_ms - done) / 1000}


def press_slider(
    page: Any, label: str, key: str = "ArrowRight", times: int = 1, timeout: float = 30.0
) -> float:
    """Focus the slider named ``label``, press ``key`` ``times`` times, wait for the rerun.

    Returns seconds from the first key press (stamped in the page by a capture-phase ``keydown``
    listener) to the page being idle with its charts redrawn. Raises ``RuntimeError`` at once if the
    presses do not move the slider (already at its end): there would be no rerun to wait for.
    """
    slider = page.get_by_role("slider", name=label)
    slider.focus(timeout=timeout * 1000)
    before = slider.input_value()
    page.evaluate("window.__lastKeydown = null")
    since = script_state_count(page)
    start_ms = None
    for _ in range(times):
        slider.press(key)
        if start_ms is None:
            start_ms = page.evaluate("window.__lastKeydown")
    if start_ms is None:
        raise RuntimeError(f"no keydown reached the page for slider {label!r}")
    if slider.input_value() == before:
        raise RuntimeError(f"{key} did not move slider {label!r} (value {before}): no rerun to wait for")
    return wait_rerun(page, since, timeout, start_ms=float(start_ms))


def click_and_wait(page: Any, target: Any, timeout: float = 30.0) -> float:
    """Click ``target`` (a Playwright locator: a button, a toggle, a tab) and wait for the rerun.

    Returns seconds from the click (stamped in the page by a capture-phase ``click`` listener) to the
    page being idle with its charts redrawn.
    """
    page.evaluate("window.__lastClick = null")
    since = script_state_count(page)
    target.click(timeout=timeout * 1000)
    start_ms = page.evaluate("window.__lastClick")
    if start_ms is None:
        raise RuntimeError(f"no click reached the page for {target}")
    return wait_rerun(page, since, timeout, start_ms=float(start_ms))


# Every chart plotly.js has drawn and the page shows (an inactive tab's has no layout box), with the
# layout object plotly.js resolved for it: a redraw, by Plotly.react or a new plot, replaces that object.
_SHOWN_GRAPHS_JS = """
(selector) => Array.from(document.querySelectorAll(selector))
  .filter(c => c.getClientRects().length)
  .map(c => (c.matches('.js-plotly-plot') ? c : c.querySelector('.js-plotly-plot')))
"""
_MARK_DRAWN_JS = f"""
(selector) => {{
  const graphs = ({_SHOWN_GRAPHS_JS})(selector);
  window.__drawnLayouts = new Set(graphs.map(gd => gd && gd._fullLayout));
  return graphs.length;
}}
"""
_ALL_REDRAWN_JS = f"""
(selector) => ({_SHOWN_GRAPHS_JS})(selector).every(gd =>
  gd && gd._fullLayout && !window.__drawnLayouts.has(gd._fullLayout) && gd.querySelector('.main-svg'))
"""


def mark_drawn_charts(page: Any) -> int:
    """Remember what every shown chart has drawn, for :func:`all_charts_redrawn`; returns how many."""
    return int(page.evaluate(_MARK_DRAWN_JS, CHART_SELECTOR))


def all_charts_redrawn(page: Any) -> bool:
    """Whether every chart shown now was drawn anew since :func:`mark_drawn_charts`."""
    return bool(page.evaluate(_ALL_REDRAWN_JS, CHART_SELECTOR))


def has_slider(page: Any, label: str) -> bool:
    return page.get_by_role("slider", name=label).count() > 0


# Sizes of the figures plotly.js holds: JSON length of data + layout + frames per chart (typed arrays,
# which plotly decodes "bdata" into, are counted as JSON number lists).
_FIGURE_SIZES_JS = """
() => {
  const replacer = (k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v);
  const size = (x) => (x === undefined ? 0 : JSON.stringify(x, replacer).length);
  return Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
    data: size(gd.data), layout: size(gd.layout),
    frames: size(gd._transitionData && gd._transitionData._frames),
  }));
}
"""


def figure_sizes(page: Any) -> list[dict[str, int]]:
    """Per drawn chart: characters of JSON in its ``data``, ``layout`` and animation ``frames``."""
    return page.evaluate(_FIGURE_SIZES_JS)


def watch_plotly_payloads(page: Any) -> list[dict[str, Any]]:
    """Record every Plotly figure the server sends to ``page`` (call before navigating, e.g. as
    ``new_page(..., before_goto=...)``): returns a list that fills with ``{"id", "bytes", "frames"}``,
    ``bytes`` being the UTF-8 size of the figure JSON in the websocket frame (the page's chart component
    data, or ``PlotlyChart.spec`` for ``st.plotly_chart``) and ``figure`` the figure itself (a dict).
    """
    from google.protobuf.message import DecodeError
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # imports streamlit: only when asked

    from playground.sections.plot import COMPONENT_NAME

    figures: list[dict[str, Any]] = []

    def on_frame(payload: bytes | str) -> None:
        if isinstance(payload, str):
            return
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except DecodeError:  # not a ForwardMsg: nothing to record
            return
        if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
            return
        element = msg.delta.new_element
        kind = element.WhichOneof("type")
        if kind == "plotly_chart":
            chart_id, spec = element.plotly_chart.id, element.plotly_chart.spec.encode()
        elif kind == "bidi_component" and element.bidi_component.component_name == COMPONENT_NAME:
            chart_id, spec = element.bidi_component.id, element.bidi_component.bytes
        else:
            return
        figure = json.loads(spec)
        figures.append({"id": chart_id, "bytes": len(spec), "frames": len(figure.get("frames") or []),
                        "figure": figure})

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    return figures
