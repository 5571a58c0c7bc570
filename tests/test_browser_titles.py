"""A figure's title and its legend never run into each other, on a phone or a wide screen: the exported HTML
animation (opened as a file) and the optimizer race on the page, measured in Chromium. Skipped without
chromium, unless PLAYGROUND_REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import pytest

from playground import export
from playground.experiment import run_experiment
from playground.sections import state
from playground.sections.training_views import fit_and_landscape_figure
from playground.settings import Settings
from tests.browser import PAGE_CHART_SELECTOR, ROOT, browser, new_page, require_browser, serve

# The title's, the legend's and the plot area's boxes of a graph div (page pixels).
BOXES_JS = """(gd) => {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const top = gd.getBoundingClientRect().top + gd._fullLayout._size.t;
  return {title: box(gd.querySelector('.gtitle')), legend: box(gd.querySelector('.legend')), plot_top: top};
}"""
WIDTHS = (390, 800, 1400)


def apart(boxes: dict) -> None:
    (tl, tt, tr, tb), (ll, lt, lr, lb) = boxes["title"], boxes["legend"]
    assert tr <= ll or lr <= tl or tb <= lt or lb <= tt, boxes  # title and legend do not overlap
    assert lb <= boxes["plot_top"] + 1, boxes  # and the legend stays above the plot


@pytest.fixture(scope="module")
def chromium():
    require_browser()
    with browser() as b:
        yield b


@pytest.mark.parametrize("width", WIDTHS)
def test_the_exported_animations_title_and_legend_stay_apart(chromium, tmp_path, width):
    exp = run_experiment(Settings(dataset="circles", activation="sigmoid"))
    title = "Circles (2-D): one neuron, Adam, learning rate 0.6"
    figure = fit_and_landscape_figure(exp, state.reference_for(exp), 0, exp.history.sizes[-2], title=title)[0]
    path = tmp_path / "animation.html"
    path.write_text(export.animation_html(figure, title), encoding="utf-8")
    page = chromium.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(path.as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg .legend")
        apart(page.locator(".js-plotly-plot").evaluate(BOXES_JS))
    finally:
        page.close()


@pytest.mark.parametrize("width", [390, 1400])
def test_the_race_charts_title_and_legend_stay_apart(chromium, width):
    with serve(ROOT / "app.py") as url:
        page, errors = new_page(chromium, f"{url}/?view=Optimizer+race", viewport=(width, 900))
        try:
            graph = page.locator(f"{PAGE_CHART_SELECTOR}.js-plotly-plot").first
            graph.scroll_into_view_if_needed()
            apart(graph.evaluate(BOXES_JS))
            assert errors == []
        finally:
            page.context.close()
