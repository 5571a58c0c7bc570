"""The class board on the page: joining a class by link (`?class=<code>`), sending one's run, and the board itself,
every run of the class, refreshing on the projector every few seconds without rerunning the page.

Storage is `st.connection("sql")`: the SQLAlchemy URL in PLAYGROUND_DATABASE_URL, else `[connections.sql]` in
.streamlit/secrets.toml, else an SQLite file (PLAYGROUND_BOARD_SQLITE, default board.sqlite3 next to app.py).
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st
from sqlalchemy import Engine

from .. import board, board_store
from ..cache import MB, SharedCache
from ..charts.board import board_figure
from ..datasets import UPLOAD
from ..experiment import Experiment
from ..safe_text import markdown_literal, quoted
from ..settings import ACTIVATION_LABELS, FIELDS, OPTIMIZER_LABELS, Settings
from . import classroom, plot, state, summary, url

VIEW = "Class board"
DATABASE_URL_ENV = "PLAYGROUND_DATABASE_URL"
SQLITE_PATH_ENV = "PLAYGROUND_BOARD_SQLITE"
LIFETIME_ENV = "PLAYGROUND_CLASS_HOURS"
DEFAULT_SQLITE = Path(__file__).resolve().parents[2] / "board.sqlite3"
REFRESH_SECONDS = 2.0  # how often an open board looks for new runs (st.fragment's run_every)
CLASS_KEY, TEACHER_KEYS, SENDER_KEY, NEW_KEY = "board_class", "board_teacher_keys", "board_sender", "board_new_key"
UNAVAILABLE = "The class board is not available right now (its database cannot be reached); everything else works."


def _secrets_url() -> str | None:
    try:
        return st.secrets["connections"]["sql"]["url"]
    except Exception:  # no secrets file, or no such entry
        return None


def database_url() -> str:
    """Where the board lives: the environment's URL, the secrets' URL, or the default SQLite file."""
    return (os.environ.get(DATABASE_URL_ENV) or _secrets_url()
            or f"sqlite:///{os.environ.get(SQLITE_PATH_ENV) or DEFAULT_SQLITE}")


@st.cache_resource(show_spinner=False)
def _prepared(url: str) -> bool:
    """Tables and indexes made once per process and database (board_store.prepare)."""
    board_store.prepare(st.connection("sql", url=url, **board_store.connect_options(url)).engine)
    return True


def engine() -> Engine:
    """The board's database, its tables made."""
    url = database_url()
    _prepared(url)
    return st.connection("sql", url=url, **board_store.connect_options(url)).engine


def lifetime_hours() -> float:
    """How long a class lives (PLAYGROUND_CLASS_HOURS, default 24)."""
    try:
        return max(float(os.environ.get(LIFETIME_ENV) or board_store.LIFETIME_HOURS), 0.01)
    except ValueError:
        return board_store.LIFETIME_HOURS


def joined() -> str | None:
    """The class code this session has joined, if any."""
    return st.session_state.get(CLASS_KEY)


def _remember(code: str | None) -> None:
    st.session_state[CLASS_KEY] = code
    flags = st.session_state.setdefault("view_flags", {})
    if code:
        flags["class"] = code
    else:
        flags.pop("class", None)


def join(code: str) -> str | None:
    """Join (or make) class `code`; a notice says why not. The maker's teacher key is kept in this session."""
    if problem := board_store.code_problem(code):
        state.add_notices([f"Class board: ignored {quoted(code)}: {problem}."])
        _remember(None)
        return None
    try:
        result = board_store.join(engine(), code, time.time(), lifetime_hours())
    except Exception:  # the database is down: the page goes on without its board
        state.add_notices([UNAVAILABLE])
        _remember(None)
        return None
    if result.created:
        st.session_state.setdefault(TEACHER_KEYS, {})[code] = result.teacher_key
        st.session_state[NEW_KEY] = (code, result.teacher_key)
    _remember(code)
    return code


def join_from_link() -> None:
    """On a session's first run, join the class the link names (`?class=<code>`)."""
    if CLASS_KEY in st.session_state:
        return
    code = url.view_flag("class")
    _remember(None)
    if code:
        join(code)


def teacher_key(code: str) -> str | None:
    """This session's teacher key for `code`, if it made the class or unlocked it."""
    return st.session_state.get(TEACHER_KEYS, {}).get(code)


