"""The shareable link: settings from the query string on arrival, and back into it after every change.

Besides the settings (named as the schema's fields), the URL may carry `<field>_hide=true` to hide a
control (as TensorFlow Playground does), `lesson=<id>`, `presenter=true` and `class=<code>` (the class board).
"""

from __future__ import annotations

import streamlit as st

from ..lessons import lesson_part, parse_lesson_flag
from ..settings import FIELDS, Settings
from . import state

HIDE_SUFFIX = "_hide"
VIEW_FLAGS = ("lesson", "presenter", "class")
BOUND = ("view",)  # the open tab: a widget bound to the URL by Streamlit itself


def _truthy(value: str) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def start_session() -> None:
    """On a session's first run, take settings, hidden controls and view flags from the URL."""
    if "settings" in st.session_state:
        return
    params = st.query_params.to_dict()
    current, notices = Settings.from_query(params, start=_start(params.get("lesson")))
    hidden = {name.removesuffix(HIDE_SUFFIX) for name, value in params.items()
              if name.endswith(HIDE_SUFFIX) and name.removesuffix(HIDE_SUFFIX) in FIELDS and _truthy(value)}
    unknown = [name for name in params if name not in FIELDS and name not in VIEW_FLAGS + BOUND
               and not name.endswith(HIDE_SUFFIX)]
    if unknown:
        notices.append("Ignored unknown link parameters: " + ", ".join(sorted(unknown))[:200] + ".")
    notices = _batch_size_notice(params, current, notices)
    st.session_state["hidden_controls"] = frozenset(hidden)
    st.session_state["view_flags"] = {k: params[k] for k in VIEW_FLAGS if k in params}
    st.session_state["url_settings"] = {k: v for k, v in params.items() if k in FIELDS}
    state.apply_settings(current)
    state.add_notices(notices)


def _batch_size_notice(params: dict, current: Settings, notices: list[str]) -> list[str]:
    """Say what a linked batch size really does on this data: more than the training rows means all of them."""
    n_train = state.training_rows(current)
    try:
        asked = float(params.get("batch_size", "nan"))
    except ValueError:
        return notices
    if n_train is None or not asked > n_train:
        return notices
    label = FIELDS["batch_size"].metadata["label"]
    kept = [notice for notice in notices if not notice.startswith(f"{label}:")]
    return [*kept, f"{label}: {asked:g} is more than the {n_train} training points of this data, so each update "
                   f"uses all {n_train} (full batch)."]


def hidden_controls() -> frozenset[str]:
    """Controls the link asked to hide."""
    return st.session_state.get("hidden_controls", frozenset())


def view_flag(name: str) -> str | None:
    """A view flag from the link (lesson id, presenter), if given."""
    return st.session_state.get("view_flags", {}).get(name)


def view_params(hide=None) -> dict[str, str]:
    """The link's parameters besides the settings: hidden controls (`hide`, default: this page's) and view flags."""
    extra = {f"{name}{HIDE_SUFFIX}": "true" for name in sorted(hidden_controls() if hide is None else hide)}
    extra.update(st.session_state.get("view_flags", {}))
    return extra


def _start(lesson_flag: str | None) -> Settings:
    """What a link starts from: the lesson part it names (opening the link opens that part first), else the
    defaults."""
    parsed = parse_lesson_flag(lesson_flag)
    return lesson_part(*parsed).settings() if parsed else Settings()


def link_params(current: Settings, hide=None) -> dict[str, str]:
    """The link that is this run: the settings as they differ from what the link starts from (its lesson part or
    the defaults, switched to this dataset as the page switches it), the hidden controls and the view flags."""
    return {**current.to_query(_start(view_flag("lesson"))), **view_params(hide)}


def write(current: Settings) -> None:
    """Put the link of the current run (`link_params`) in the address bar."""
    state.write_query(link_params(current), BOUND)
