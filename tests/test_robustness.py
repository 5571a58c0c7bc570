"""Unbreakable in a classroom: a sweep over every kind of control combination, hostile files through
the page, and two sessions that never see each other's data."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from playground import export
from playground.charts.curves import loss_figure, parameters_figure
from playground.charts.fit import fit_panel
from playground.charts.landscape import compute_slice, default_slice_parameters, landscape_panel
from playground.charts.panels import compose
from playground.charts.style import frame_indices
from playground.data import DataError
from playground.datasets import DATASETS, UPLOAD
from playground.engine import ACTIVATIONS, OPTIMIZERS
from playground.experiment import run_experiment
from playground.reference import reference_answer
from playground.sections import classroom
from playground.sections.export import UPLOADER_KEY
from playground.settings import FIELDS, LEARNING_RATES, MAX_STEPS, Settings
from tests import page
from tests.conftest import APP

DATASET_KEYS = [key for key in DATASETS if key != UPLOAD]


def page_figures(exp) -> list[dict]:
    """Every figure the training views build for a run, as the page builds them."""
    reference = None if exp.settings.hidden else reference_answer(exp.X_train, exp.y_train,
                                                                  exp.settings.activation, exp.loss)
    u, v = default_slice_parameters(exp)
    landscape = compute_slice(exp, reference, u, v)
    frames = frame_indices(len(exp.history.step))
    return [
        compose([fit_panel(exp, frames, reference if exp.X_train.shape[1] == 1 else None),
                 landscape_panel(landscape, frames)], [str(f) for f in frames]),
        loss_figure(exp.history, exp.loss, log_scale=True),
        parameters_figure(exp.history, [f"p{i}" for i in range(exp.history.sizes[-2] + 1)], None),
    ]


@settings(max_examples=70, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    dataset=st.sampled_from(DATASET_KEYS),
    activation=st.sampled_from(sorted(ACTIVATIONS)),
    loss=st.sampled_from(["auto", "mse", "bce"]),
    optimizer=st.sampled_from(sorted(OPTIMIZERS)),
    batch_size=st.sampled_from([1, 7, 2000]),  # 2000 = the whole training set
    learning_rate=st.sampled_from([LEARNING_RATES[0], LEARNING_RATES[-1]]),
    hidden_layers=st.sampled_from([0, 2]),
    epochs=st.sampled_from([3, 500]),
)
def test_sweep_every_kind_of_setting(dataset, activation, loss, optimizer, batch_size, learning_rate,
                                     hidden_layers, epochs):
    chosen = Settings(dataset=dataset, activation=activation, loss=loss, optimizer=optimizer,
                      batch_size=batch_size, learning_rate=learning_rate, hidden_layers=hidden_layers,
                      hidden_units=3, epochs=epochs)
    try:
        exp = run_experiment(chosen)
    except DataError as error:  # the one refusal: cross-entropy on a numeric target, with a message
        assert loss == "bce" and DATASETS[dataset].task == "regression"
        assert "Cross-entropy needs a target of 0s and 1s" in str(error)
        return
    h = exp.history
    assert h.step[-1] <= MAX_STEPS  # runtime bounded
    requested = epochs * h.steps_per_epoch
    assert (requested > MAX_STEPS) == any("trained" in notice for notice in exp.notices)
    for array in (h.params, h.batch_loss, h.train_loss):
        assert np.isfinite(array).all()
    for figure in page_figures(exp):
        json.dumps(figure, allow_nan=False)  # raises if any NaN or infinity reached a figure


@pytest.mark.parametrize(
    "query",
    [
        {"dataset": "line800", "standardize": "false", "optimizer": "sgd", "learning_rate": "10"},
        {"dataset": "digits", "optimizer": "momentum", "learning_rate": "10", "batch_size": "1", "epochs": "3"},
        {"dataset": "sine", "hidden_layers": "3", "hidden_units": "16", "activation": "relu",
         "learning_rate": "10", "optimizer": "rmsprop"},
    ],
)
def test_blown_up_runs_show_a_message_and_finite_figures(app, query):
    at = app(**query)
    assert not at.exception and not at.error
    figures = list(page.figures(at).values())
    assert figures
    for figure in figures:
        json.dumps(figure, allow_nan=False)
    messages = " ".join(w.value for w in at.warning)
    assert "exploded" in messages or "ended higher" in messages or "loss" in messages


HOSTILE_CSV = (
    b'"<script>alert(1)</script>","**bold** [link](javascript:alert(1))",=cmd|calc,y\n'
    + b"".join(f"{i},{i * 2 % 7},{i % 3},{(i * 37) % 11}\n".encode() for i in range(40))
)


def test_column_names_are_plain_text_never_html_or_markdown(app):
    at = app(dataset=UPLOAD)
    at.session_state["upload_bytes"] = HOSTILE_CSV
    at.run()
    assert not at.exception and not at.error
    rendered = " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.warning])
    assert "<script>" not in rendered and "javascript:" not in rendered
    target_box = at.sidebar.selectbox(key="w_target")
    assert "<script>alert(1)</script>" in target_box.options  # shown as plain option text


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG"),
        (b"a,a,b\n1,2,3\n4,5,6\n", "a"),
        (b"x;y\n1,5;2\n", "row"),
    ],
)
def test_bad_uploads_get_a_message_in_the_page(app, content, words):
    at = app(dataset=UPLOAD)
    at.session_state["upload_bytes"] = content
    at.run()
    assert not at.exception
    messages = " ".join(w.value for w in [*at.warning, *at.error])
    assert messages and words.lower() in messages.lower()


def _csv(rows, slope):
    return b"x,y\n" + b"".join(f"{x},{slope * x + 1}\n".encode() for x in rows)


def test_two_sessions_never_see_each_others_data_or_results(app):
    first, second = app(dataset=UPLOAD, standardize="false"), app(dataset=UPLOAD, standardize="false")
    first.session_state["upload_bytes"] = _csv(range(30), slope=2.0)
    second.session_state["upload_bytes"] = _csv(range(30), slope=-5.0)
    first.run()
    second.run()
    first.run()  # the first session reruns after the second filled the shared cache
    for at, slope in ((first, 2.0), (second, -5.0)):
        assert not at.exception and not at.error
        exact = next(m.value for m in at.markdown if "Neuron vs exact answer" in m.value)
        assert f"exact {slope:.3f}".replace("-", "−") in exact  # a true minus sign
    assert first.session_state["upload_bytes"] != second.session_state["upload_bytes"]


# --- Hostile values a person can type: non-ASCII digits, giant integers, links too long for a QR code ---------

GIANT = "9" * 4301  # one digit more than Python's int() reads from a string
def open_page(query: dict[str, str], upload: bytes | None = None) -> AppTest:
    """A page run with a link (and an uploaded file), outside the fixture: hypothesis runs many in one test."""
    at = AppTest.from_file(APP, default_timeout=30)
    for name, value in query.items():
        at.query_params[name] = value
    if upload is not None:
        at.session_state["upload_bytes"] = upload
    return at.run()


ODD_NUMBERS = ["²", "³", "¹⁰", "٢", "٣٠", "߂", "𝟙", "Ⅳ", "½", GIANT, "-" + GIANT, "1" + "0" * 5000, GIANT + ".5",
               "1e" + GIANT, "0x10", "1_000", " 2 ", "２"]


@pytest.mark.parametrize("value", ODD_NUMBERS, ids=range(len(ODD_NUMBERS)))
def test_odd_numbers_in_every_value_of_a_link_never_break_the_page(value):
    lesson = ("line", "digits", "set-weights", "nonlinear")[ODD_NUMBERS.index(value) % 4]
    link = {name: value for name in FIELDS} | {f"{name}_hide": value for name in ("epochs", "seed")}
    at = open_page({**link, "lesson": f"{lesson}:{value}", "view": value, "presenter": value})
    assert not at.exception, [e.message for e in at.exception]
    assert at.tabs  # the page went on past the sidebar: its views are there


def test_one_training_row_trains_with_no_batch_slider(app):
    at = app(dataset="house", validation_split="0.5")  # two houses, one held out: a slider from 1 to 1 raised
    page.assert_clean(at)
    assert "Batch size" not in [s.label for s in at.sidebar.slider]
    assert "**Full batch**: the one training point, 1 update per epoch." in [c.value for c in at.sidebar.caption]


@pytest.mark.parametrize("flag", ["line:²", "digits:" + GIANT, "set-weights:٢", "nonlinear:𝟚", "digits:-1"])
def test_a_lesson_part_that_is_no_number_opens_a_part(app, flag):
    at = app(lesson=flag)
    page.assert_clean(at)
    assert at.session_state["lesson"][0] == flag.partition(":")[0]


@pytest.mark.parametrize("where", ["settings", "version", "final params", "nested"])
def test_a_run_file_with_a_giant_integer_is_refused_with_a_message(where):
    record = {"app": export.APP, "version": export.FORMAT_VERSION, "settings": {"epochs": 5}}
    text = json.dumps(record)
    giant = {"settings": text.replace('"epochs": 5', f'"epochs": {GIANT}'),
             "version": text.replace(f'"version": {export.FORMAT_VERSION}', f'"version": {GIANT}'),
             "final params": text[:-1] + f', "final": {{"params": [1, {GIANT}]}}}}',
             "nested": text[:-1] + f', "data": {{"x": [[{GIANT}]]}}}}'}[where]
    with pytest.raises(export.RunFileError, match="number too long"):
        export.parse_run_file(giant.encode())


@pytest.mark.parametrize("value", ODD_NUMBERS, ids=range(len(ODD_NUMBERS)))
def test_odd_numbers_as_every_setting_of_a_run_file_load_with_notices(value):
    record = {"app": export.APP, "version": export.FORMAT_VERSION, "settings": {name: value for name in FIELDS},
              "final": {"params": [0.5, 1.0]}}
    loaded = export.parse_run_file(json.dumps(record).encode())  # a RunFileError would say why; nothing else
    assert loaded.adjusted and loaded.notices  # what could not be used as it is, said
    assert loaded.settings.validated()[1] == []  # and what is applied is a legal run


def test_a_run_file_with_a_giant_integer_is_explained_in_the_page(app):
    at = app(view="Export")
    bad = f'{{"app": "{export.APP}", "version": 1, "settings": {{"seed": {GIANT}}}}}'.encode()
    at.file_uploader(key=UPLOADER_KEY).set_value(("run.json", bad, "application/json")).run()
    assert not at.exception
    assert any("number too long" in e.value for e in at.error)


@pytest.mark.parametrize("presenter", ["false", "true"])
def test_a_link_too_long_for_a_qr_code_still_shows_the_link_and_says_why(presenter):
    names = [f"answer to survey question {k}: how strongly do you agree with the statement number {k} " * 2
             for k in range(24)]
    csv = (",".join(f'"{n.strip()}"' for n in names) + ",score\n"
           + "\n".join(",".join(str((i * (k + 3)) % 7) for k in range(25)) for i in range(40))).encode()
    at = open_page({"dataset": UPLOAD, "features": ",".join(n.strip() for n in names[:18]),
                                  "presenter": presenter}, upload=csv)
    assert not at.exception, [e.message for e in at.exception]
    (link,) = [w.value for w in at.sidebar.text_input if w.label == classroom.SHARE_LABEL]
    assert len(link.encode()) > classroom.QR_MAX_BYTES and "features=" in link
    said = [c.value for c in at.caption if c.value.startswith("No QR code for this link")]
    assert said and f"{len(link.encode()):,} bytes" in said[0]
    if presenter == "true":
        assert link in [w.value for w in at.text_input]  # in the room too, where the sidebar is folded