def render_sidebar() -> None:
    """In the sidebar's classroom tools: start a class board, join one by its code, or leave it."""
    with st.sidebar.expander("Class board", icon=":material/groups:"):
        code = joined()
        if code:
            st.caption(f"In class **{code}**: the link and the QR code carry it.")
            st.button("Leave the class", key="board_leave", on_click=_remember, args=(None,))
            return
        st.caption("Every student's run on one chart, for the projector.")
        st.button("Start a class board", key="board_start", on_click=lambda: join(board_store.new_code()))
        st.text_input("Or join a class by its code", key="board_code", max_chars=32, placeholder="e.g. k7mq-2xpa",
                      on_change=_join_typed)


def _join_typed() -> None:
    typed = st.session_state.get("board_code", "").strip()
    st.session_state["board_code"] = ""
    if typed:
        join(typed)


def render_new_key() -> None:
    """Once, to the session that made the class: its code and teacher key."""
    made = st.session_state.pop(NEW_KEY, None)
    if made:
        code, key = made
        st.success(f"You started the class board **{code}**. Your teacher key is **{key}**: it is shown only "
                   "now, and lets you clear or close this board from another device. Share the link or the QR "
                   "code: students who open it join the class.", icon=":material/key:")


def render_send(exp: Experiment | None, current: Settings) -> None:
    """Beside the scores: a nickname and the button that sends this run (of the `current` settings) to the board."""
    code = joined()
    if code and exp is not None:
        _send_row(current.run_part(), code)


@st.fragment
def _send_row(asked: Settings, code: str) -> None:
    """A fragment: typing a nickname or sending reruns only this row, not the page (thirty students sending within
    seconds would otherwise be thirty full reruns). It keeps the settings, not the run: a closed tab's fragment
    holds no run in memory."""
    # One row (two on a phone), the nickname's label inside its box: the row sits between the scores and the chart.
    row = st.container(horizontal=True, vertical_alignment="center", gap="small", key="send_row")
    nickname = row.text_input("Nickname on the board (optional)", key="board_nickname", width=260,
                              max_chars=board_store.NICKNAME_CHARS, label_visibility="collapsed",
                              placeholder="Nickname on the board (optional)")
    if row.button("Send my run to the class board", key="board_send", icon=":material/send:"):
        _send(asked, code, nickname)


def _send(asked: Settings, code: str, nickname: str) -> None:
    """Store the run the page made of the `asked` settings (from the shared cache): its settings as run and the
    scores the server computed from it. Not a run on an uploaded file, nor one the work budget had to trim."""
    if asked.dataset == UPLOAD:
        st.warning("Runs on your own CSV file stay on your computer: the board takes runs on the built-in data.")
        return
    exp = state.experiment(asked, None)
    if exp.notices:  # trimmed to fit the work budget: not the run that was asked for
        st.warning(f"The board takes only runs the page makes in full, and this one was trimmed to fit the work one "
                   f"request may ask of the server: {markdown_literal(exp.notices[0])}")
        return
    sender = st.session_state.setdefault(SENDER_KEY, secrets.token_hex(16))
    query = exp.settings.to_query()
    try:
        sent = board_store.send(engine(), code, sender, nickname, query,
                                board.scores(summary.end_state(exp), exp), time.time())
    except Exception:
        st.warning(UNAVAILABLE)
        return
    if sent.run_id is None:
        st.warning(markdown_literal(sent.message))
    else:
        st.toast(f"Run {sent.run_id} is on the board of class {code}.", icon=":material/check:")


BOARDS = SharedCache("class boards", 16 * MB)  # a 1,000-run table ~0.3 MB, its view (figure, best runs) ~0.3 MB


def _table(code: str, version: tuple[int, int]) -> pd.DataFrame:
    """The class's runs as `board.runs_table`, read once per `version` for every screen that shows the board."""
    return BOARDS.get(("table", code, version), lambda: board.runs_table(board_store.runs(engine(), code), code))


def render(exp: Experiment | None, reference) -> None:
    """The board view: the live board first (what the room looks at), then the teacher's controls."""
    code = joined()
    if not code:
        return
    _live(code)
    _teacher_controls(code)


