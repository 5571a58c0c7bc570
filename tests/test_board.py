"""The class board's storage, on SQLite and on a real PostgreSQL server: joining, sending, limits, the teacher
key, expiry, concurrent senders and hostile text."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect

from playground import board_store as board
from tests.databases import KINDS, database

NOW = 1_800_000_000.0
SETTINGS = {"learning_rate": "1.5", "optimizer": "sgd"}
SCORES = {"train_loss": 0.5, "val_loss": 0.75, "diverged_at": None}


@pytest.fixture(params=KINDS)
def engine(request, tmp_path):
    with database(request.param, tmp_path) as url:
        engine = create_engine(url, **board.connect_options(url))
        board.prepare(engine)
        yield engine
        engine.dispose()


def test_the_first_visit_makes_the_class_and_gets_the_only_teacher_key(engine):
    first = board.join(engine, "room-101", NOW)
    again = board.join(engine, "room-101", NOW + 10)
    assert first.created and len(first.teacher_key) >= 16
    assert not again.created and again.teacher_key is None and again.expires_at == first.expires_at
    assert first.expires_at == NOW + 24 * 3600
    assert board.is_teacher(engine, "room-101", first.teacher_key)
    assert not board.is_teacher(engine, "room-101", "guess") and not board.is_teacher(engine, "room-101", "")


def test_a_run_is_kept_as_sent_and_only_in_its_own_class(engine):
    board.join(engine, "class-a", NOW)
    board.join(engine, "class-b", NOW)
    sent = board.send(engine, "class-a", "s1", "  Ada\tL.  ", SETTINGS, SCORES, NOW)
    assert sent.run_id is not None
    (run,) = board.runs(engine, "class-a")
    assert run == {"id": sent.run_id, "created_at": NOW, "nickname": "Ada L.", "settings": SETTINGS, "scores": SCORES}
    assert board.runs(engine, "class-b") == []
    assert board.runs(engine, "class-a", after_id=sent.run_id) == []
    assert board.send(engine, "no-such-class", "s1", "", SETTINGS, SCORES, NOW).run_id is None


def test_one_send_per_session_every_five_seconds(engine):
    board.join(engine, "room", NOW)
    assert board.send(engine, "room", "s1", "", SETTINGS, SCORES, NOW).run_id
    refused = board.send(engine, "room", "s1", "", SETTINGS, SCORES, NOW + 4.0)
    assert refused.run_id is None and "wait 1 s" in refused.message
    assert board.send(engine, "room", "s2", "", SETTINGS, SCORES, NOW + 4.0).run_id  # another student
    assert board.send(engine, "room", "s1", "", SETTINGS, SCORES, NOW + board.SEND_INTERVAL).run_id
    assert len(board.runs(engine, "room")) == 3


def test_a_board_holds_at_most_its_limit_even_when_everyone_sends_at_once(engine, monkeypatch):
    assert board.MAX_RUNS == 1000
    monkeypatch.setattr(board, "MAX_RUNS", 12)
    board.join(engine, "rush", NOW)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda i: board.send(engine, "rush", f"s{i}", f"n{i}", SETTINGS, SCORES, NOW),
                                range(30)))
    kept = [r for r in results if r.run_id is not None]
    assert len(kept) == 12 == len(board.runs(engine, "rush"))
    assert all("full" in r.message for r in results if r.run_id is None)


def test_only_the_teacher_key_clears_or_closes_the_board(engine):
    key = board.join(engine, "room", NOW).teacher_key
    board.send(engine, "room", "s1", "", SETTINGS, SCORES, NOW)
    assert not board.clear(engine, "room", "not the key") and len(board.runs(engine, "room")) == 1
    assert not board.set_closed(engine, "room", "", True)
    assert board.set_closed(engine, "room", key, True)
    closed = board.send(engine, "room", "s2", "", SETTINGS, SCORES, NOW + 1)
    assert closed.run_id is None and "closed" in closed.message
    assert board.join(engine, "room", NOW + 2).closed
    assert board.set_closed(engine, "room", key, False) and board.send(engine, "room", "s2", "", SETTINGS, SCORES,
                                                                        NOW + 3).run_id
    assert board.clear(engine, "room", key) and board.runs(engine, "room") == []


def test_a_class_expires_with_its_runs_and_its_code_can_start_again(engine):
    old = board.join(engine, "room", NOW, lifetime_hours=1)
    board.send(engine, "room", "s1", "", SETTINGS, SCORES, NOW)
    late = NOW + 3601
    assert board.send(engine, "room", "s2", "", SETTINGS, SCORES, late).run_id is None
    renewed = board.join(engine, "room", late)
    assert renewed.created and renewed.teacher_key != old.teacher_key
    assert board.runs(engine, "room") == []
    assert not board.is_teacher(engine, "room", old.teacher_key)


def test_the_board_queries_have_indexes(engine):
    indexed = {tuple(index["column_names"]) for index in inspect(engine).get_indexes("board_runs")}
    assert {("class_code", "id"), ("class_code", "sender", "created_at")} <= indexed
    assert ("expires_at",) in {tuple(i["column_names"]) for i in inspect(engine).get_indexes("board_classes")}


@pytest.mark.parametrize("code", ["abc", "x" * 33, "room 1", "room;drop", "räum", "room'--", "", "../etc", "ab\ncd"])
def test_codes_outside_the_pattern_are_refused(code):
    assert board.code_problem(code)
    with pytest.raises(ValueError):
        board.join(None, code, NOW)  # refused before any database is touched


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(nickname=st.text(max_size=80), field=st.text(max_size=40))
def test_hostile_text_is_stored_as_data(tmp_path_factory, nickname, field):
    folder = tmp_path_factory.mktemp("hostile")
    url = f"sqlite:///{folder}/board.sqlite3"
    engine = create_engine(url, **board.connect_options(url))
    board.prepare(engine)
    board.join(engine, "room", NOW)
    hostile = {"features": field, "target": "'); DROP TABLE board_runs; --"}
    board.send(engine, "room", "s'1\"", nickname, hostile, {"note": field}, NOW)
    (run,) = board.runs(engine, "room")
    assert run["nickname"] == board.clean_nickname(nickname) and len(run["nickname"]) <= board.NICKNAME_CHARS
    assert run["nickname"].isprintable() and run["settings"] == hostile and run["scores"] == {"note": field}
    engine.dispose()


def test_new_codes_are_valid_and_differ():
    codes = {board.new_code() for _ in range(200)}
    assert len(codes) == 200 and all(board.code_problem(code) is None for code in codes)
