"""The page's charts in a real browser (Debian's chromium): a rerun redraws the same chart element in
place and its animation still plays, the mode bar downloads a PNG, plotly.js comes from the app's own
server and is cached, and the charts take Streamlit's theme exactly as `st.plotly_chart` does, light
and dark, switching with the theme. Any console error fails. Skipped without chromium, unless
PLAYGROUND_REQUIRE_BROWSER=1 (CI)."""

import math
import re
from urllib.parse import urlsplit

import pytest

from tests.browser import PAGE_CHART_SELECTOR, ROOT, browser, new_page, press_slider, require_browser, serve

CHART = PAGE_CHART_SELECTOR
FIRST_CHART = f"document.querySelector('{CHART}')"

# Every leaf of a graph div's resolved layout, by path, except what is not about the theme (the width
# follows the column, uirevision is the component's own, the template is what produced the rest).
LAYOUT_LEAVES_JS = """(gd) => {
  const skip = new Set(['width', 'uirevision', 'template', 'datarevision', 'editrevision', 'selectionrevision']);
  const leaves = {};
  const walk = (value, path, depth) => {
    if (value === null || typeof value !== 'object') {
      if (typeof value !== 'function') leaves[path] = value;
      return;
    }
    if (depth > 8) return;
    for (const [key, inner] of Object.entries(value)) {
      if (!key.startsWith('_') && !skip.has(key)) walk(inner, path ? `${path}.${key}` : key, depth + 1);
    }
  };
  walk(gd._fullLayout, '', 0);
  return leaves;
}"""

# A CSS colour as the canvas spells it (#rrggbb), so "rgb(14, 17, 23)" and "#0E1117" compare equal.
CANVAS_COLOR_JS = """(c) => {
  const x = document.createElement('canvas').getContext('2d');
  x.fillStyle = c;
  return x.fillStyle;
}"""
APP_BACKGROUND_JS = f"""() => ({CANVAS_COLOR_JS})(
    getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor)"""


@pytest.fixture(scope="module")
def browser_session():
    require_browser()
    with browser() as b:
        yield b


@pytest.fixture(scope="module")
def page_url():
    require_browser()
    with serve(ROOT / "app.py") as url:
        yield url


@pytest.fixture(scope="module")
def twins_url():
    require_browser()
    with serve(ROOT / "tests" / "chart_twins_app.py") as url:
        yield url


def test_a_rerun_redraws_the_same_chart_element_in_place_and_play_still_animates(browser_session, page_url):
    page, errors = new_page(browser_session, page_url)
    try:
        page.evaluate(f"""() => {{
            const gd = window.__chart = {FIRST_CHART};
            window.__layoutBefore = gd._fullLayout;
            window.__dataBefore = JSON.stringify(gd.data);
        }}""")
        press_slider(page, "Learning rate", "ArrowLeft", times=2)
        same, redrawn, new_data = page.evaluate(f"""() => {{
            const gd = {FIRST_CHART};
            return [gd === window.__chart && gd.isConnected, gd._fullLayout !== window.__layoutBefore,
                    JSON.stringify(gd.data) !== window.__dataBefore];
        }}""")
        assert same, "the rerun replaced the chart element"
        assert redrawn and new_data, "the chart kept the old figure"
        last = page.evaluate(f"{FIRST_CHART}._transitionData._frames.length") - 1
        assert last >= 1 and page.evaluate(f"{FIRST_CHART}.layout.sliders[0].active") == last
        page.locator(f"{CHART} .updatemenu-button").filter(has_text="Play").click()
        page.wait_for_function(f"{FIRST_CHART}.layout.sliders[0].active < {last}", timeout=10_000)
        page.wait_for_function(f"{FIRST_CHART}.layout.sliders[0].active === {last}", timeout=20_000)
        assert errors == []
    finally:
        page.context.close()


def test_a_rerun_while_the_animation_plays_shows_the_new_run(browser_session, page_url):
    page, errors = new_page(browser_session, page_url)
    try:
        last = page.evaluate(f"{FIRST_CHART}._transitionData._frames.length") - 1
        page.locator(f"{CHART} .updatemenu-button").filter(has_text="Play").click()
        page.wait_for_function(f"{FIRST_CHART}.layout.sliders[0].active < {last}", timeout=10_000)
        press_slider(page, "Epochs", "ArrowRight")
        page.wait_for_timeout(500)  # an animation left running would move the slider by now
        stopped, at_end = page.evaluate(f"""() => {{
            const gd = {FIRST_CHART};
            return [!gd._transitionData._animationRaf,
                    gd._fullLayout.sliders[0].active === gd._transitionData._frames.length - 1];
        }}""")
        assert stopped and at_end
        assert errors == []
    finally:
        page.context.close()