def _teacher_controls(code: str) -> None:
    key = teacher_key(code)
    if key is None:
        with st.expander("Teacher: unlock this board's controls"):
            typed = st.text_input("Teacher key", type="password", key="board_unlock")
            if typed:
                if board_store.is_teacher(engine(), code, typed):
                    st.session_state.setdefault(TEACHER_KEYS, {})[code] = typed
                    st.rerun()
                st.warning("That is not this class's teacher key.")
        return
    left, right = st.columns(2)
    closed = board_store.is_closed(engine(), code)
    if left.button("Open the board to new runs" if closed else "Close the board to new runs", key="board_close"):
        board_store.set_closed(engine(), code, key, not closed)
        st.rerun()
    if right.button("Clear every run", key="board_clear", type="secondary"):
        board_store.clear(engine(), code, key)
        st.rerun()


@dataclass(frozen=True)
class BoardView:
    """What the board draws of one dataset's runs, by one measure."""

    finding: str
    figure: dict
    best: pd.DataFrame  # the best runs, labelled for the table
    counts: str


def _view(code: str, version: tuple[int, int], dataset: str, measure_name: str) -> BoardView:
    """The board's reading, figure, best runs and counts, made once per board version for every screen."""
    return BOARDS.get(("view", code, version, dataset, measure_name),
                      lambda: _make_view(_table(code, version), code, dataset, measure_name))


def _make_view(table: pd.DataFrame, code: str, dataset: str, measure_name: str) -> BoardView:
    runs, measure = table[table["dataset"] == dataset], board.MEASURES[measure_name]
    label = FIELDS["dataset"].metadata["options"][dataset]
    best = board.best_runs(runs, measure)
    best = best.assign(optimizer=best["optimizer"].map(OPTIMIZER_LABELS),
                       activation=best["activation"].map(ACTIVATION_LABELS))
    counts = " · ".join(f"{what}: " + ", ".join(f"{name} {count}" for name, count in found.items())
                        for what, found in board.counts(runs).items())
    return BoardView(board.finding(runs, measure), board_figure(runs, measure, f"Class {code}: {len(runs)} runs on "
                                                                               f"{label}"), best, counts)


@st.fragment(run_every=REFRESH_SECONDS)
def _live(code: str) -> None:
    """The chart, the reading, the best runs and the counts; reruns alone every REFRESH_SECONDS, and rebuilds them
    only when a run came or went."""
    try:
        version = board_store.version(engine(), code)
        table = _table(code, version)
    except Exception:
        st.warning(UNAVAILABLE)
        return
    if table.empty:
        st.info(board.finding(table, board.MEASURES["val_loss"]), icon=":material/groups:")
        return
    first = st.container()  # the chart first, its reading under it, the dataset and score pickers under them
    datasets = table["dataset"].value_counts()
    labels = FIELDS["dataset"].metadata["options"]
    dataset = st.selectbox("Dataset", list(datasets.index), key="board_dataset",
                           format_func=lambda d: f"{labels[d]} ({datasets[d]} runs)") if len(datasets) > 1 \
        else datasets.index[0]
    measures = board.measures_for(table[table["dataset"] == dataset]) or ["train_loss"]
    measure_name = st.selectbox("Score", measures, key="board_measure",
                                format_func=lambda m: board.MEASURES[m].label) if len(measures) > 1 else measures[0]
    measure, view = board.MEASURES[measure_name], _view(code, version, dataset, measure_name)
    with first:
        plot.show(view.figure, key="board")
        st.markdown(f"**{markdown_literal(view.finding)}**")
        st.caption("Each point is one student's run (✕ above the chart: it exploded); colour is the optimizer, the "
                   "marker the batch (◆ one point, ● mini-batch, ■ full batch). Click a point to open that run.")
    if not view.best.empty:
        st.markdown(f"**The best runs** by {measure.label} (exploded runs left out)")
        shown = view.best.assign(link=view.best["link"].map(classroom.page_link))
        st.dataframe(shown[["nickname", "learning_rate", "optimizer", "batch_size", "activation", "epochs",
                            measure.column, "link"]], hide_index=True, width="stretch", column_config={
            "nickname": st.column_config.TextColumn("nickname"),
            "learning_rate": st.column_config.NumberColumn("learning rate", format="%g"),
            "batch_size": st.column_config.NumberColumn("batch size"),
            measure.column: st.column_config.NumberColumn(measure.label, format="%.4g"),
            "link": st.column_config.LinkColumn("run", display_text="open"),
        })
    st.caption(view.counts)
