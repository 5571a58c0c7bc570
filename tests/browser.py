"""Support for driving the Streamlit page in a real browser (Debian's chromium through Playwright).

Not a test module: imported by the browser tests and by ``benchmarks/bench_page.py``. The recipe, the
selectors and the waiting rules follow /work/shared/BROWSER_TESTING.md (measured on these machines).

Typical use::

    with serve("app.py") as url, browser() as b:
        page, errors = new_page(b, url)
        seconds = press_slider(page, "Learning rate", "ArrowRight")
        assert not errors

Timings are taken inside the page with ``performance.now()`` (milliseconds since navigation start), so
they do not include Playwright's round trips: the key press is stamped by a ``keydown`` listener and the
end is the animation frame at which the page was first seen idle with every chart drawn.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
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
CHART_SELECTOR = '[data-testid="stPlotlyChart"]'
DRAWN_SELECTOR = ".js-plotly-plot .main-svg"

# Injected before any page script runs. Records:
#   window.__scriptStates  every transition of data-test-script-state on stApp, as [state, t_ms];
#   window.__lastKeydown   t_ms of the last keydown (capture phase, before Streamlit's handlers);
#   window.__chartMutated  t_ms of the last DOM change inside any stPlotlyChart (plotly drawing:
#                          Streamlit replaces the plot div on every rerun, so plotly's own events on
#                          the old div are useless; the DOM is what the user sees anyway).
_INIT_SCRIPT = """
(() => {
  if (window.__scriptStates) return;
  const states = window.__scriptStates = [];
  window.__chartMutated = 0;
  window.__lastKeydown = null;
  const record = (value) => {
    if (states.length === 0 || states[states.length - 1][0] !== value) states.push([value, performance.now()]);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (!(r.target instanceof Element) || r.target.getAttribute('data-testid') !== 'stApp') continue;
      if (states.length === 0 && r.oldValue) states.push([r.oldValue, performance.now()]);
      record(r.target.getAttribute('data-test-script-state'));
    }
  }).observe(document, {subtree: true, attributes: true, attributeOldValue: true,
                        attributeFilter: ['data-test-script-state']});
  new MutationObserver((records) => {
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (el && el.closest('[data-testid="stPlotlyChart"]')) { window.__chartMutated = performance.now(); break; }
    }
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  addEventListener('keydown', () => { window.__lastKeydown = performance.now(); }, true);
})();
"""

# Truthy (the current performance.now(), never 0 after load) once the page is idle, no element is a
# lazy-loading skeleton (the first run shows stSkeleton placeholders while the slider and Plotly code
# chunks load, and the page is "notRunning" meanwhile) and every rendered chart is drawn. Charts without
# a layout box (inactive tab, collapsed expander) are not waited for: plotly may not draw them hidden.
_IDLE_JS = """
([idleSel, chartSel, drawnSel]) => {
  if (!document.querySelector(idleSel)) return false;
  if (document.querySelector('[data-stale="true"], [data-testid="stSkeleton"]')) return false;
  for (const chart of document.querySelectorAll(chartSel)) {
    if (chart.getClientRects().length === 0) continue;
    if (!chart.querySelector(drawnSel)) return false;
  }
  return performance.now() || 1e-9;
}
"""

# A completed run after index `since`: some 'running' followed later by 'notRunning'.
_RUN_DONE_JS = """
(since) => {
  const s = window.__scriptStates || [];
  let ran = false;
  for (let i = since; i < s.length; i++) {
    if (s[i][0] === 'running') ran = true;
    else if (ran && s[i][0] === 'notRunning') return true;
  }
  return false;
}
"""

# Milliseconds of the last chart DOM change (or `since`), once charts have not changed for `quiet`.
_CHARTS_SETTLED_JS = """
([since, quiet]) => {
  const last = Math.max(since, window.__chartMutated || 0);
  return performance.now() - last >= quiet ? {last, late: last > since} : false;
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
    """Skip the calling test when there is no browser, unless CI demands one (PLAYGROUND_REQUIRE_BROWSER=1)."""
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


@contextlib.contextmanager
def serve(
    app_path: str | os.PathLike[str],
    extra_env: dict[str, str] | None = None,
    timeout: float = 60.0,
    cwd: str | os.PathLike[str] | None = ROOT,
) -> Iterator[str]:
    """Run ``streamlit run app_path`` on a free localhost port and yield its base URL.

    Polls ``/_stcore/health`` until ``ok`` (which does not mean the script ran: it runs when a browser
    connects). On exit terminates the server it started, by PID, and waits for it. The server's output
    goes to a temporary log whose tail is put in the error if the server dies or never gets healthy.
    """
    app = Path(app_path)
    if not app.is_absolute():
        app = Path(cwd or ".").resolve() / app
    if not app.is_file():
        raise FileNotFoundError(app)
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **(extra_env or {})}
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.headless", "true",
        "--server.port", str(port),
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile(mode="w+b") as log:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)

        def tail() -> str:
            log.seek(0)
            return log.read().decode(errors="replace")[-3000:]

        try:
            deadline = time.monotonic() + timeout
            while not _healthy(f"{base}/_stcore/health"):
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{tail()}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{base}/_stcore/health not ok after {timeout:.0f} s:\n{tail()}")
                time.sleep(0.1)
            yield base
        finally:
            if proc.poll() is None:
                proc.terminate()  # this PID only
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=15)


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
    browser: Any, url: str, viewport: tuple[int, int] = (1280, 720), timeout: float = 60.0
) -> tuple[Any, list[str]]:
    """Open ``url`` in a fresh context, wait for the first script run to finish with every chart drawn.

    Returns ``(page, errors)``: ``errors`` collects console errors and uncaught page errors for the
    page's lifetime (also at ``page.console_errors``). ``page.first_render_s`` is navigation start →
    first idle with charts drawn, measured in the page. Close with ``page.context.close()``.
    """
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    context.add_init_script(_INIT_SCRIPT)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.console_errors = errors
    page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
    _wait_run_done(page, 0, timeout)
    page.first_render_s = wait_idle(page, timeout) / 1000.0
    return page, errors


