"""The class board in real browsers: a projector and three phones on one server, the board kept across a restart of
the server, and two replicas behind HAProxy sharing one board on PostgreSQL. Skipped without chromium (or haproxy,
or the PostgreSQL server), unless CI requires them."""

from __future__ import annotations

import sys
import time

import pytest

from tests.browser import ROOT, browser, new_page, require_browser, script_state_count, serve, wait_rerun
from tests.databases import fresh_postgres
from tests.test_deploy import haproxy_installed  # noqa: F401 - the fixture

sys.path.insert(0, str(ROOT / "benchmarks"))
import balancer  # noqa: E402 - the compose deployment's balancer, run locally

ARTIFACTS = ROOT / "artifacts"
PHONE = (390, 844)
PROJECTOR = (1024, 768)
VISIBLE_WITHIN = 5.0  # seconds from a student's send to the point on the projector (the bound)
BOARD_CHART = '[data-testid="playgroundChart"]'
POINTS_JS = f"""() => {{
  const gd = document.querySelector('{BOARD_CHART}');
  return gd && gd.data ? gd.data.reduce((n, trace) => n + (trace.x ? trace.x.length : 0), 0) : 0;
}}"""


def open_page(b, url: str, viewport) -> object:
    page, errors = new_page(b, url, viewport=viewport)
    page.board_errors = errors
    return page


def send_run(page, nickname: str) -> float:
    """Type a nickname, press the send button; the moment of the press (time.monotonic)."""
    field = page.get_by_label("Nickname on the board (optional)")
    field.fill(nickname)
    since = script_state_count(page)
    field.press("Enter")  # the nickname is the widget's value once its rerun is done
    wait_rerun(page, since)
    pressed = time.monotonic()
    page.get_by_role("button", name="Send my run to the class board").click()
    return pressed


def click_point(page, rate: float) -> None:
    """Click the board's point of the run at learning rate `rate` (a finished one, on the main y axis)."""
    page.locator(BOARD_CHART).scroll_into_view_if_needed()
    x, y = page.evaluate(f"""(rate) => {{
      const gd = document.querySelector('{BOARD_CHART}');
      const trace = gd.data.findIndex(t => t.yaxis !== 'y2' && t.x.includes(rate));
      const i = gd.data[trace].x.indexOf(rate), box = gd.getBoundingClientRect();
      const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
      return [box.left + xa._offset + xa.l2p(Math.log10(rate)),
              box.top + ya._offset + ya.l2p(ya.type === 'log' ? Math.log10(gd.data[trace].y[i]) : gd.data[trace].y[i])];
    }}""", rate)
    page.mouse.move(x, y)
    page.wait_for_timeout(200)
    page.mouse.click(x, y)


def board_hover(page) -> str:
    """Every hover text of the board chart's points, as plotly.js holds them."""
    return " ".join(page.evaluate(f"() => document.querySelector('{BOARD_CHART}').data.map(t => t.text).flat()"))


def wait_points(page, count: int, timeout: float) -> float:
    """Seconds until the projector's board chart draws `count` runs (raises after `timeout`)."""
    start = time.monotonic()
    page.wait_for_function(f"({POINTS_JS})() >= {count}", timeout=timeout * 1000, polling=100)
    return time.monotonic() - start


