"""The lesson picker and the lesson text pinned above the charts."""

from __future__ import annotations

import re

import streamlit as st

from ..lessons import LESSONS, lesson_part, parse_lesson_flag
from ..settings import Settings
from . import state

FREE_PLAY = ""


def open_lesson(lesson_id: str, part: int) -> None:
    """Load a lesson part: its settings, its view, and remember it for the banner and the link."""
    chosen = lesson_part(lesson_id, part)
    st.session_state["lesson"] = (lesson_id, part) if chosen else None
    flags = st.session_state.setdefault("view_flags", {})
    flags.pop("lesson", None)
    if chosen is None:
        return
    flags["lesson"] = lesson_id if part == 0 else f"{lesson_id}:{part + 1}"
    state.apply_settings(chosen.settings())
    st.session_state["view"] = chosen.view


def apply_requested_lesson() -> None:
    """On a session's first run, open the lesson the link names (`?lesson=<id>` or `<id>:<part>`)."""
    if st.session_state.get("lesson_checked"):
        return
    st.session_state["lesson_checked"] = True
    flag = st.session_state.get("view_flags", {}).get("lesson")
    parsed = parse_lesson_flag(flag)
    if flag and parsed is None:
        state.add_notices([f"There is no lesson '{flag[:40]}'; opened free play."])
        st.session_state["view_flags"].pop("lesson", None)
    elif parsed:
        explicit = st.session_state.get("url_settings", {})
        open_lesson(*parsed)
        if explicit:  # settings written in the link win over the lesson's preset (url.link_params writes them so)
            state.apply_settings(Settings.from_query(explicit, start=state.settings())[0])


def close_lesson() -> None:
    """Leave the lesson (its banner and its place in the link): the page shows another run now."""
    st.session_state["lesson"] = None
    st.session_state.setdefault("view_flags", {}).pop("lesson", None)


def _on_pick() -> None:
    picked = st.session_state["lesson_picker"]
    if picked == FREE_PLAY:
        close_lesson()
    else:
        open_lesson(picked, 0)


def render_picker() -> None:
    """The lesson selector at the top of the sidebar."""
    current = st.session_state.get("lesson")
    st.session_state["lesson_picker"] = current[0] if current else FREE_PLAY
    options = [FREE_PLAY, *LESSONS]
    st.sidebar.selectbox(
        "Lesson", options, key="lesson_picker", on_change=_on_pick,
        format_func=lambda key: "Free play" if key == FREE_PLAY else
        f"{LESSONS[key].title} ({LESSONS[key].short_source})",
        help="Four lessons replay the teaching notebooks, one goes beyond a straight line as TensorFlow Playground "
             "does; change any control afterwards.",
    )


def sentence(title: str) -> str:
    """A title as the start of a paragraph: with a full stop, unless it already ends in punctuation."""
    return title if title[-1:] in ".?!:" else f"{title}."


SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z(▶“\"*])")


def first_sentence(text: str) -> tuple[str, str]:
    """(the first sentence of a lesson's Markdown text, the rest): split where a sentence ends and the next begins,
    never inside **bold** (an odd count of ** before the split)."""
    for match in SENTENCE_END.finditer(text):
        head = text[: match.start()]
        if head.count("**") % 2 == 0 and head.count("`") % 2 == 0:
            return head, text[match.end():]
    return text, ""


def render_banner(compact: bool = False) -> bool:
    """The current lesson's title, its parts and its text above the charts, folded to the part's first sentence
    with "more" (so that the chart stays on the first screen); `compact` folds it all into one line (projector).
    Whether a lesson is open (and so shown)."""
    current = st.session_state.get("lesson")
    if not current:
        return False
    lesson = LESSONS[current[0]]
    part = lesson.parts[current[1]]
    if compact:
        where = f" · part {current[1] + 1} of {len(lesson.parts)}" if len(lesson.parts) > 1 else ""
        box = st.expander(f"**Lesson: {lesson.title}**{where} — {part.title} (open to read it)",
                          icon=":material/school:")
    else:
        box = st.container(border=True, key="lesson")
    with box:
        source = lesson.source[:1].upper() + lesson.source[1:]
        if compact:
            st.caption(source)
        else:  # the lesson's name, then where it comes from (a phone leaves that out)
            st.markdown(f"**Lesson: {lesson.title}** <span class='lesson-source'>· {source}</span>",
                        unsafe_allow_html=True)
        if len(lesson.parts) > 1:
            columns = st.container(key="lesson_parts").columns(len(lesson.parts))
            for index, (column, each) in enumerate(zip(columns, lesson.parts)):
                column.button(f"Part {index + 1}", key=f"lesson_part_{index}", help=each.title,
                              type="primary" if index == current[1] else "secondary",
                              on_click=open_lesson, args=(lesson.id, index), width="stretch")
        if compact:
            st.markdown(f"**{sentence(part.title)}** {part.look_at}")
            st.markdown(f"**Try this:** {part.question}")
            return True
        first, rest = first_sentence(part.look_at)
        with st.expander(f"**{sentence(part.title)}** {first} *(more)*", key=f"lesson_more_{lesson.id}_{current[1]}"):
            if rest:
                st.markdown(rest)
            st.markdown(f"**Try this:** {part.question}")
    return True
