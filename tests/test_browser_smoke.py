"""The browser machinery itself, on the reference minimal page (benchmarks/minimal_app.py): the page
loads in Debian's chromium, a slider key press reruns the script and redraws the Plotly chart, and the
console stays clean. Skipped without chromium/playwright, unless PLAYGROUND_REQUIRE_BROWSER=1 (CI)."""

from tests.browser import ROOT, browser, new_page, press_slider, require_browser, serve

MINIMAL_APP = ROOT / "benchmarks" / "minimal_app.py"
CHART = '[data-testid="stPlotlyChart"]'


def test_minimal_page_reruns_on_slider_key():
    require_browser()
    with serve(MINIMAL_APP) as url, browser() as b:
        page, errors = new_page(b, url)
        try:
            slider = page.get_by_role("slider", name="Learning rate")
            assert slider.input_value() == "0.1"
            assert page.locator(f"{CHART} .js-plotly-plot").count() == 1
            assert page.locator(f"{CHART} .gtitle").text_content() == "Loss with learning rate 0.10"

            seconds = press_slider(page, "Learning rate", "ArrowRight")

            assert slider.input_value() == "0.11"
            assert page.locator(CHART).count() == 1
            assert page.locator(f"{CHART} .js-plotly-plot .main-svg").count() >= 1  # plotly draws several
            # The chart shows the rerun's figure, not the stale one.
            assert page.locator(f"{CHART} .gtitle").text_content() == "Loss with learning rate 0.11"
            assert page.locator(f"{CHART} .scatterlayer .trace").count() == 1
            assert 0 < seconds < 15
            assert errors == []
        finally:
            page.context.close()
