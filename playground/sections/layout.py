"""The page's own CSS (fixed text of ours, never user text): the open view's chart comes first on every screen.

On a narrow screen (a phone, a tablet held upright) or a short one (a projector at 1024×768) the header, the equation,
the scores and the lesson text become compact: one line of metrics, small captions, less room between elements.
Keyed containers (`st.container(key=…)`, class `st-key-<key>`) name what the rules apply to.
"""

from __future__ import annotations

import streamlit as st

NARROW_OR_SHORT = "(max-width: 640px), (max-height: 820px)"
# Every screen: a metric's value is shown whole, never cut to "0.008…" (four metrics side by side at 1024 px with the
# sidebar open); the header leaves the page's top to the content below its two icons; lesson part buttons wrap their
# titles instead of cutting them ("Part 1: One neuron, t…"); a caption's text is dark enough to read (Streamlit's is
# 3.8:1 on white, 4.5:1 is the least for text: WCAG 2.1 AA).
EVERY_SCREEN = """
  [data-testid="stMainBlockContainer"] { padding-top: 4rem !important; padding-bottom: 4rem !important; }
  [data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: 0.6rem; }
  .lesson-source { opacity: 0.8; font-size: 0.875rem; }
  .st-key-summary [data-testid="stMarkdownContainer"] p { font-size: 0.9rem; }
  [data-testid="stMetricValue"] { font-size: clamp(1.5rem, 2.8vw, 2.25rem) !important; }
  [data-testid="stMetricValue"] > div { overflow: visible !important; text-overflow: clip !important;
                                        white-space: normal !important; }
  [data-testid="stCaptionContainer"], [data-testid="stImageCaption"] { color: inherit !important; opacity: 0.8; }
  [data-testid="stCaptionContainer"] p { color: inherit !important; }
  .st-key-page_title h3 { font-size: 1.35rem !important; padding: 0 !important; margin: 0 !important; }
  [data-testid="stMetricDelta"], [data-testid="stMetricDelta"] * { white-space: normal !important;
    overflow: visible !important; text-overflow: clip !important; max-width: 100% !important; height: auto !important; }
  .st-key-page_title { margin-bottom: 0.4rem; }
  .st-key-lesson_parts button p { white-space: normal !important; overflow: visible !important;
                                  text-overflow: clip !important; line-height: 1.2 !important; }
  .st-key-summary [data-testid="stVerticalBlock"], .st-key-lesson [data-testid="stVerticalBlock"] {
    gap: 0.35rem !important; }
  .st-key-summary .katex-display { margin: 0.2em 0 !important; }
  /* Streamlit pulls Markdown up by its last paragraph's margin (-1 rem), which an equation has not: the next line
     ran into the equation's last 10 px */
  .st-key-summary [data-testid="stMarkdownContainer"]:has(> .katex-display) { margin-bottom: 0 !important; }
  .st-key-scores [data-testid="stMetricValue"] { font-size: clamp(1.2rem, 2.2vw, 1.75rem) !important; }
  .playground-chart .updatemenu-button:focus-visible .updatemenu-item-rect,
  .playground-chart .slider-container:focus-visible .slider-rail-rect {
    stroke: var(--st-primary-color, #d62728) !important; stroke-width: 3px !important; }
  .playground-chart .updatemenu-button:focus, .playground-chart .slider-container:focus { outline: none; }
  .playground-chart .slider-container:focus-visible .slider-grip-rect {
    stroke: var(--st-primary-color, #d62728) !important; stroke-width: 3px !important; }
"""
# Narrow or short screens: the same, compact. The four metrics stay in one row (Streamlit stacks columns below
# 640 px), each value and label small; captions and the exact answer in small type.
COMPACT = f"""
  @media {NARROW_OR_SHORT} {{
    [data-testid="stMainBlockContainer"] {{ padding-left: 1rem !important; padding-right: 1rem !important; }}
    .st-key-page_title h3 {{ font-size: 1.05rem !important; }}
    [data-testid="stMain"] h1, [data-testid="stMain"] h2 {{ font-size: 1.3rem !important; }}
    [data-testid="stMain"] h3, [data-testid="stMain"] h4 {{ font-size: 1.1rem !important; }}
    [data-testid="stMain"] [data-testid="stVerticalBlock"] {{ gap: 0.5rem !important; }}
    .st-key-scores [data-testid="stHorizontalBlock"] {{ flex-wrap: nowrap !important; gap: 0.4rem !important; }}
    .st-key-scores [data-testid="stColumn"] {{ min-width: 0 !important; width: auto !important;
                                              flex: 1 1 0 !important; }}
    .st-key-scores [data-testid="stMetricValue"] {{ font-size: 1.05rem !important; }}
    .st-key-scores [data-testid="stMetricLabel"] {{ font-size: 0.7rem !important; }}
    .st-key-scores [data-testid="stMetricLabel"] {{ min-height: 0 !important; }}
    .st-key-scores [data-testid="stMetricDelta"] {{ font-size: 0.65rem !important; padding: 0 0.3rem !important; }}
    .st-key-scores [data-testid="stMetricDelta"] svg {{ width: 0.7rem !important; height: 0.7rem !important; }}
    .st-key-summary .katex {{ font-size: 1.0em !important; }}
    .st-key-summary [data-testid="stCaptionContainer"] p, .st-key-summary [data-testid="stMarkdownContainer"] p,
    .st-key-lesson [data-testid="stMarkdownContainer"] p {{ font-size: 0.8rem !important;
                                                            line-height: 1.35 !important; }}
    .lesson-source {{ display: none !important; }}
    .st-key-lesson [data-testid="stExpander"] summary p, .st-key-summary [data-testid="stCaptionContainer"] p {{
      font-size: 0.8rem !important; line-height: 1.35 !important; display: -webkit-box; -webkit-box-orient: vertical;
      -webkit-line-clamp: 3; overflow: hidden; }}
    .st-key-lesson [data-testid="stExpander"] summary p {{ -webkit-line-clamp: 2; }}
    .st-key-lesson [data-testid="stExpander"] details[open] summary p {{ -webkit-line-clamp: unset; }}
    .st-key-lesson_parts button {{ min-height: 2rem !important; padding: 0.2rem 0.5rem !important; }}
    .st-key-lesson_parts button p {{ font-size: 0.75rem !important; }}
    .st-key-lesson_parts [data-testid="stHorizontalBlock"] {{ flex-wrap: nowrap !important; gap: 0.3rem !important; }}
    .st-key-lesson_parts [data-testid="stColumn"] {{ min-width: 0 !important; width: auto !important;
                                                    flex: 1 1 0 !important; }}
    [data-testid="stExpander"] summary {{ padding-top: 0.35rem !important; padding-bottom: 0.35rem !important; }}
    [data-testid="stTab"] {{ height: 2.1rem !important; }}
    .st-key-lesson {{ padding: 0.5rem 0.75rem !important; }}
  }}
  @media (max-width: 900px) {{  /* a tablet held upright: the equation's column is ~290 px */
    .st-key-summary .katex {{ font-size: 1.0em !important; }}
  }}
  @media (max-width: 640px) {{  /* a phone: the train loss's change since the start is the Loss view's to show */
    [data-testid="stMain"] [data-testid="stVerticalBlock"] {{ gap: 0.4rem !important; }}
    [data-testid="stMainBlockContainer"] {{ padding-top: 3rem !important; }}  /* under the header's two icons */
    .st-key-summary .katex {{ font-size: 0.9em !important; }}
    .st-key-scores [data-testid="stMetricDelta"] {{ display: none !important; }}
    .st-key-summary [data-testid="stCaptionContainer"] p {{ -webkit-line-clamp: 2; }}
  }}
"""
# Presenter mode: larger type for the back of the room, and nothing cut off at 1024×768: tab labels wrap.
PRESENTER = """
  .stApp, .stMarkdown p, .stCaption, label, .stSelectbox div, .stSlider div { font-size: 1.18rem !important; }
  [data-testid="stMetricValue"], .st-key-scores [data-testid="stMetricValue"] { font-size: 1.6rem !important; }
  [data-testid="stMetricLabel"], .st-key-scores [data-testid="stMetricLabel"] { font-size: 1.0rem !important; }
  .st-key-summary [data-testid="stCaptionContainer"] p, .st-key-summary [data-testid="stMarkdownContainer"] p {
    font-size: 1.0rem !important; }
  [data-testid="stTab"] { padding-left: 0.3rem !important; padding-right: 0.3rem !important;
                          height: 2.1rem !important; }
  [data-testid="stTab"] p { font-size: 0.92rem !important; }
  [role="tablist"] { flex-wrap: wrap !important; overflow: visible !important; gap: 0.6rem !important; }
  .katex, .st-key-summary .katex { font-size: 1.3em !important; }
"""


# Last: a metric's label and value keep their own size (their text is Markdown, which the rules above size).
METRIC_TEXT = """
  [data-testid="stMetricValue"] p, [data-testid="stMetricLabel"] p { font-size: inherit !important; }
  .st-key-summary .st-key-long_equation .katex { font-size: 0.85em !important; }  /* digits' two lines: 22-37 px too
                                                                                      wide at 1.0-1.3 em */
"""


def render(presenting: bool) -> None:
    """Put the page's CSS on the page (presenter mode's too when `presenting`)."""
    st.html(f"<style>{EVERY_SCREEN}{COMPACT}{PRESENTER if presenting else ''}{METRIC_TEXT}</style>")
