"""The class board on the page (AppTest), on SQLite and on PostgreSQL: joining by link, sending a run whose scores
the server computes, the board's chart, reading and tables, the teacher's controls, and what goes wrong."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from playground import board, board_store
from playground.experiment import run_experiment
from playground.safe_text import markdown_literal, plotly_literal
from playground.sections import board as board_section
from playground.settings import Settings
from tests.conftest import APP
from tests.databases import KINDS, database
from tests.page import assert_clean, figure, notices

STATIC = {"learning_rate": 0.3, "optimizer": "sgd"}


@pytest.fixture(params=KINDS)
def board_url(request, tmp_path, monkeypatch):
    """The board's database for the page (PLAYGROUND_DATABASE_URL), empty."""
    with database(request.param, tmp_path) as url:
        monkeypatch.setenv(board_section.DATABASE_URL_ENV, url)
        yield url


def page(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for name, value in query.items():
        at.query_params[name] = str(value)
    return at.run()


def send(at: AppTest, nickname: str = "") -> AppTest:
    at.text_input(key="board_nickname").set_value(nickname)
    (button,) = [b for b in at.button if b.label == "Send my run to the class board"]
    return button.click().run()


def stored(url: str, code: str) -> list[dict]:
    from sqlalchemy import create_engine
    engine = create_engine(url, **board_store.connect_options(url))
    try:
        return board_store.runs(engine, code)
    finally:
        engine.dispose()


def test_a_link_joins_the_class_and_only_its_maker_gets_the_key(board_url):
    teacher = page(**{"class": "room-7"})
    assert_clean(teacher)
    (made,) = [s.value for s in teacher.success if "teacher key" in s.value]
    assert "room-7" in made
    assert teacher.query_params["class"] == "room-7"  # the link carries the class
    student = page(**{"class": "room-7"})
    assert not [s for s in student.success if "teacher key" in s.value]
    assert "Class board" in [t.label for t in student.tabs]
    assert [b.label for b in student.button if b.label.startswith("Send my run")]


def test_start_a_class_board_in_the_sidebar_makes_a_fresh_class(board_url):
    at = page()
    (start,) = [b for b in at.sidebar.button if b.label == "Start a class board"]
    start.click().run()
    assert_clean(at)
    code = at.query_params["class"]
    assert board_store.code_problem(code) is None and code == at.session_state[board_section.CLASS_KEY]
    assert at.session_state[board_section.TEACHER_KEYS][code]
    assert any(code in s.value and "teacher key" in s.value for s in at.success)
    (leave,) = [b for b in at.sidebar.button if b.label == "Leave the class"]
    leave.click().run()
    assert "class" not in at.query_params and "Class board" not in [t.label for t in at.tabs]


def test_the_board_keeps_the_run_as_the_page_ran_it_and_the_servers_scores(board_url):
    at = send(page(**{"class": "room-7", "dataset": "blobs", "activation": "sigmoid", **STATIC}), "Ada")
    assert_clean(at)
    (run,) = stored(board_url, "room-7")
    assert run["nickname"] == "Ada"
    settings = Settings.from_query(run["settings"])[0]
    assert settings == at.session_state["settings"].run_part()  # the page's validated settings, as run
    exp = run_experiment(settings)  # the same run again, scored independently
    h = exp.history
    w, b = h.params[-1, :-1], h.params[-1, -1]
    p_val = 1 / (1 + np.exp(-(exp.X_val @ w + b)))
    z_train = exp.X_train @ w + b
    cross_entropy = float(np.mean(np.logaddexp(0, z_train) - exp.y_train * z_train))
    assert run["scores"]["train_loss"] == pytest.approx(cross_entropy, rel=1e-9)
    assert run["scores"]["val_accuracy"] == pytest.approx(float(np.mean((p_val >= 0.5) == exp.y_val)))
    assert run["scores"]["diverged_at"] is None and run["scores"]["n_train"] == len(exp.y_train)


def test_the_projector_opens_on_the_board_and_reads_it(board_url):
    for rate, nickname in ((0.3, "a"), (3.0, "b"), (10.0, "c")):
        send(page(**{"class": "room-7", **STATIC, "learning_rate": rate}), nickname)
    projector = page(**{"class": "room-7", "presenter": "true"})
    assert_clean(projector)
    assert projector.tabs[0].label == "Class board"
    fig = figure(projector, "board")
    table = board.runs_table(stored(board_url, "room-7"), "room-7")
    exploded = [t for t in fig["data"] if t["name"] == "exploded"]
    assert sorted(exploded[0]["x"]) == sorted(table.loc[table["diverged"], "learning_rate"]) if exploded else \
        not table["diverged"].any()
    drawn = sorted(x for t in fig["data"] if t["name"] != "exploded" for x in t["x"])
    assert drawn == sorted(table.loc[~table["diverged"], "learning_rate"])
    assert fig["layout"]["xaxis"]["type"] == "log"
    reading = board.finding(table, board.MEASURES["val_loss"])
    assert any(m.value == f"**{markdown_literal(reading)}**" for m in projector.markdown)


def test_one_send_every_five_seconds_and_a_full_board_say_so(board_url, monkeypatch):
    at = send(page(**{"class": "room-7"}))
    at = send(at)
    assert any("wait" in w.value for w in at.warning)
    assert len(stored(board_url, "room-7")) == 1
    monkeypatch.setattr(board_store, "MAX_RUNS", 1)
    other = send(page(**{"class": "room-7"}))
    assert any("full" in w.value for w in other.warning) and len(stored(board_url, "room-7")) == 1


@pytest.mark.parametrize("nickname", ["<img src=x onerror=alert(1)>", "**bold** [link](http://evil.example)",
                                      "=HYPERLINK(\"http://x\")", "%{x} $\\alpha$", "a\u202eb\u0000c\ttab"])
def test_a_nickname_is_literal_text_on_the_board(board_url, nickname):
    send(page(**{"class": "room-7"}), nickname)
    kept = stored(board_url, "room-7")[0]["nickname"]
    assert kept == board_store.clean_nickname(nickname) and kept.isprintable()
    projector = page(**{"class": "room-7", "view": "Class board"})
    assert_clean(projector)
    hover = " ".join(t for trace in figure(projector, "board")["data"] for t in trace["text"])
    assert plotly_literal(kept) in hover  # &, <, >, %, $ as entities: no tag or template forms
    assert "<img" not in hover and "%{x}" not in hover
    (best,) = projector.dataframe
    assert list(best.value["nickname"]) == [kept]  # a table cell: plain text


@pytest.mark.parametrize("code", ["ab", "room 7", "<script>", "x" * 40, "räum-1"])
def test_a_bad_class_code_is_a_notice_and_no_board(board_url, code):
    at = page(**{"class": code})
    assert_clean(at)
    assert "Class board" not in [t.label for t in at.tabs]
    assert "class" not in at.query_params
    assert any(line.startswith("Class board: ignored") for line in notices(at))


def test_without_its_database_the_page_works_and_says_the_board_is_away(monkeypatch):
    monkeypatch.setenv(board_section.DATABASE_URL_ENV, "postgresql+psycopg://nobody@127.0.0.1:9/none")
    at = page(**{"class": "room-7"})
    assert_clean(at)
    assert board_section.UNAVAILABLE in notices(at)
    assert "Class board" not in [t.label for t in at.tabs] and at.get("bidi_component")


def test_a_run_on_an_uploaded_file_is_not_sent(board_url):
    at = page(**{"class": "room-7", "dataset": "upload"})
    rows = "".join(f"{x},{2 * x + 1}\n" for x in range(30))
    at.file_uploader(key="csv_file").set_value(("mine.csv", f"x,y\n{rows}".encode(), "text/csv")).run()
    assert_clean(at)
    at = send(at)
    assert any("stay on your computer" in w.value for w in at.warning)
    assert stored(board_url, "room-7") == []


def test_a_run_the_work_budget_trimmed_is_not_sent(board_url):
    at = page(**{"class": "room-7", "n_points": 2000, "batch_size": 1, "epochs": 500})  # 800,000 updates asked
    assert_clean(at)
    exp = run_experiment(at.session_state["settings"].run_part())
    assert exp.settings.epochs < 500 and exp.notices  # the page ran fewer epochs, and said so
    at = send(at)
    assert any("trimmed to fit" in w.value for w in at.warning)
    assert stored(board_url, "room-7") == []


def test_the_teacher_key_clears_the_board_and_a_wrong_key_does_not(board_url):
    teacher = page(**{"class": "room-7"})
    key = teacher.session_state[board_section.TEACHER_KEYS]["room-7"]
    send(page(**{"class": "room-7"}))
    other = page(**{"class": "room-7", "view": "Class board"})
    assert not [b for b in other.button if b.label == "Clear every run"]
    other.text_input(key="board_unlock").set_value("wrong").run()
    assert any("not this class" in w.value for w in other.warning)
    other.text_input(key="board_unlock").set_value(key).run()
    (clear,) = [b for b in other.button if b.label == "Clear every run"]
    clear.click().run()
    assert stored(board_url, "room-7") == []


# --- the reading and the tables, from hand-made runs -------------------------------------------------------------


def _table(rows: list[tuple[float, str, bool, float | None]]) -> pd.DataFrame:
    """A runs table from (learning rate, optimizer, exploded, validation loss)."""
    runs = [{"id": i, "nickname": "", "settings": {"learning_rate": str(rate), "optimizer": optimizer},
             "scores": {"train_loss": loss, "val_loss": loss, "diverged_at": 3 if exploded else None, "n_train": 80}}
            for i, (rate, optimizer, exploded, loss) in enumerate(rows)]
    return board.runs_table(json.loads(json.dumps(runs)), "room")


def test_the_reading_finds_the_cliff_of_divergence():
    rows = [(0.1, "sgd", False, 0.2), (0.6, "sgd", False, 0.1), (1.5, "sgd", True, None), (3.0, "sgd", True, None),
            (10.0, "sgd", True, None), (10.0, "adam", False, 0.3)]
    assert board.finding(_table(rows), board.MEASURES["val_loss"]) == (
        "SGD runs at learning rate 1.5 and above exploded: 3 of 3; below it, 0 of 2.")
    mixed = rows + [(6.0, "sgd", False, 0.9)]  # one survived above the first explosion: the cliff moves up
    assert board.finding(_table(mixed), board.MEASURES["val_loss"]).startswith(
        "SGD runs at learning rate 10 and above exploded: 1 of 1; below it, 2 of 5")
    calm = [(0.1, "adam", False, 0.2), (0.6, "sgd", False, 0.1)]
    assert board.finding(_table(calm), board.MEASURES["val_loss"]) == (
        "No run exploded (2 runs). Best final validation loss: 0.1, with SGD at learning rate 0.6.")


def test_best_runs_and_counts_leave_out_nothing_but_explosions():
    table = _table([(0.1, "sgd", False, 0.2), (0.6, "adam", False, 0.1), (3.0, "sgd", True, None)])
    best = board.best_runs(table, board.MEASURES["val_loss"])
    assert list(best["learning_rate"]) == [0.6, 0.1]
    assert board.counts(table)["optimizer"] == {"SGD": 2, "Adam": 1}
    assert all(link.startswith("?") and "class=room" in link for link in table["link"])
