"""Stop and leaving stop the work (issue 18): ⏹ Stop in the page and a closed tab end the optimizer race within
0.5 s, measured as the server's CPU afterwards.

Before, ⏹ Stop 4 s into a race let it run on for 53 s, and a closed tab for ~40 s. The link below is issue 18's
heaviest, now trimmed to the work budget: its race still takes one to a few seconds of CPU, so a race that
ignored Stop would keep the server busy through the measured window. The page is stopped as the race starts
(the race view's first line is out); the stopped page must not have finished it. Skipped without chromium,
unless PLAYGROUND_REQUIRE_BROWSER=1 (CI).
"""

import os
import time

import pytest

from tests.browser import (
    IDLE_SELECTOR,
    ROOT,
    browser,
    free_port,
    new_page,
    require_browser,
    streamlit_server,
)

HEAVY_RACE = ("/?dataset=digits&hidden_layers=3&hidden_units=16&activation=sigmoid&hidden_activation=sigmoid"
              "&batch_size=45&epochs=500&validation_split=0&learning_rate=0.0001&view=Optimizer+race")
RACE_STARTS = "only the optimizer differs"  # the race view's first line, written just before the race computes
RACE_DONE = "Reached the optimum at update"  # in the caption under the race's table
GRACE_S = 0.5  # the work must end within this after Stop or the tab closing
WINDOW_S = 2.0  # then the server's CPU is measured over this long
IDLE_CPU_S = 0.15  # at most this much CPU in the window (a race running on took 0.3–0.5 s of it)
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the server process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_after(pid: int, since: float) -> float:
    """The server's CPU seconds over [since + GRACE_S, since + GRACE_S + WINDOW_S] (perf_counter times)."""
    time.sleep(max(0.0, since + GRACE_S - time.perf_counter()))
    start = server_cpu_s(pid)
    time.sleep(WINDOW_S)
    return server_cpu_s(pid) - start


@pytest.fixture(scope="module")
def server():
    require_browser()
    port = free_port()
    with streamlit_server(ROOT / "app.py", "127.0.0.1", port) as proc, browser() as b:
        page, errors = new_page(b, f"http://127.0.0.1:{port}/")  # the first page: imports, lesson caches warmed
        page.context.close()
        assert not errors, errors
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until warming the lesson caches is over
            before = server_cpu_s(proc.pid)
            time.sleep(1.0)
            if server_cpu_s(proc.pid) - before < 0.05:
                break
        yield proc.pid, f"http://127.0.0.1:{port}", b


def open_racing(b, url: str):
    """A page on the heavy race link, as its race starts computing."""
    context = b.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url + HEAVY_RACE, wait_until="domcontentloaded")
    try:
        page.get_by_text(RACE_STARTS).first.wait_for(timeout=120_000)
    except Exception as error:  # say what the page showed instead
        text = page.locator('[data-testid="stMain"]').inner_text(timeout=5_000)[-1500:]
        context.close()
        raise AssertionError(f"the race view never started; the page said:\n{text}") from error
    return page


def test_stop_ends_the_race_and_the_server_goes_idle(server):
    pid, url, b = server
    page = open_racing(b, url)
    try:
        page.locator('[data-testid="stStatusWidget"]').get_by_role("button", name="Stop").click()
        stopped = time.perf_counter()
        assert cpu_after(pid, stopped) <= IDLE_CPU_S
        page.wait_for_selector(IDLE_SELECTOR, timeout=5_000)  # the page says it is no longer running
        assert page.get_by_text(RACE_DONE).count() == 0  # stopped during the race, not after it
    finally:
        page.context.close()


def test_closing_the_tab_ends_the_race(server):
    pid, url, b = server
    page = open_racing(b, url)
    page.context.close()
    closed = time.perf_counter()
    assert cpu_after(pid, closed) <= IDLE_CPU_S
