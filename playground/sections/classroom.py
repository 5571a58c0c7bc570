"""Classroom helpers: the share link to copy, and presenter mode for a projector."""

from __future__ import annotations

import base64
import io
from urllib.parse import urlencode, urlsplit, urlunsplit

import segno
import streamlit as st

from ..settings import FIELDS, Settings
from . import url

# Our own fixed CSS (no user text). On every page: a metric's value is shown whole, never cut to "0.008…" (four
# metrics side by side at 1024 px with the sidebar open): smaller on a narrow window, and never ellipsized.
METRIC_CSS = """
  [data-testid="stMetricValue"] { font-size: clamp(1.5rem, 2.8vw, 2.25rem) !important; }
  [data-testid="stMetricValue"] > div { overflow: visible !important; text-overflow: clip !important;
                                        white-space: normal !important; }
"""
PAGE_CSS = f"<style>{METRIC_CSS}</style>"
# Presenter mode: larger type for the back of the room, and nothing cut off at 1024×768: tab labels wrap.
PRESENTER_CSS = f"""
<style>{METRIC_CSS}
  .stApp, .stMarkdown p, .stCaption, label, .stSelectbox div, .stSlider div {{ font-size: 1.18rem !important; }}
  [data-testid="stMetricValue"] {{ font-size: 2.0rem !important; }}
  [data-testid="stMetricLabel"] p {{ font-size: 1.05rem !important; }}
  [data-testid="stTab"] p {{ font-size: 1.0rem !important; }}
  [data-testid="stTab"] {{ padding-left: 0.4rem !important; padding-right: 0.4rem !important; }}
  [role="tablist"] {{ flex-wrap: wrap !important; overflow: visible !important; }}
  .katex {{ font-size: 1.45em !important; }}
</style>
"""
SHARE_LABEL = "Link to this run (select and copy)"
PRESENTER_FONT_PX = 17  # chart text in presenter mode (plotly's default is 12)


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


def share_link(current: Settings, hide: list[str] | None = None) -> str:
    """The page's address with these settings, the lesson and view flags, hiding the controls in `hide` (default:
    those this page hides). Built from the settings, not the address bar, which is updated later in the run."""
    return page_link(url.link_params(current, hide))


QR_MAX_BYTES = 2953  # the most a QR code holds (version 40, low error correction, bytes)


@st.cache_data(max_entries=64, show_spinner=False)
def qr_png(link: str) -> str | None:
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
        code.save(buffer, kind="png", scale=6, border=2)
        return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return None


def show_qr(link: str, width: int, caption: str, where=st) -> None:
    """The link's QR code, or why there is none (a link too long for one: long column names, many features)."""
    png = qr_png(link)
    if png is not None:
        where.image(png, width=width, caption=caption)
        return
    where.caption(f"No QR code for this link: its {len(link.encode()):,} bytes are more than a QR code holds "
                  f"({QR_MAX_BYTES:,}). Copy the link instead.")


def render_room_qr(current: Settings) -> None:
    """In presenter mode: the QR code of this run, folded until the teacher opens it for the room."""
    with st.expander("Open this run on your phones (QR code)", icon=":material/qr_code_2:"):
        link = share_link(current)
        show_qr(link, 220, "Scan: it opens these settings, this lesson and this view.")
        if qr_png(link) is None:  # unkeyed, as the sidebar's: a new link makes a new field
            st.text_input("This run's link (select and copy)", link)


def render_sidebar_tools(current: Settings) -> None:
    """Presenter mode switch, the share link and the classroom link builder, at the foot of the sidebar."""
    bar = st.sidebar
    bar.divider()
    presenter = bar.toggle("Presenter mode (large text)", key="presenter",
                           value=url.view_flag("presenter") in ("1", "true", "yes", "on"))
    flags = st.session_state.setdefault("view_flags", {})
    if presenter:
        flags["presenter"] = "true"
        st.html(PRESENTER_CSS)
    else:
        flags.pop("presenter", None)
        st.html(PAGE_CSS)
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
        st.caption("Anyone opening this link gets the same data, run and charts.")
        show_qr(link, 180, "The same link as a QR code, for phones.")
