"""Partial reruns in a real browser: a control that belongs to one view reruns only that view's fragment.

AppTest reruns the whole script for a fragment, so this is seen where it happens: in what the server sends.
Every message that adds or replaces an element carries its delta path, whose first number is the root
container (0 the main area, 1 the sidebar). A full run always resends the sidebar's controls; a fragment's
run sends only its own elements. Each control below must send no sidebar element, leave nothing stale, and
redraw the view it belongs to; the learning rate (a full run) is the check that the count can fail.
Skipped without chromium, unless PLAYGROUND_REQUIRE_BROWSER=1 (CI).
"""

from urllib.parse import quote

import pytest

from tests.browser import ROOT, browser, click_and_wait, new_page, press_slider, require_browser, serve

SIDEBAR = 1

# Records the root container of every element message (ForwardMsg.metadata.delta_path[0]) as it arrives.
_WATCH_DELTAS = """
(() => {
  window.__deltaRoots = [];
  const varint = (b, i) => {
    let v = 0, shift = 1, x;
    do { x = b[i++]; v += (x & 0x7f) * shift; shift *= 128; } while (x & 0x80 && i < b.length);
    return [v, i];
  };
  const fields = (b) => {
    const out = [];
    let i = 0;
    while (i < b.length) {
      let tag, v = null;
      [tag, i] = varint(b, i);
      const wire = tag & 7;
      if (wire === 0) [v, i] = varint(b, i);
      else if (wire === 1) i += 8;
      else if (wire === 5) i += 4;
      else if (wire === 2) { let n; [n, i] = varint(b, i); v = b.subarray(i, i + n); i += n; }
      else break;
      out.push([tag >> 3, v]);
    }
    return out;
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        if (!(ev.data instanceof ArrayBuffer)) return;
        const top = fields(new Uint8Array(ev.data));
        const isElement = top.some(([f]) => f === 5 || f === 11);  // a delta, or a reference to a cached one
        const metadata = top.find(([f]) => f === 2);
        if (!isElement || !metadata) return;
        const path = fields(metadata[1]).find(([f]) => f === 2);  // delta_path, packed
        if (path && path[1] && path[1].length) window.__deltaRoots.push(varint(path[1], 0)[0]);
      });
    }
  };
})();
"""


@pytest.fixture(scope="module")
def site():
    require_browser()
    with serve(ROOT / "app.py") as url, browser() as b:
        yield url, b


def _open(site, query: str):
    url, b = site
    page, errors = new_page(b, f"{url}/?{query}", before_goto=lambda p: p.add_init_script(_WATCH_DELTAS))
    return page, errors


def _roots_sent(page, act) -> list[int]:
    """The root containers of the elements the server sent while `act` ran (it waits for the rerun)."""
    since = page.evaluate("window.__deltaRoots.length")
    act()
    return page.evaluate("(n) => window.__deltaRoots.slice(n)", since)


def _view(name: str) -> str:
    return "view=" + quote(name)


def _toggle(page, label: str):
    return lambda: click_and_wait(page, page.locator("label").filter(has_text=label), timeout=60)


CONTROLS = {
    "next step": (_view("Step through the math"),
                  lambda page: lambda: click_and_wait(page, page.get_by_role("button", name="Next step ▶"), 60)),
    "set-weights slider": (_view("Set weights by hand"),
                           lambda page: lambda: press_slider(page, "w (weight)", "ArrowRight", timeout=60)),
    "3-D toggle": (_view("Fit & landscape"), lambda page: _toggle(page, "Show the loss as a 3-D surface")),
    "loss log scale": (_view("Loss"), lambda page: _toggle(page, "Log scale")),
    "race options": (_view("Optimizer race"),
                     lambda page: _toggle(page, "Use each optimizer's typical learning rate")),
    "slice picker": ("dataset=diabetes&" + _view("Fit & landscape"),
                     lambda page: lambda: _pick(page, "Landscape y-axis", "w[age]")),
}


def _pick(page, label: str, option: str):
    box = page.get_by_role("combobox", name=label)
    box.scroll_into_view_if_needed()  # under the chart: a click's own scrolling would close the list it opens
    page.wait_for_timeout(300)
    box.click()
    return click_and_wait(page, page.get_by_role("option", name=option, exact=True), timeout=60)


def test_a_learning_rate_change_is_a_full_run_that_resends_the_sidebar(site):
    page, errors = _open(site, _view("Fit & landscape"))
    try:
        roots = _roots_sent(page, lambda: press_slider(page, "Learning rate", "ArrowLeft", timeout=60))
        assert roots.count(SIDEBAR) >= 10 and 0 in roots
        assert errors == []
    finally:
        page.context.close()


@pytest.mark.parametrize("control", list(CONTROLS))
def test_a_views_own_control_reruns_only_its_fragment(site, control):
    query, make_act = CONTROLS[control]
    page, errors = _open(site, query)
    try:
        roots = _roots_sent(page, make_act(page))
        assert roots and SIDEBAR not in roots, roots  # nothing outside the view was sent again
        assert page.locator('[data-stale="true"]').count() == 0
        assert errors == []
    finally:
        page.context.close()