def test_three_phones_send_and_the_projector_shows_each_run_within_five_seconds(tmp_path):
    require_browser()
    env = {"PLAYGROUND_BOARD_SQLITE": str(tmp_path / "board.sqlite3")}
    with serve(ROOT / "app.py", extra_env=env) as url, browser() as b:
        projector = open_page(b, f"{url}/?class=room-7&presenter=true", PROJECTOR)
        assert projector.get_by_role("tab", name="Class board").get_attribute("aria-selected") == "true"
        assert "No runs yet" in projector.inner_text('[data-testid="stMain"]')
        delays = []
        for count, (rate, name) in enumerate(((0.1, "Ada"), (1.5, "<b>Bo</b>"), (10.0, "Cy")), start=1):
            phone = open_page(b, f"{url}/?class=room-7&optimizer=sgd&learning_rate={rate}", PHONE)
            pressed = send_run(phone, name)
            phone.wait_for_selector('[data-testid="stToast"]', timeout=10_000)
            wait_points(projector, count, timeout=VISIBLE_WITHIN + 5)
            delays.append(time.monotonic() - pressed)
            assert not phone.board_errors
            ARTIFACTS.mkdir(exist_ok=True)
            phone.screenshot(path=str(ARTIFACTS / f"board-phone-{count}.png"))
            phone.context.close()
        assert max(delays) <= VISIBLE_WITHIN, delays
        text = projector.inner_text('[data-testid="stMain"]')
        assert "SGD runs at learning rate" in text and "exploded" in text
        assert "&lt;b&gt;Bo&lt;/b&gt;" in board_hover(projector)  # the nickname as typed: shown, never markup
        projector.screenshot(path=str(ARTIFACTS / "board-projector.png"))
        with projector.context.expect_page() as opened:  # a click on a run's point opens that run
            click_point(projector, rate=0.1)
        run = opened.value
        run.wait_for_load_state()
        assert "learning_rate=0.1" in run.url and "optimizer=sgd" in run.url and "class=room-7" in run.url
        assert not projector.board_errors
        print(f"send → visible on the projector: {', '.join(f'{d:.2f}' for d in delays)} s")


def test_the_board_outlives_a_restart_of_the_server(tmp_path):
    require_browser()
    env = {"PLAYGROUND_BOARD_SQLITE": str(tmp_path / "board.sqlite3")}
    with browser() as b:
        with serve(ROOT / "app.py", extra_env=env) as url:
            phone = open_page(b, f"{url}/?class=room-8", PHONE)
            send_run(phone, "before")
            phone.wait_for_selector('[data-testid="stToast"]', timeout=10_000)
            phone.context.close()
        with serve(ROOT / "app.py", extra_env=env) as url:  # a new process on the same file
            projector = open_page(b, f"{url}/?class=room-8&presenter=true", PROJECTOR)
            wait_points(projector, 1, timeout=10)
            assert "before" in board_hover(projector)
            assert "teacher key" not in projector.inner_text('[data-testid="stMain"]')  # it joined, did not make it
            projector.context.close()


def pinned_page(b, url: str, viewport, replica: str | None = None, avoid: str | None = None):
    """A new browser (context) whose HAProxy cookie pins it to `replica`, or to any replica but `avoid`."""
    for _ in range(20):
        page = open_page(b, url, viewport)
        pinned = {c["name"]: c["value"] for c in page.context.cookies()}.get(balancer.COOKIE)
        if (replica is None or pinned == replica) and pinned != avoid:
            return page, pinned
        page.context.close()
    raise AssertionError(f"no browser pinned to {replica or f'a replica other than {avoid}'} in 20 tries")


@pytest.mark.usefixtures("haproxy_installed")
def test_two_replicas_behind_haproxy_show_one_board_from_postgresql():
    require_browser()
    addresses = ["127.0.0.2", "127.0.0.3"]
    port = balancer.shared_free_port(addresses)
    with fresh_postgres() as database_url, balancer.ReplicaDns("app.test", addresses) as dns:
        env = {"PLAYGROUND_DATABASE_URL": database_url}
        with balancer.replica("app.py", addresses[0], port, env), balancer.replica("app.py", addresses[1], port, env):
            with balancer.haproxy(f"app.test:{port}", dns.address, replicas=2) as lb, browser() as b:
                projector, first = pinned_page(b, f"{lb.url}/?class=room-9&presenter=true", PROJECTOR)
                phone, second = pinned_page(b, f"{lb.url}/?class=room-9&optimizer=sgd&learning_rate=3", PHONE,
                                            avoid=first)
                assert first != second  # two replicas, two processes: only the database is shared
                pressed = send_run(phone, "other replica")
                wait_points(projector, 1, timeout=VISIBLE_WITHIN + 5)
                assert time.monotonic() - pressed <= VISIBLE_WITHIN
                assert "other replica" in board_hover(projector)
                assert not projector.board_errors and not phone.board_errors
