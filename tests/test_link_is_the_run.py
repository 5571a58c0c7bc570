"""A link is the run: whatever the page shows, reopening the link it wrote shows again.

The property test drives the page (AppTest) through a few actions a person takes: change a control, open
or leave a lesson, click a lesson's part, draw new data, load a run file, load a CSV file. Then it opens
the link the page wrote in a fresh session (with the same CSV file, if the run is on one: a link cannot
carry a file) and checks that it gets the same settings, the same data and the same final parameters,
and that the page says the same train loss. The examples below are the ways links used to lose their run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from playground import export
from playground.datasets import DATASETS, DIGIT_TARGETS, UPLOAD
from playground.engine import ACTIVATIONS, OPTIMIZERS, REGULARIZERS
from playground.experiment import run_experiment
from playground.lessons import LESSONS
from playground.sections.export import UPLOADER_KEY as RUN_FILE_KEY
from playground.settings import LEARNING_RATES, LOSS_LABELS, REGULARIZATION_RATES, Settings
from tests.conftest import APP
from tests.page import assert_clean

CSV = ("a,b,t\n" + "\n".join(f"{i % 7},{(i * 3) % 5},{(i % 7) * 0.5 - (i % 5) + 1}" for i in range(40))).encode()


def open_page(query: dict[str, str], upload: bytes | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for name, value in query.items():
        at.query_params[name] = value
    if upload is not None:
        at.session_state["upload_bytes"] = upload  # the same file, uploaded again
    return at.run()


def train_loss(at) -> str | None:
    found = [m.value for m in at.metric if m.label.startswith("Train loss")]
    return found[0] if found else None


def run_of(at):
    return run_experiment(at.session_state["settings"].run_part(), at.session_state.get("upload_bytes")
                          if at.session_state["settings"].dataset == UPLOAD else None)


def assert_the_link_is_the_run(at) -> None:
    """Reopen the link `at` wrote, in a fresh session, and find the same run."""
    assert_clean(at)
    link = {name: at.query_params[name] for name in at.query_params}
    shown = at.session_state["settings"]
    upload = at.session_state["upload_bytes"] if shown.dataset == UPLOAD else None
    fresh = open_page(link, upload)
    assert_clean(fresh)
    assert fresh.session_state["settings"] == shown, link
    assert train_loss(fresh) == train_loss(at), link
    if train_loss(at) is None:  # the data could not load: nothing more to compare
        return
    before, after = run_of(at), run_of(fresh)
    for name in ("X_train", "y_train", "X_val", "y_val"):
        np.testing.assert_array_equal(getattr(after, name), getattr(before, name), err_msg=f"{name} of {link}")
    np.testing.assert_array_equal(after.history.params[-1], before.history.params[-1], err_msg=str(link))


# --- Actions a person takes -------------------------------------------------------------------------------

CHOICES = {"w_activation": list(ACTIVATIONS), "w_hidden_activation": list(ACTIVATIONS), "w_optimizer": list(OPTIMIZERS),
           "w_loss": list(LOSS_LABELS), "w_regularization": list(REGULARIZERS), "w_digit_target": list(DIGIT_TARGETS),
           "w_dataset": [key for key in DATASETS if key != UPLOAD]}
SLIDERS = {"w_epochs": st.integers(1, 40), "w_batch_size": st.integers(1, 64), "w_n_points": st.integers(20, 300),
           "w_hidden_layers": st.integers(0, 3), "w_hidden_units": st.integers(1, 6),
           "w_noise": st.sampled_from([0.0, 0.5, 1.0, 2.5]), "w_validation_split": st.sampled_from([0.0, 0.2, 0.5])}
LADDERS = {"w_learning_rate": LEARNING_RATES, "w_regularization_rate": REGULARIZATION_RATES}
TOGGLES = ("w_standardize", "w_shuffle", "w_show_validation")

actions = st.one_of(
    st.tuples(st.just("choose"), st.sampled_from(sorted(CHOICES)), st.integers(0, 99)),
    st.sampled_from(sorted(SLIDERS)).flatmap(lambda key: st.tuples(st.just("slide"), st.just(key), SLIDERS[key])),
    st.tuples(st.just("ladder"), st.sampled_from(sorted(LADDERS)), st.integers(0, 99)),
    st.tuples(st.just("toggle"), st.sampled_from(TOGGLES), st.just(None)),
    st.tuples(st.just("seed"), st.just("w_seed"), st.integers(0, 50)),
    st.tuples(st.just("inputs"), st.just("w_inputs_list"), st.integers(0, 127)),
    st.tuples(st.just("lesson"), st.sampled_from(["", *LESSONS]), st.just(None)),
    st.tuples(st.just("part"), st.integers(0, 3), st.just(None)),
    st.tuples(st.just("new data"), st.just(None), st.just(None)),
    st.tuples(st.just("run file"), st.sampled_from(["line", "circles", "sine", "digits"]), st.integers(0, 3)),
    st.tuples(st.just("csv"), st.just(None), st.just(None)),
)


def widget(at, kind: str, key: str):
    """The widget with this key, if the page shows it now."""
    found = [w for w in at.get(kind) if getattr(w, "key", None) == key]
    return found[0] if found else None


def take(at, action) -> None:
    """Do `action` on the page and let it rerun (an action whose control is not shown now does nothing)."""
    what, key, value = action
    if what == "choose" and (box := widget(at, "selectbox", key)) is not None:
        box.set_value(CHOICES[key][value % len(CHOICES[key])])
    elif what == "slide" and (slider := widget(at, "slider", key)) is not None:
        slider.set_value(min(max(value, slider.min), slider.max))
    elif what == "ladder" and (slider := widget(at, "select_slider", key)) is not None:
        slider.set_value(LADDERS[key][value % len(LADDERS[key])])
    elif what == "toggle" and (toggle := widget(at, "toggle", key)) is not None:
        toggle.set_value(not toggle.value)
    elif what == "seed" and (number := widget(at, "number_input", key)) is not None:
        number.set_value(value)
    elif what == "inputs" and (chooser := widget(at, "multiselect", key)) is not None:
        chooser.set_value([option for bit, option in enumerate(chooser.options) if value >> bit & 1])
    elif what == "lesson":
        at.selectbox(key="lesson_picker").set_value(key)
    elif what == "part" and (button := widget(at, "button", f"lesson_part_{key}")) is not None:
        button.click()
    elif what == "new data" and (button := [b for b in at.button if b.label == "New data"]):
        button[0].click()
    elif what == "run file":
        changes = [{}, {"epochs": 5, "optimizer": "sgd"}, {"hidden_layers": 1, "seed": 3}, {"learning_rate": 0.1}]
        recommended = replace(Settings(dataset=key), **DATASETS[key].recommended, **changes[value])
        record = {"app": export.APP, "version": export.FORMAT_VERSION, "settings": asdict(recommended)}
        at.session_state["view"] = "Export"  # the loader is on the Export tab (when the page's run can train)
        at.run()
        if (loader := widget(at, "file_uploader", RUN_FILE_KEY)) is not None:
            loader.set_value(("run.json", json.dumps(record).encode(), "application/json"))
    elif what == "csv":
        at.selectbox(key="w_dataset").set_value(UPLOAD).run()
        at.file_uploader(key="csv_file").set_value(("data.csv", CSV, "text/csv"))
    at.run()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(start=st.sampled_from([{}, {"lesson": "set-weights:2"}, {"lesson": "nonlinear"}, {"dataset": "spiral"},
                              {"lesson": "digits", "view": "Export"}]),
       steps=st.lists(actions, min_size=1, max_size=3))
def test_the_link_the_page_writes_reopens_the_same_run(start, steps):
    at = open_page(start)
    for action in steps:
        take(at, action)
    assert_the_link_is_the_run(at)


# --- The ways links lost their run (issue 19) ---------------------------------------------------------------

def test_a_default_value_chosen_in_a_lesson_stays_in_the_link():
    at = open_page({"lesson": "set-weights:2"})  # the logistic neuron: a sigmoid output
    at.selectbox(key="w_activation").set_value("linear").run()  # the page-wide default
    assert at.query_params["activation"] == "linear" and at.query_params["lesson"] == "set-weights:2"
    assert_the_link_is_the_run(at)


def test_a_run_file_loaded_in_a_lesson_leaves_the_lesson():
    at = open_page({"lesson": "digits", "view": "Export"})
    take(at, ("run file", "line", 1))
    assert_clean(at)
    assert at.session_state["settings"].dataset == "line" and "lesson" not in at.query_params
    assert not [m for m in at.markdown if m.value.startswith("#### Lesson")]  # no banner of a lesson not shown
    assert_the_link_is_the_run(at)


@pytest.mark.parametrize("dataset", ["spiral", "digits", "diabetes"])
def test_a_typed_dataset_link_is_the_dataset_as_the_page_switches_to_it(dataset):
    typed = open_page({"dataset": dataset})
    picked = open_page({})
    picked.selectbox(key="w_dataset").set_value(dataset).run()
    assert typed.session_state["settings"] == picked.session_state["settings"]  # spiral: a sigmoid output
    assert {name: picked.query_params[name] for name in picked.query_params} == {"dataset": dataset}
    assert_the_link_is_the_run(picked)
