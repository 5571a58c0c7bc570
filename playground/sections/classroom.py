"""Classroom helpers: the share link to copy, and presenter mode for a projector."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from ..settings import FIELDS
from . import url

# Our own fixed CSS (no user text): larger type for the back of the room, and nothing cut off at 1024×768:
# metric values wrap instead of ending in "…", tab labels stay on one row.
PRESENTER_CSS = """
<style>
  .stApp, .stMarkdown p, .stCaption, label, .stSelectbox div, .stSlider div { font-size: 1.18rem !important; }
  [data-testid="stMetricValue"] { font-size: 2.0rem !important; }
  [data-testid="stMetricValue"] > div { overflow: visible !important; text-overflow: clip !important;
                                        white-space: normal !important; }
  [data-testid="stMetricLabel"] p { font-size: 1.05rem !important; }
  [data-testid="stTab"] p { font-size: 1.0rem !important; }
  [data-testid="stTab"] { padding-left: 0.4rem !important; padding-right: 0.4rem !important; }
  [role="tablist"] { flex-wrap: wrap !important; overflow: visible !important; }
  .katex { font-size: 1.45em !important; }
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


def share_link(hide: list[str]) -> str:
    """The page's address with this run's settings and lesson, hiding the controls in `hide`."""
    parts = urlsplit(st.context.url or "")
    params = {k: v for k, v in st.query_params.to_dict().items() if not k.endswith(url.HIDE_SUFFIX)}
    params.update({f"{name}{url.HIDE_SUFFIX}": "true" for name in hide})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(params), ""))


def render_sidebar_tools() -> None:
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
    with bar.expander("Share this run", icon=":material/link:"):
        hide = st.multiselect("Hide these controls in the link (classroom)", list(FIELDS),
                              default=sorted(url.hidden_controls()),
                              format_func=lambda name: FIELDS[name].metadata["label"], key="hide_picker")
        # A text field, not st.code: st.code's copy button brought Streamlit's 1.5 MB syntax highlighter into
        # every first paint, and its clipboard access needs a permission (and HTTPS) that a classroom may lack.
        # Unkeyed, so a new link makes a new field with the new value.
        st.text_input(SHARE_LABEL, share_link(hide), help="Click in the field, select all (Ctrl+A / ⌘A) and copy "
                      "(Ctrl+C / ⌘C). Editing it here changes nothing.")
        st.caption("Anyone opening this link gets the same data, run and charts.")