def test_a_zoom_survives_a_rerun_unless_the_figure_moves_that_axis(browser_session, page_url):
    page, errors = new_page(browser_session, page_url)
    try:
        ranges = f"[{FIRST_CHART}._fullLayout.xaxis.range, {FIRST_CHART}._fullLayout.yaxis.range]"
        box = page.locator(f'{CHART} .nsewdrag[data-subplot="xy"]').bounding_box()  # the fit panel
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.7, steps=8)
        page.mouse.up()
        page.wait_for_function(f"{FIRST_CHART}._fullLayout.xaxis.range[0] > 0.1", timeout=10_000)
        (x_zoomed, y_zoomed) = page.evaluate(ranges)
        press_slider(page, "Learning rate", "ArrowLeft", times=2)
        (x_after, y_after) = page.evaluate(ranges)
        assert x_after == x_zoomed  # x spans the data, the same for any learning rate: the zoom stays
        # y spans the predictions too: kept as zoomed, or the new figure's range, never half of each.
        assert y_after == y_zoomed or (y_after[0] != y_zoomed[0] and y_after[1] != y_zoomed[1]), (y_zoomed, y_after)
        assert errors == []
    finally:
        page.context.close()


def test_the_mode_bar_downloads_a_png(browser_session, page_url):
    page, errors = new_page(browser_session, page_url)
    try:
        page.locator(CHART).first.hover()
        with page.expect_download(timeout=20_000) as download:
            page.locator(f'{CHART} .modebar-btn[data-title="Download plot as a PNG"]').first.click()
        assert download.value.suggested_filename.endswith(".png")
        assert errors == []
    finally:
        page.context.close()


def test_plotly_js_comes_from_the_app_server_and_the_browser_caches_it(browser_session, page_url):
    context = browser_session.new_context()
    try:
        hosts, chunk_headers, cached = set(), [], []
        page = context.new_page()
        page.on("request", lambda r: hosts.add(urlsplit(r.url.removeprefix("blob:")).netloc))
        page.on("response", lambda r: chunk_headers.append(r.headers) if "/PlotlyChart." in r.url else None)
        page.goto(page_url)
        page.wait_for_selector(f"{CHART} .main-svg", timeout=60_000)
        page.wait_for_timeout(1000)  # let the browser finish storing it
        page.close()

        again = context.new_page()
        cdp = context.new_cdp_session(again)
        cdp.send("Network.enable")
        cdp.on("Network.responseReceived",
               lambda e: cached.append(e["response"].get("fromDiskCache"))
               if "/PlotlyChart." in e["response"]["url"] else None)
        again.on("request", lambda r: hosts.add(urlsplit(r.url.removeprefix("blob:")).netloc))
        again.goto(page_url)
        again.wait_for_selector(f"{CHART} .main-svg", timeout=60_000)

        assert hosts == {urlsplit(page_url).netloc}, hosts  # nothing from a CDN or anywhere else
        assert len(chunk_headers) == 1 and "immutable" in chunk_headers[0]["cache-control"]
        assert cached == [True], "the second load fetched plotly.js again"
    finally:
        context.close()


def _theme_differences(page) -> dict[str, tuple]:
    """Resolved layout leaves that differ between the component's chart and st.plotly_chart's."""
    ours = page.evaluate(LAYOUT_LEAVES_JS, page.locator(CHART).element_handle())
    theirs = page.evaluate(LAYOUT_LEAVES_JS, page.locator('[data-testid="stPlotlyChart"] .js-plotly-plot')
                           .element_handle())
    # st.plotly_chart applies its bold title twice (<b><b>…</b></b>): the same bold title.
    for leaves in (ours, theirs):
        leaves["title.text"] = re.sub(r"</?b>", "", leaves.get("title.text", ""))
    return {k: (ours.get(k), theirs.get(k)) for k in ours.keys() | theirs.keys()
            if not _same(ours.get(k), theirs.get(k)) and (ours.get(k), theirs.get(k)) != READABLE_FADED_TEXT}


# The one change from Streamlit's theme: its faded chart text on a light background (#808495, 3.7:1 on white) is darker
# (5.4:1): text needs 4.5:1.
READABLE_FADED_TEXT = ("#66697a", "#808495")


def _same(a, b) -> bool:
    """Equal, or numbers equal but for their last bits (an autorange from a margin computed in another order)."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    return a == b or (numbers and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15))


def test_charts_take_streamlits_theme_exactly_as_st_plotly_chart_light_and_dark(browser_session, twins_url):
    page, errors = new_page(browser_session, twins_url, viewport=(1400, 900),
                            before_goto=lambda p: p.emulate_media(color_scheme="light"))
    try:
        assert _theme_differences(page) == {}
        light = page.evaluate(f"{FIRST_CHART}._fullLayout.paper_bgcolor")
        page.evaluate(f"window.__chart = {FIRST_CHART}")

        page.emulate_media(color_scheme="dark")  # the page follows the system setting (.streamlit/config.toml)
        light = page.evaluate(CANVAS_COLOR_JS, light)
        page.wait_for_function(f"() => ({APP_BACKGROUND_JS})() !== {light!r}", timeout=20_000)
        background = page.evaluate(APP_BACKGROUND_JS)
        page.wait_for_function(f"""() => Array.from(document.querySelectorAll('.js-plotly-plot')).every(
            gd => ({CANVAS_COLOR_JS})(gd._fullLayout.paper_bgcolor) === {background!r})""", timeout=20_000)
        assert page.evaluate(f"{FIRST_CHART} === window.__chart"), "the theme switch replaced the chart element"
        assert _theme_differences(page) == {}
        assert errors == []
    finally:
        page.context.close()
