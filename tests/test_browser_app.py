"""The playground in a real browser (Debian's chromium): a person moves the learning rate with the
keyboard, the charts follow, ▶ Play animates in the browser, every lesson opens from its link, and a
shared link reproduces the run. Any console error fails. Skipped without chromium, unless
PLAYGROUND_REQUIRE_BROWSER=1 (CI)."""

import re

import pytest

from playground.lessons import LESSONS
from tests.browser import (
    PAGE_CHART_SELECTOR,
    ROOT,
    browser,
    new_page,
    press_slider,
    require_browser,
    script_state_count,
    serve,
    wait_rerun,
)

CHART = PAGE_CHART_SELECTOR
ANIMATED = f"{CHART}.js-plotly-plot"  # the chart's own div is plotly's graph div


@pytest.fixture(scope="module")
def site():
    """One server and one browser for this module's tests."""
    require_browser()
    with serve(ROOT / "app.py") as url, browser() as b:
        yield url, b


def train_loss(page) -> str:
    """The 'Train loss' metric's value as shown."""
    metric = page.locator('[data-testid="stMetric"]').filter(has_text="Train loss")
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def slider_position(page) -> int:
    """The animation slider's active frame in plotly.js."""
    return page.evaluate(f"document.querySelector('{ANIMATED}').layout.sliders[0].active")


def test_learning_rate_keys_rerun_the_charts_and_play_animates(site):
    url, b = site
    page, errors = new_page(b, url)
    try:
        before = train_loss(page)
        frames_before = page.evaluate(f"document.querySelector('{ANIMATED}')._transitionData._frames.length")
        press_slider(page, "Learning rate", "ArrowLeft", times=2)  # 0.6 → 0.4
        assert page.get_by_role("slider", name="Learning rate").get_attribute("aria-valuetext") == "0.4"
        assert train_loss(page) != before
        assert page.locator(f"{CHART} .main-svg").count() >= 1
        last = page.evaluate(f"document.querySelector('{ANIMATED}')._transitionData._frames.length") - 1
        assert last >= 1 and frames_before >= 2
        assert slider_position(page) == last  # the final fit is shown until Play
        page.locator(f"{CHART} .updatemenu-button").filter(has_text="Play").click()
        page.wait_for_function(f"document.querySelector('{ANIMATED}').layout.sliders[0].active < {last}",
                               timeout=10_000)
        page.wait_for_timeout(600)
        # The landscape image stays while the animation runs (plotly drops heatmap traces; images stay).
        assert page.locator(f"{CHART} .imagelayer image").count() >= 1
        assert errors == []
    finally:
        page.context.close()


NETWORK = "dataset=blobs&activation=sigmoid&hidden_layers=3&hidden_units=8&view=Network"
HOVERED = ("w from x1 to h1.3", "w from h1.2 to h2.3", "w from h2.7 to h3.1", "w from h3.5 to output", "b of h2.4")
# The diagram's state in plotly.js: the slider's frame, the hover values, the hidden layers' and output's pictures
# (the diagram's second image, as drawn).
DIAGRAM_STATE_JS = f"""() => {{
  const gd = document.querySelector('{ANIMATED}');
  const hover = gd._fullData.find(t => (t.hovertemplate || '').startsWith('%{{text}}'));
  const pictures = Array.from(gd.querySelectorAll('.imagelayer image')).filter(i => i.__data__.xref === 'x');
  return {{frame: gd.layout.sliders[0].active, frames: gd._transitionData._frames.length,
           values: Array.from(hover.customdata), picture: pictures[1].getAttribute('href')}};
}}"""


def test_the_network_tab_draws_plays_and_says_each_weight(site):
    url, b = site
    page, errors = new_page(b, f"{url}/?{NETWORK}", viewport=(1400, 900))
    try:
        chart = page.locator(ANIMATED)
        chart.scroll_into_view_if_needed()
        assert page.locator(f"{ANIMATED} .imagelayer image").count() >= 4  # inputs, hidden and output, key, fit
        before = page.evaluate(DIAGRAM_STATE_JS)
        assert before["frame"] == before["frames"] - 1 >= 19  # the final moment is shown until Play
        # Hovering an edge's point (or a neuron) shows its weight (or bias) at the frame shown, in every layer.
        box = chart.bounding_box()
        for name in HOVERED:
            where = page.evaluate(f"""() => {{
                const gd = document.querySelector('{ANIMATED}');
                const t = gd._fullData.find(t => (t.hovertemplate || '').startsWith('%{{text}}'));
                const i = t.text.indexOf('{name}');
                return [gd._fullLayout.xaxis._offset + gd._fullLayout.xaxis.l2p(t.x[i]),
                        gd._fullLayout.yaxis._offset + gd._fullLayout.yaxis.l2p(t.y[i]), t.customdata[i]]; }}""")
            page.mouse.move(box["x"] + where[0], box["y"] + where[1])
            page.wait_for_function(f"""() => Array.from(document.querySelectorAll('{ANIMATED} .hoverlayer .hovertext'))
                .some(e => e.textContent.startsWith('{name} = '))""", timeout=5000)
            labels = page.locator(f"{ANIMATED} .hoverlayer .hovertext").evaluate_all("e => e.map(x => x.textContent)")
            assert labels == [f"{name} = {where[2]}"]
        page.mouse.move(box["x"] + 5, box["y"] + 5)
        page.locator(f"{CHART} .updatemenu-button").filter(has_text="Play").click()
        page.wait_for_function(f"document.querySelector('{ANIMATED}').layout.sliders[0].active < {before['frame']}",
                               timeout=10_000)
        page.wait_for_timeout(300)
        during = page.evaluate(DIAGRAM_STATE_JS)
        assert during["frame"] < before["frame"]
        assert during["values"] != before["values"] and during["picture"] != before["picture"]  # the diagram moves
        assert errors == []
    finally:
        page.context.close()