def _wait_run_done(page: Any, since_index: int, timeout: float) -> None:
    page.wait_for_function(_RUN_DONE_JS, arg=since_index, polling="raf", timeout=timeout * 1000)


def wait_idle(page: Any, timeout: float = 30.0, quiet_ms: float = 100.0) -> float:
    """Wait until stApp is CONNECTED and notRunning, nothing is stale or a loading skeleton, and every
    rendered ``stPlotlyChart`` holds a drawn ``.js-plotly-plot .main-svg``; then until the charts' DOM
    has been still for ``quiet_ms`` (a late plotly redraw is waited for and counted).

    Returns the in-page time (``performance.now()``, ms since navigation start) at which the page was
    done: the later of the first idle animation frame and the last change inside a chart.
    """
    args = [IDLE_SELECTOR, CHART_SELECTOR, DRAWN_SELECTOR]
    ms = timeout * 1000
    idle_ms = float(page.wait_for_function(_IDLE_JS, arg=args, polling="raf", timeout=ms).json_value())
    while True:
        settled = page.wait_for_function(
            _CHARTS_SETTLED_JS, arg=[idle_ms, quiet_ms], polling="raf", timeout=ms
        ).json_value()
        if not settled["late"]:
            return idle_ms
        # A chart changed after the page looked idle: count it, and make sure the page is idle again.
        idle_ms = float(settled["last"])
        page.wait_for_function(_IDLE_JS, arg=args, polling="raf", timeout=ms)


def script_state_count(page: Any) -> int:
    """Index to pass to :func:`wait_rerun` as ``since_index`` (take it before triggering the rerun)."""
    return int(page.evaluate("(window.__scriptStates || []).length"))


def wait_rerun(page: Any, since_index: int, timeout: float = 30.0, start_ms: float | None = None) -> float:
    """Wait for a ``running`` followed by ``notRunning`` recorded after ``since_index``, then
    :func:`wait_idle`; if another run started meanwhile (several key presses), wait for it too.

    Returns seconds from ``start_ms`` (in-page ``performance.now()`` ms; default: when this was called)
    to the page being idle with its charts redrawn.
    """
    if start_ms is None:
        start_ms = float(page.evaluate("performance.now()"))
    _wait_run_done(page, since_index, timeout)
    while True:
        count = script_state_count(page)
        end_ms = wait_idle(page, timeout)
        if script_state_count(page) == count:
            return (end_ms - start_ms) / 1000.0
        _wait_run_done(page, count, timeout)


def press_slider(page: Any, label: str, key: str = "ArrowRight", times: int = 1, timeout: float = 30.0) -> float:
    """Focus the slider named ``label``, press ``key`` ``times`` times, wait for the rerun.

    Returns seconds from the first key press (stamped in the page by a capture-phase ``keydown``
    listener) to the page being idle with its charts redrawn.
    """
    slider = page.get_by_role("slider", name=label)
    slider.focus(timeout=timeout * 1000)
    page.evaluate("window.__lastKeydown = null")
    since = script_state_count(page)
    start_ms = None
    for _ in range(times):
        slider.press(key)
        if start_ms is None:
            start_ms = page.evaluate("window.__lastKeydown")
    if start_ms is None:
        raise RuntimeError(f"no keydown reached the page for slider {label!r}")
    return wait_rerun(page, since, timeout, start_ms=float(start_ms))


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
