"""Classroom helpers: the student link to copy or scan, and presenter mode for a projector."""

from __future__ import annotations

import base64
import io
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import segno
import streamlit as st

from ..safe_text import markdown_literal
from ..settings import FIELDS, Settings
from . import layout, lessons, url

SHARE_LABEL = "Link to this run (select and copy)"
PRESENTER_FONT_PX = 17  # chart text in presenter mode (plotly's default is 12)
# A chart's height at most in presenter mode: on a 1024×768 projector the page above the chart (the lesson line, the
# equation and scores, the tabs) takes ~300 px, and the whole chart, ▶ Play included, is on the first screen.
PRESENTER_CHART_PX = 460


def presenting() -> bool:
    """Whether presenter mode is on (the sidebar switch, or `?presenter=true` before the switch is drawn)."""
    if "presenter" in st.session_state:
        return bool(st.session_state["presenter"])
    return url.view_flag("presenter") in ("1", "true", "yes", "on")


def initial_sidebar_state() -> str:
    """A presenter link opens with the sidebar folded away, so the charts get the projector's width."""
    return "collapsed" if st.query_params.get("presenter", "") in ("1", "true", "yes", "on") else "auto"


def page_link(query: str | dict) -> str:
    """This page's address with another query (a '?…' string or parameters)."""
    parts = urlsplit(st.context.url or "")
    text = query.removeprefix("?") if isinstance(query, str) else urlencode(query)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, text, ""))


def open_view(default: str) -> str:
    """The view (tab) the page shows: the tab's state, else the link's `view`, else `default` (the first tab)."""
    return st.session_state.get("view") or st.query_params.get("view") or default


def share_link(current: Settings, hide: list[str] | None = None) -> str:
    """The student page of this run: the page's address with these settings, the lesson, the class and the view
    open now, hiding the controls in `hide` (default: those this page hides); never presenter mode, which is the
    projector's. Built from the settings, not the address bar, which is updated later in the run."""
    params = {name: value for name, value in url.link_params(current, hide).items() if name != "presenter"}
    view = open_view("")
    if view:
        params["view"] = view
    return page_link(params)


def link_caption(link: str) -> str:
    """What the student link opens, in words (Markdown, the link's own values escaped: a view named in a link is
    text): the student page, the view, the lesson part and the class."""
    params = {name: markdown_literal(value) for name, value in parse_qsl(urlsplit(link).query)}
    what = [f"the {params['view']} view" if params.get("view") else "the first view"]
    chosen = lessons.parse_lesson_flag(dict(parse_qsl(urlsplit(link).query)).get("lesson"))
    if chosen:
        lesson = lessons.LESSONS[chosen[0]]
        what.append(f"lesson “{lesson.title}”" + (f" part {chosen[1] + 1}" if len(lesson.parts) > 1 else ""))
    what.append("these settings")
    if params.get("class"):
        what.append(f"class {params['class']}'s board joined")
    return "Opens the student page (not presenter mode) with " + ", ".join(what[:-1]) + " and " + what[-1] + "."


QR_MAX_BYTES = 2953  # the most a QR code holds (version 40, low error correction, bytes)
QR_BORDER = 2  # modules of quiet zone around the code
FULL_SCREEN_PX = 640  # the full-screen QR code's side at most, on a 1024×768 projector
FULL_SCREEN_MODULE_PX = 8  # and its modules at least this big: a phone at the back of a room reads it


@st.cache_data(max_entries=64, show_spinner=False)
def qr_png(link: str, scale: int = 6) -> str | None:
    """A QR code of `link` as a PNG data URI (segno, pure Python), for phones in the room to open the same run;
    None when the link is longer than any QR code holds (`QR_MAX_BYTES`).

    Medium error correction, or low when only that fits. A data URI, not bytes: st.image passes it through as
    it is (lossless, no media file that a rerun deletes while a folded expander's image still points at it)."""
    for error in ("m", "l"):
        try:
            code = segno.make(link, error=error)
        except segno.DataOverflowError:  # too long for this error correction
            continue
        buffer = io.BytesIO()
        code.save(buffer, kind="png", scale=scale, border=QR_BORDER)
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return None


def show_qr(link: str, width: int, caption: str, where=st, scale: int = 6) -> None:
    """The link's QR code, or why there is none (a link too long for one: long column names, many features)."""
    png = qr_png(link, scale)
    if png is not None:
        where.image(png, width=width, caption=caption)
        return
    where.caption(f"No QR code for this link: its {len(link.encode()):,} bytes are more than a QR code holds "
                  f"({QR_MAX_BYTES:,}). Copy the link instead.")


def qr_modules(link: str) -> int:
    """The side of the link's QR code in modules, quiet zone included (as qr_png makes it)."""
    for error in ("m", "l"):
        try:
            return segno.make(link, error=error).symbol_size(scale=1, border=QR_BORDER)[0]
        except segno.DataOverflowError:
            continue
    return 0


@st.dialog("Scan to open this run on your phone", width="large")
def _full_screen_qr(link: str) -> None:
    modules = qr_modules(link)
    scale = max(FULL_SCREEN_MODULE_PX, FULL_SCREEN_PX // max(modules, 1))
    show_qr(link, modules * scale, "", scale=scale)
    st.caption(link_caption(link))
    if qr_png(link) is None:
        st.text_input("This run's link (select and copy)", link)


def render_presenter_bar(current: Settings) -> None:
    """In presenter mode, one line above the charts: the lesson (folded) and the button that shows the student link's
    QR code full screen for the room."""
    left, right = st.columns([5, 1], vertical_alignment="center")
    with left:
        lessons.render_banner(compact=True)
    if right.button("QR full screen", icon=":material/qr_code_2:", key="qr_full_screen", width="stretch",
                    help="The student link as a QR code, big enough to scan from the back of the room."):
        _full_screen_qr(share_link(current))


def render_sidebar_tools(current: Settings) -> None:
    """Presenter mode switch, the share link and the classroom link builder, at the foot of the sidebar."""
    bar = st.sidebar
    bar.divider()
    presenter = bar.toggle("Presenter mode (large text)", key="presenter",
                           value=url.view_flag("presenter") in ("1", "true", "yes", "on"))
    flags = st.session_state.setdefault("view_flags", {})
    if presenter:
        flags["presenter"] = "true"
    else:
        flags.pop("presenter", None)
    layout.render(presenter)
    with bar.expander("Share this run", icon=":material/link:"):
        hide = st.multiselect("Hide these controls in the link (classroom)", list(FIELDS),
                              default=sorted(url.hidden_controls()),
                              format_func=lambda name: FIELDS[name].metadata["label"], key="hide_picker")
        # A text field, not st.code: st.code's copy button brought Streamlit's 1.5 MB syntax highlighter into
        # every first paint, and its clipboard access needs a permission (and HTTPS) that a classroom may lack.
        # Unkeyed, so a new link makes a new field with the new value.
        link = share_link(current, hide)
        st.text_input(SHARE_LABEL, link, help="Click in the field, select all (Ctrl+A / ⌘A) and copy "
                      "(Ctrl+C / ⌘C). Editing it here changes nothing.")
        st.caption("Anyone opening this link gets the same data, run and charts. " + link_caption(link))
        show_qr(link, 180, "The same link as a QR code, for phones.")