@pytest.mark.parametrize("lesson", list(LESSONS))
def test_every_lesson_opens_from_its_link(site, lesson):
    url, b = site
    page, errors = new_page(b, f"{url}/?lesson={lesson}")
    try:
        assert page.get_by_text(f"Lesson: {LESSONS[lesson].title}").is_visible()
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator(CHART).count() >= 1
        assert errors == []
    finally:
        page.context.close()


def test_a_shared_link_reproduces_the_same_final_loss(site):
    url, b = site
    page, errors = new_page(b, url)
    try:
        press_slider(page, "Learning rate", "ArrowLeft", times=3)
        press_slider(page, "Epochs", "ArrowRight", times=2)
        shared, shown = page.url, train_loss(page)
        assert re.search(r"learning_rate=0\.3\b", shared) and "epochs=32" in shared
        assert errors == []
    finally:
        page.context.close()
    fresh, fresh_errors = new_page(b, shared)
    try:
        assert train_loss(fresh) == shown
        assert fresh_errors == []
    finally:
        fresh.context.close()


PROJECTOR = (1024, 768)


def cut_metrics(page) -> list[str]:
    """The metric values on the page that do not show whole (cut, or ending in "…")."""
    return page.evaluate("""() => [...document.querySelectorAll('[data-testid="stMetricValue"] *')]
        .filter(e => e.scrollWidth > e.clientWidth + 1 || getComputedStyle(e).textOverflow === 'ellipsis'
                     && e.scrollWidth > e.clientWidth).map(e => e.textContent)""")


def test_metric_values_show_whole_at_1024_with_the_sidebar_open(site):
    url, b = site
    page, errors = new_page(b, f"{url}/?lesson=nonlinear:3", viewport=PROJECTOR)  # values like 0.008745
    try:
        assert page.locator('[data-testid="stSidebar"]').bounding_box()["width"] > 200
        values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        assert len(values) == 4 and all(len(v) >= 5 for v in values[:2])
        assert cut_metrics(page) == []
        assert errors == []
    finally:
        page.context.close()
CHART_TEXT_PX = 16  # the smallest chart text readable from the back of a room, as presenter mode sets it


@pytest.mark.parametrize("query", ["presenter=true&lesson=line", "presenter=true&dataset=blobs&activation=sigmoid"])
def test_presenter_mode_fits_a_projector(site, query):
    url, b = site
    page, errors = new_page(b, f"{url}/?{query}", viewport=PROJECTOR)
    try:
        assert page.locator('[data-testid="stSidebar"]').bounding_box()["width"] == 0  # folded away
        chart = page.locator(CHART).first
        box = chart.bounding_box()
        assert box["y"] < PROJECTOR[1]  # the first chart starts on the first screen, lesson or not
        assert box["height"] <= PROJECTOR[1] - 60  # and a whole chart fits under the page's header
        assert cut_metrics(page) == []  # no metric value ends in "…"
        tabs = page.evaluate("""() => { const l = document.querySelector('[role="tablist"]');
            return [l.scrollWidth, l.clientWidth]; }""")
        assert tabs[0] <= tabs[1] + 1  # every tab on screen, no scroll arrow
        texts = ", ".join(f"{CHART} {part}" for part in (".xtick text", ".ytick text", ".legendtext", ".g-xtitle text"))
        font_sizes = "(s) => [...document.querySelectorAll(s)].map(t => parseFloat(getComputedStyle(t).fontSize))"
        sizes = page.evaluate(font_sizes, texts)
        assert sizes and min(sizes) >= CHART_TEXT_PX
        assert errors == []
    finally:
        page.context.close()


def test_a_2d_dataset_draws_its_decision_boundary_and_hides_the_validation_points(site):
    url, b = site
    page, errors = new_page(b, f"{url}/?dataset=xor&activation=sigmoid&inputs=x1,x2,x1x2&validation_split=0.5")
    try:
        chart = page.locator(CHART).first
        boundary = chart.evaluate("""g => Array.from(g.querySelectorAll('.scatterlayer .trace'))
            .filter(t => t.__data__[0].trace.name === 'boundary (P = 0.5)')
            .map(t => t.querySelector('.js-line').getAttribute('d')).join('')""")
        assert boundary.count("L") >= 5  # the P = 0.5 boundary, drawn as a line
        legend = chart.locator(".legendtext").all_text_contents()
        assert "boundary (P = 0.5)" in legend and "class = 1, validation" in legend
        since = script_state_count(page)
        page.get_by_text("Show validation points").click()
        wait_rerun(page, since)
        legend = page.locator(CHART).first.locator(".legendtext").all_text_contents()
        assert "class = 1, train" in legend and not [name for name in legend if "validation" in name]
        assert errors == []
    finally:
        page.context.close()
