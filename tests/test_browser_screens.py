"""Every view on every screen of a classroom, in Chromium: a phone (390×844), a tablet (768×1024), the projector in
presenter mode (1024×768) and a desktop with a lesson open (1400×900).

The open view's chart comes first; no text of any figure of any view overlaps other text of that figure or is cut
off; the 2-D input plane is drawn to scale; ▶ Play, ❚❚ Pause and the frame slider work from the keyboard with a
visible focus; the QR code opens at 8 px a module or more; axe-core finds no serious or critical violation; chart
text is readable (4.5:1) in the light and the dark theme. Skipped without chromium, unless PLAYGROUND_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python
import pytest
import segno

from tests.browser import PAGE_CHART_SELECTOR, ROOT, browser, require_browser, script_state_count, wait_rerun
from tests.screens import OVERLAPS_JS, POSITION_JS, VIEWS, Screen, classroom_server, opened_view, switch_view
from tests.screens import SCREENS as CLASSROOM

SCREENS = {**CLASSROOM, "wide": Screen("wide", {"viewport": (1400, 900)}, "")}  # free play on a desktop

AXE = Path(axe_playwright_python.__file__).parent / "axe.min.js"  # axe-core, as the pinned package ships it


@pytest.fixture(scope="module")
def site():
    require_browser()
    with classroom_server(ROOT / "app.py") as url, browser() as b:
        yield url, b


def on_first_screen(screen_name: str, chart: dict) -> bool:
    """Whether a chart is where the issue wants it: whole on the projector, its top in the upper half elsewhere."""
    if screen_name == "projector":  # the whole chart, ▶ Play included (if it has one), on the first screen
        return chart["bottom"] <= chart["height"] and (chart["play_bottom"] or 0) <= chart["height"]
    return chart["top"] < chart["height"] / 2


FIRST_SCREEN = {  # (screen, link): where the open view's chart must be
    "phone, default page": ("phone", ""),
    "phone, a lesson part": ("phone", "lesson=nonlinear:2"),
    "tablet": ("tablet", ""),
    "projector": ("projector", ""),
    "projector, a lesson": ("projector", "lesson=line"),
    "desktop, a lesson": ("desktop", ""),
}


@pytest.mark.parametrize("case", FIRST_SCREEN)
def test_the_open_views_chart_comes_first(site, case):
    url, b = site
    screen_name, extra = FIRST_SCREEN[case]
    with opened_view(b, url, SCREENS[screen_name], "Fit & landscape", extra=extra) as (page, errors):
        chart = page.evaluate(POSITION_JS)
        assert on_first_screen(screen_name, chart), chart
        if screen_name == "projector":
            assert chart["play_bottom"] is not None  # ▶ Play is there (and on screen)
        assert errors == []


def chartless_views(screen_name: str) -> set[str]:
    """The views that draw no chart on a screen's link: two never do; Inspect draws one only for several inputs (the
    desktop's lesson), setting weights by hand only for one input (every other screen's run)."""
    return {"Step through the math", "Export", "Set weights by hand" if screen_name == "desktop" else "Inspect"}


@pytest.mark.parametrize("screen_name", CLASSROOM)
def test_every_views_chart_comes_first(site, screen_name):
    """Each view opened by its tab, as a student moves through them: its chart on the first screen."""
    url, b = site
    misplaced, chartless = {}, set()
    with opened_view(b, url, SCREENS[screen_name], "Fit & landscape") as (page, errors):
        for view in (v for v in VIEWS if v != "Class board"):  # the board is a tab only in a class (next test)
            switch_view(page, view)
            chart = page.evaluate(POSITION_JS)
            if chart is None:
                chartless.add(view)
            elif not on_first_screen(screen_name, chart):
                misplaced[view] = chart
        assert misplaced == {}
        assert chartless == chartless_views(screen_name)
        assert errors == []


@pytest.mark.parametrize("screen_name", [pytest.param(name, marks=pytest.mark.xfail(
    strict=True, reason="in a class the nickname and Send row under the scores (one line, ~49 px) puts every "
                        "view's chart at 489 px of 900 on a lesson's desktop")) if name == "desktop" else name
    for name in CLASSROOM])
def test_the_class_boards_chart_comes_first(site, screen_name):
    url, b = site
    with opened_view(b, url, SCREENS[screen_name], "Class board") as (page, errors):
        chart = page.evaluate(POSITION_JS)
        assert on_first_screen(screen_name, chart), chart
        assert errors == []


def test_the_projectors_class_board_is_on_its_first_screen_and_the_teachers_run_folds_above_it(site):
    url, b = site
    with opened_view(b, url, SCREENS["projector"], "Class board") as (page, errors):
        chart = page.evaluate(POSITION_JS)
        assert chart["top"] < chart["height"] * 0.6, chart
        folded = page.get_by_text("Your own run: its equation, scores and “Send”")
        assert folded.is_visible()
        assert not page.get_by_role("button", name="Send my run to the class board").is_visible()
        assert errors == []


@pytest.mark.parametrize("screen_name", CLASSROOM)
def test_no_text_of_any_figure_of_any_view_overlaps_or_is_cut_off(site, screen_name):
    url, b = site
    screen = SCREENS[screen_name]
    problems = {}
    with opened_view(b, url, screen, "Class board") as (page, errors):  # with the class joined, every view is a tab
        for view in VIEWS:
            switch_view(page, view)
            found = page.evaluate(OVERLAPS_JS)
            if found:
                problems[view] = found
        assert problems == {}
        assert errors == []


# How many px of the page's equation lie beyond its box (its box scrolls them out of sight).
EQUATION_OVERFLOW_JS = """() => {
  const box = document.querySelector('.st-key-summary .katex-display');
  return box ? box.scrollWidth - box.clientWidth : Infinity;
}"""


@pytest.mark.parametrize("screen_name", CLASSROOM)
def test_a_network_with_hidden_layers_keeps_its_text_apart(site, screen_name):
    """The issue's phone: "hidden 1" and "output" collided, the colour bar and Pause were cut off; and the equation,
    four weighted terms and a bias (one line was 470 px in a 368 px column on a desktop), is whole on screen."""
    url, b = site
    with opened_view(b, url, SCREENS[screen_name], "Network",
                         extra="dataset=circles&activation=sigmoid&hidden_layers=2&hidden_units=4") as (page, errors):
        assert page.evaluate(OVERLAPS_JS) == []
        assert page.evaluate(EQUATION_OVERFLOW_JS) <= 2  # px hidden to the right of the equation's box (KaTeX slack)
        assert errors == []


@pytest.mark.parametrize("screen_name", CLASSROOM)
def test_the_digits_equation_is_whole(site, screen_name):
    """Digits: four weighted terms, "… (60 more)" and a bias; on one line, then with two terms on its first line,
    its end was cut at 1400 px ("… (60 mo")."""
    url, b = site
    with opened_view(b, url, SCREENS[screen_name], "Inspect", extra="lesson=digits") as (page, errors):
        assert page.evaluate(EQUATION_OVERFLOW_JS) <= 2
        assert errors == []


# Every subplot whose axes are the raw inputs x1 and x2: its px per unit on each.
SCALES_JS = f"""() => Array.from(document.querySelectorAll('{PAGE_CHART_SELECTOR}'))
  .filter(gd => gd.getClientRects().length && gd._fullLayout)
  .flatMap(gd => Object.keys(gd._fullLayout).filter(k => /^xaxis\\d*$/.test(k)).map(k => {{
    const x = gd._fullLayout[k], y = gd._fullLayout[x.anchor === 'free' ? 'yaxis' : 'yaxis' + x._id.slice(1)];
    const title = (axis) => (axis && axis.title && axis.title.text) || '';
    return {{x: title(x), y: title(y), x_px: x._m, y_px: y ? -y._m : null}};
  }}))
  .filter(s => s.x === 'x1' && s.y === 'x2')"""


@pytest.mark.parametrize("screen_name", ["phone", "desktop"])
@pytest.mark.parametrize("view", ["Fit & landscape", "Network"])
def test_the_input_plane_is_drawn_to_scale(site, screen_name, view):
    url, b = site
    # the desktop's lesson draws circles; on the phone, two moons (x1 spans about twice x2's range)
    extra = "dataset=moons&activation=sigmoid" if screen_name == "phone" else ""
    with opened_view(b, url, SCREENS[screen_name], view, extra=extra) as (page, errors):
        scales = page.evaluate(SCALES_JS)
        assert scales, "no x1–x2 plane drawn"
        for scale in scales:
            assert scale["x_px"] == pytest.approx(scale["y_px"], rel=0.01), scale
        assert errors == []


FOCUS_JS = """() => { const e = document.activeElement, rect = e && e.querySelector('rect');
  return {label: e && e.getAttribute('aria-label'), role: e && e.getAttribute('role'),
          stroke: rect ? parseFloat(getComputedStyle(rect).strokeWidth) : 0,
          visible: !!(e && e.matches(':focus-visible'))}; }"""
STATE_JS = f"""() => {{ const gd = document.querySelector('{PAGE_CHART_SELECTOR}');
  return {{active: gd._fullLayout.sliders[0].active, frame: gd._fullLayout._currentFrame,
           steps: gd._fullLayout.sliders[0].steps.length}}; }}"""


def test_play_pause_and_the_frame_slider_work_from_the_keyboard_with_a_visible_focus(site):
    url, b = site
    with opened_view(b, url, SCREENS["desktop"], "Fit & landscape") as (page, errors):
        page.locator(f"{PAGE_CHART_SELECTOR}").first.scroll_into_view_if_needed()
        page.locator(f"{PAGE_CHART_SELECTOR} .slider-container").first.focus()
        start = page.evaluate(STATE_JS)
        assert start["active"] == start["steps"] - 1
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(f"() => ({STATE_JS})().active === {start['steps'] - 3}", timeout=5000)
        assert page.evaluate(FOCUS_JS)["role"] == "slider"
        page.keyboard.press("Home")
        page.wait_for_function(f"() => ({STATE_JS})().active === 0", timeout=5000)
        page.keyboard.press("Tab")  # to ▶ Play
        focus = page.evaluate(FOCUS_JS)
        assert focus["label"] == "Play" and focus["visible"] and focus["stroke"] >= 2.5  # a visible ring
        page.keyboard.press("Enter")
        page.wait_for_function(f"() => ({STATE_JS})().active >= 3", timeout=10_000)  # playing
        page.keyboard.press("Tab")  # to ❚❚ Pause
        assert page.evaluate(FOCUS_JS)["label"] == "Pause"
        page.keyboard.press("Enter")
        page.wait_for_timeout(400)
        paused = page.evaluate(STATE_JS)["active"]
        page.wait_for_timeout(600)
        assert page.evaluate(STATE_JS)["active"] == paused < start["steps"] - 1  # it stopped mid-way
        # plotly.js rejects the Play button's promise when Pause interrupts it (tests/test_browser_play.py)
        assert [e for e in errors if e != "pageerror: undefined"] == []


def test_the_full_screen_qr_code_is_eight_pixels_a_module_or_more(site):
    url, b = site
    with opened_view(b, url, SCREENS["projector"], "Fit & landscape") as (page, errors):
        since = script_state_count(page)
        page.get_by_role("button", name="QR full screen").click()
        wait_rerun(page, since)
        image = page.get_by_role("dialog").locator("img").first
        image.wait_for()
        caption = page.get_by_role("dialog").inner_text()
        assert "Opens the student page (not presenter mode)" in caption
        link = page.get_by_label("Link to this run (select and copy)", exact=True).input_value()  # the same link
        modules = segno.make(link, error="m").symbol_size(scale=1, border=2)[0]
        box = image.bounding_box()
        assert box["width"] / modules >= 8 and box["height"] / modules >= 8, (box, modules)
        assert box["y"] + box["height"] <= 768  # whole on the projector's screen
        assert errors == []


SERIOUS = ("serious", "critical")


@pytest.mark.parametrize("case", ["default", "lesson", "presenter", "dark"])
def test_axe_finds_no_serious_or_critical_violation(site, case):
    url, b = site
    screen = SCREENS[{"presenter": "projector", "lesson": "desktop"}.get(case, "wide")]
    with opened_view(b, url, screen, "Fit & landscape", dark=case == "dark") as (page, errors):
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        found = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
                 if v["impact"] in SERIOUS]
        assert found == []
        assert errors == []


# Every chart text's colour against its figure's background: the WCAG contrast ratio.
CONTRAST_JS = f"""() => {{
  const rgb = (c) => {{ const m = c.match(/[\\d.]+/g).map(Number); return m.slice(0, 3); }};
  const lum = (c) => {{ const [r, g, b] = rgb(c).map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92
                        : ((v + 0.055) / 1.055) ** 2.4); return 0.2126 * r + 0.7152 * g + 0.0722 * b; }};
  const low = [];
  for (const gd of document.querySelectorAll('{PAGE_CHART_SELECTOR}')) {{
    if (!gd.getClientRects().length || !gd._fullLayout) continue;
    const paper = lum(getComputedStyle(gd.querySelector('.main-svg .bg')).fill);
    for (const t of gd.querySelectorAll('.main-svg text')) {{
      if (!t.textContent.trim() || !t.getClientRects().length || t.closest('.hoverlayer')) continue;
      const style = getComputedStyle(t), text = lum(style.fill), opacity = parseFloat(style.fillOpacity || '1');
      if (opacity === 0) continue;
      const ratio = (Math.max(paper, text) + 0.05) / (Math.min(paper, text) + 0.05);
      if (ratio < 4.5) low.push([t.textContent.slice(0, 30), style.fill, Math.round(ratio * 100) / 100]);
    }}
  }}
  return low;
}}"""


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_chart_text_is_readable_on_its_background(site, dark):
    url, b = site
    low = {}
    with opened_view(b, url, SCREENS["desktop"], "Class board", dark=dark) as (page, errors):
        for view in ("Fit & landscape", "Network", "Loss", "Optimizer race", "Class board"):
            switch_view(page, view)
            found = page.evaluate(CONTRAST_JS)
            if found:
                low[view] = found
        assert low == {}
