"""Every view of the page on the screens of a classroom: what a test measures there and the screenshots a person
looks at. Not a test module: tests/test_browser_screens.py uses its measures, and

    python -m tests.screens [--app app.py] [--out artifacts/screens] [--views "Fit & landscape,Network"] [--dark]

serves the page, opens every view on every screen (light, and dark with --dark, and once during ▶ Play for the
animated views), saves a screenshot of each and prints, per screen and view, where the view's first chart starts and
ends (px from the top of the window), whether ▶ Play is on the first screen, and the chart text that overlaps or is
cut off. `--app /tmp/old/app.py` measures another checkout (for before/after numbers).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.browser import (  # noqa: E402
    PAGE_CHART_SELECTOR,
    PHONE,
    browser,
    new_page,
    script_state_count,
    serve,
    wait_rerun,
)

CLASS_CODE = "room-1"


@dataclass(frozen=True)
class Screen:
    """A screen of the classroom and the link it opens with (before the view)."""

    name: str
    options: dict  # new_page's viewport and context options
    query: str


SCREENS = {
    "phone": Screen("phone", PHONE, ""),
    "tablet": Screen("tablet", {"viewport": (768, 1024)}, ""),
    "projector": Screen("projector", {"viewport": (1024, 768)}, "presenter=true"),
    "desktop": Screen("desktop", {"viewport": (1400, 900)}, "lesson=nonlinear"),
}
VIEWS = ("Fit & landscape", "Network", "Loss", "Parameters", "Step through the math", "Optimizer race", "Inspect",
         "Export", "Set weights by hand", "Activations", "Class board")
ANIMATED_VIEWS = ("Fit & landscape", "Network")

# Where the open view's first chart is, and its Play button, in px from the top of the window (the page scrolls
# inside its main block, which opens at its top).
POSITION_JS = f"""() => {{
  const chart = Array.from(document.querySelectorAll('{PAGE_CHART_SELECTOR}'))
    .find(c => c.getClientRects().length && c.getBoundingClientRect().height > 0);
  if (!chart) return null;
  const box = chart.getBoundingClientRect(), play = chart.querySelector('.updatemenu-button');
  const playBox = play ? play.getBoundingClientRect() : null;
  return {{top: Math.round(box.top), bottom: Math.round(box.bottom), height: window.innerHeight,
           width: window.innerWidth, play_bottom: playBox ? Math.round(playBox.bottom) : null}};
}}"""

# Text in every chart shown that overlaps text of another part of the chart, or lies outside the chart (cut off).
# A part is the nearest enclosing group of: one axis's tick labels, an axis title, the legend, one colour bar, the
# slider, the buttons, one annotation, the title; the mode bar (HTML) counts as a part too.
OVERLAPS_JS = f"""() => {{
  const PART = new RegExp('^(?:[xy]\\\\d*tick|y?cb\\\\w*tick|g-[xy]\\\\d*title|legend|colorbar|slider-container|'
                          + 'updatemenu-container|annotation|g-gtitle)$');
  const partOf = (text, gd) => {{
    for (let e = text.parentElement; e && e !== gd; e = e.parentElement) {{
      const classes = (e.getAttribute('class') || '').split(/\\s+/);
      const hit = classes.find(c => PART.test(c));
      if (hit) return e;
    }}
    return null;
  }};
  const found = [];
  for (const gd of document.querySelectorAll('{PAGE_CHART_SELECTOR}')) {{
    if (!gd.getClientRects().length || !gd._fullLayout) continue;
    const frame = gd.getBoundingClientRect(), names = new Map(), boxes = [];
    for (const text of gd.querySelectorAll('.main-svg text')) {{
      const content = text.textContent.trim(), r = text.getBoundingClientRect();
      if (!content || r.width < 1 || r.height < 1 || getComputedStyle(text).visibility === 'hidden') continue;
      if (text.closest('.hoverlayer, .legendtoggle')) continue;
      const part = partOf(text, gd);
      if (!part) continue;
      if (!names.has(part)) names.set(part, names.size);
      boxes.push({{part: names.get(part), text: content.slice(0, 30), r}});
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1 || r.bottom > frame.bottom + 1)
        found.push({{chart: gd.layout.title && gd.layout.title.text || '', cut: content.slice(0, 30)}});
    }}
    const bar = gd.querySelector('.modebar');
    if (bar && bar.getClientRects().length) boxes.push({{part: -1, text: 'mode bar', r: bar.getBoundingClientRect()}});
    const inset = 1;  // px: glyph boxes touch at their edges
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {{
      const a = boxes[i], b = boxes[j];
      if (a.part === b.part) continue;
      if (a.r.left + inset < b.r.right && b.r.left + inset < a.r.right && a.r.top + inset < b.r.bottom
          && b.r.top + inset < a.r.bottom) found.push({{chart: gd.layout.title && gd.layout.title.text || '',
                                                      overlap: [a.text, b.text]}});
    }}
  }}
  return found;
}}"""


def view_url(base: str, screen: Screen, view: str, extra: str = "") -> str:
    """The link of `view` on `screen` (the class board's view joins the class), with `extra` parameters."""
    query = [part for part in (screen.query, extra) if part]
    if view == "Class board":
        query.append(f"class={CLASS_CODE}")
    query.append("view=" + view.replace("&", "%26").replace(" ", "+"))
    return f"{base}/?{'&'.join(query)}"


def seed_board(sqlite_path: Path, code: str = CLASS_CODE) -> None:
    """Put a few students' runs on class `code`'s board in `sqlite_path` (the page's SQLite file), made and scored
    as the page makes them."""
    from sqlalchemy import create_engine

    from playground import board, board_store
    from playground.experiment import run_experiment
    from playground.sections import summary
    from playground.settings import Settings

    engine = create_engine(f"sqlite:///{sqlite_path}")
    board_store.prepare(engine)
    board_store.join(engine, code, time.time())
    for number, (optimizer, rate, batch) in enumerate([("sgd", 0.1, 32), ("sgd", 1.5, 32), ("adam", 0.6, 32),
                                                       ("rmsprop", 0.03, 1), ("momentum", 0.3, 100)]):
        settings = Settings(optimizer=optimizer, learning_rate=rate, batch_size=batch)
        exp = run_experiment(settings)
        board_store.send(engine, code, f"student-{number}", f"Student {number + 1}", settings.to_query(),
                         board.scores(summary.end_state(exp), exp), time.time())
    engine.dispose()


@contextlib.contextmanager
def classroom_server(app: Path):
    """The page served with a class board holding a few runs: yields its base URL."""
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "board.sqlite3"
        seed_board(database)
        with serve(app, extra_env={"PLAYGROUND_BOARD_SQLITE": str(database)}, cwd=app.parent) as url:
            yield url


def open_view(b, base: str, screen: Screen, view: str, dark: bool = False, extra: str = ""):
    """(page, errors) of `view` on `screen` (with `extra` link parameters), idle with its charts drawn."""
    options = dict(screen.options)
    if dark:
        options["color_scheme"] = "dark"
    return new_page(b, view_url(base, screen, view, extra), **options)


@contextlib.contextmanager
def opened_view(b, base: str, screen: Screen, view: str, dark: bool = False, extra: str = ""):
    """`open_view`'s (page, errors), the page's browser context closed afterwards."""
    page, errors = open_view(b, base, screen, view, dark, extra)
    try:
        yield page, errors
    finally:
        page.context.close()


def switch_view(page, view: str) -> None:
    """Click `view`'s tab, as a student does, and wait for the page's rerun (nothing if it is already open)."""
    tab = page.get_by_role("tab", name=view, exact=True)
    if tab.get_attribute("aria-selected") != "true":
        since = script_state_count(page)
        tab.click()
        wait_rerun(page, since)


def play(page, seconds: float = 1.2) -> bool:
    """Press ▶ Play on the view's first animated chart and let it play; whether there was one."""
    button = page.locator(f"{PAGE_CHART_SELECTOR} .updatemenu-button").filter(has_text="Play")
    if not button.count():
        return False
    button.first.scroll_into_view_if_needed()
    button.first.click()
    page.wait_for_timeout(seconds * 1000)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", default=str(ROOT / "app.py"))
    parser.add_argument("--out", default=str(ROOT / "artifacts" / "screens"))
    parser.add_argument("--views", default=",".join(VIEWS))
    parser.add_argument("--screens", default=",".join(SCREENS))
    parser.add_argument("--dark", action="store_true", help="also every view in the dark theme")
    parser.add_argument("--no-play", action="store_true", help="no screenshots during ▶ Play")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    measured = {}
    with classroom_server(Path(args.app).resolve()) as base, browser() as b:
        for screen_name in args.screens.split(","):
            screen = SCREENS[screen_name]
            for view in args.views.split(","):
                for dark in (False, True) if args.dark else (False,):
                    page, errors = open_view(b, base, screen, view, dark)
                    try:
                        stem = f"{screen.name}-{view.replace(' ', '_').replace('&', 'and')}" + ("-dark" if dark else "")
                        page.screenshot(path=str(out / f"{stem}.png"))
                        if not dark:
                            measured[f"{screen.name} · {view}"] = {"chart": page.evaluate(POSITION_JS),
                                                                   "text": page.evaluate(OVERLAPS_JS),
                                                                   "errors": errors}
                        if view in ANIMATED_VIEWS and not args.no_play and play(page):
                            page.screenshot(path=str(out / f"{stem}-playing.png"))
                    finally:
                        page.context.close()
    for name, found in measured.items():
        chart = found["chart"] or {}
        place = (f"chart {chart.get('top')}–{chart.get('bottom')} of {chart.get('height')} px, Play at "
                 f"{chart.get('play_bottom')}") if chart else "no chart"
        print(f"{name:40} {place}; {len(found['text'])} text problems {found['text'][:3]}"
              + (f"; errors {found['errors']}" if found["errors"] else ""))
    (out / "measures.json").write_text(json.dumps(measured, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
