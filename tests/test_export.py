"""Exports: CSV tables that mirror the History, a JSON run file that round-trips (and bad files that
explain themselves), a NumPy-only script that reproduces the engine, a self-contained HTML animation,
and the Export tab through AppTest."""

import ast
import json
import os
import subprocess
import sys
from dataclasses import asdict, replace
from io import BytesIO

import numpy as np
import pandas as pd
import pytest

from playground import export
from playground.charts.fit import fit_panel
from playground.charts.landscape import compute_slice, default_slice_parameters, landscape_panel
from playground.charts.panels import compose
from playground.charts.style import frame_indices
from playground.engine import MAX_FRAMES
from playground.experiment import run_experiment
from playground.reference import reference_answer
from playground.settings import FIELDS, Settings
from tests.page import assert_same_values, embedded_figure, shown

SCRIPT_TOLERANCE = 1e-9
HTML_LIMIT = export.plotly_js_bytes() + 1_000_000  # Plotly's library plus at most 1 MB of figure
MAX_HTML_BYTES = 6_000_000


def run(**changes):
    return run_experiment(replace(Settings(), **changes))


# ---------------------------------------------------------------------------------------------- CSV

CSV_CASES = {
    "default": {},
    "two features, no validation": {"dataset": "blobs", "activation": "sigmoid", "validation_split": 0.0},
    "hidden layer": {"dataset": "sine", "hidden_layers": 1, "hidden_units": 3},
    "thinned": {"batch_size": 1, "epochs": 40},  # 80 × 40 updates > MAX_FRAMES: frames are thinned
    "diverged": {"dataset": "line800", "standardize": False, "optimizer": "sgd", "learning_rate": 10.0},
}


@pytest.mark.parametrize("case", CSV_CASES)
def test_history_csv_has_one_row_per_frame_and_the_output_neurons_parameters(case):
    exp = run(**CSV_CASES[case])
    h = exp.history
    table = pd.read_csv(BytesIO(export.csv_bytes(export.history_table(exp))))
    k = h.sizes[-2]
    expected_weights = ([f"w[h{j + 1}]" for j in range(k)] if len(h.sizes) > 2
                        else [f"w[{name}]" for name in exp.dataset.feature_names])
    assert list(table.columns) == ["step", "epoch", "batch", "batch_loss", *expected_weights, "b"]
    assert len(table) == len(h.step)
    np.testing.assert_array_equal(table["step"], h.step)
    np.testing.assert_array_equal(table["epoch"], h.epoch)
    np.testing.assert_array_equal(table["batch"], np.where(h.step > 0, h.batch + 1, 0))  # from 1, as on the page
    np.testing.assert_array_equal(table["batch_loss"], h.batch_loss)  # full precision: read back exactly
    np.testing.assert_array_equal(table[expected_weights].to_numpy(), h.w)
    np.testing.assert_array_equal(table["b"], h.b)
    if case == "thinned":
        assert len(table) == MAX_FRAMES + 1 < h.step[-1]


@pytest.mark.parametrize("case", CSV_CASES)
def test_epoch_csv_has_the_loss_before_training_and_after_each_epoch(case):
    exp = run(**CSV_CASES[case])
    h = exp.history
    table = pd.read_csv(BytesIO(export.csv_bytes(export.epoch_table(exp))))
    assert list(table.columns) == ["epoch", "train_loss", "validation_loss"]
    assert len(table) == len(h.train_loss)
    np.testing.assert_array_equal(table["epoch"], np.arange(len(h.train_loss)))
    np.testing.assert_array_equal(table["train_loss"], h.train_loss)
    if h.val_loss is None:
        assert table["validation_loss"].isna().all()
    else:
        np.testing.assert_array_equal(table["validation_loss"], h.val_loss)


# --------------------------------------------------------------------------------------------- JSON

JSON_CASES = {
    "default": {},
    "everything changed": {"dataset": "groups", "n_points": 60, "noise": 0.7, "validation_split": 0.3,
                           "standardize": True, "seed": 41, "activation": "sigmoid", "hidden_layers": 2,
                           "hidden_units": 3, "hidden_activation": "relu", "loss": "bce", "optimizer": "rmsprop",
                           "learning_rate": 0.003, "batch_size": 5, "epochs": 7, "shuffle": False},
    "features and digits": {"dataset": "digits", "digit_target": "3", "features": "pixel r3c3,pixel r4c4",
                            "epochs": 2, "activation": "sigmoid"},
    "diverged": {"dataset": "line800", "standardize": False, "optimizer": "sgd", "learning_rate": 10.0},
}


@pytest.mark.parametrize("case", JSON_CASES)
def test_run_file_round_trips_to_the_same_settings_and_parameters(case):
    exp = run(**JSON_CASES[case])
    text = export.run_json(exp)
    record = json.loads(text)  # strict JSON: no NaN or Infinity
    assert record["app"] == "neuron-playground" and record["version"] == 1
    assert set(record["settings"]) == set(FIELDS)
    final = record["final"]
    assert final["params"] == exp.history.params[-1].tolist()
    assert final["weights"] == exp.history.w[-1].tolist() and final["bias"] == exp.history.b[-1]
    assert final["train_loss"] == exp.history.train_loss[-1]
    loaded = export.parse_run_file(text.encode())
    assert loaded.settings == exp.settings
    assert loaded.notices == () and not loaded.adjusted
    assert loaded.params == tuple(exp.history.params[-1])
    assert export.compare_final(loaded.params, run_experiment(loaded.settings).history.params[-1])[0]


def _record(**edits) -> dict:
    record = json.loads(export.run_json(run(epochs=3)))
    record.update(edits)
    return record


BAD_FILES = {
    "not JSON": (b'{"app": "neuron-playground", "version": 1,', "not valid JSON"),
    "empty": (b"", "empty"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "not text"),
    "a list": (b"[1, 2, 3]", "JSON list"),
    "another app": (json.dumps({"app": "tensorflow-playground", "settings": {}}).encode(), "not saved by"),
    "newer version": (json.dumps(_record(version=2)).encode(), "newer"),
    "no settings": (json.dumps(_record(settings=None)).encode(), '"settings"'),
    "settings a list": (json.dumps(_record(settings=[1, 2])).encode(), '"settings"'),
    "final a number": (json.dumps(_record(final=3)).encode(), '"final"'),
    "params of text": (json.dumps(_record(final={"params": ["a", "b"]})).encode(), "final.params"),
    "params NaN": (b'{"app": "neuron-playground", "version": 1, "settings": {}, "final": {"params": [NaN]}}',
                   "final.params"),
    "too big": (b" " * (export.MAX_RUN_FILE_BYTES + 1), "MB"),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "JSON"),
}


@pytest.mark.parametrize("data, says", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_run_files_raise_a_readable_message(data, says):
    with pytest.raises(export.RunFileError) as error:
        export.parse_run_file(data)
    assert says in str(error.value)
    assert "Traceback" not in str(error.value) and len(str(error.value)) < 400


def test_unknown_missing_and_out_of_range_settings_load_with_notices():
    record = _record()
    settings = record["settings"]
    settings.update(epochs=10**6, learning_rate=0.57, optimizer="lbfgs", colour="red", shuffle="maybe")
    del settings["seed"]
    record["extra"] = 1
    loaded = export.parse_run_file(json.dumps(record).encode())
    notices = " ".join(loaded.notices)
    for expected in ("colour", "seed", "extra", "Epochs", "outside 1–500", "Learning rate", "lbfgs", "maybe"):
        assert expected in notices, expected
    assert loaded.adjusted
    assert loaded.settings.epochs == 500 and loaded.settings.learning_rate == 0.6  # nearest on the scale
    assert loaded.settings.optimizer == "adam" and loaded.settings.seed == 0  # defaults, not the file's


def test_compare_final_tells_equal_from_different():
    params = run().history.params[-1]
    assert export.compare_final(tuple(params), params)[0]
    equal, sentence = export.compare_final(tuple(params + 1e-12), params)
    assert not equal and "1e-12" in sentence
    assert not export.compare_final((1.0,), params)[0]


# ------------------------------------------------------------------------------------------- Script

SCRIPT_CASES = {
    "adam, linear + mse, mini-batch, shuffle": {},
    "sgd, batch 1, no shuffle": {"optimizer": "sgd", "learning_rate": 0.1, "batch_size": 1, "epochs": 4,
                                 "shuffle": False},
    "momentum, partial last batch": {"optimizer": "momentum", "learning_rate": 0.01, "batch_size": 7},
    "rmsprop, sigmoid + bce (fused)": {"dataset": "groups", "activation": "sigmoid", "optimizer": "rmsprop",
                                       "learning_rate": 0.01, "batch_size": 1, "epochs": 5},
    "hidden layers, relu": {"dataset": "sine", "hidden_layers": 2, "hidden_units": 5, "hidden_activation": "relu",
                            "learning_rate": 0.05, "batch_size": 10},
    "tanh + bce (clipped), 2-D, no validation": {"dataset": "blobs", "activation": "tanh", "loss": "bce",
                                                  "learning_rate": 0.01, "validation_split": 0.0},
    "sigmoid hidden + leaky relu, standardized, no shuffle": {
        "dataset": "breast_cancer", "activation": "sigmoid", "hidden_layers": 1, "hidden_units": 3,
        "hidden_activation": "leaky_relu", "optimizer": "momentum", "learning_rate": 0.003, "epochs": 3,
        "shuffle": False},
    "l2 penalty, hidden layer": {"dataset": "sine", "hidden_layers": 1, "hidden_units": 4, "regularization": "l2",
                                 "regularization_rate": 0.01, "learning_rate": 0.05},
    "l1 penalty, sigmoid + bce": {"dataset": "blobs", "activation": "sigmoid", "regularization": "l1",
                                  "regularization_rate": 0.03, "optimizer": "sgd", "learning_rate": 0.3},
    "diverged (sgd, lr 10)": {"dataset": "line800", "standardize": False, "optimizer": "sgd", "learning_rate": 10.0},
    "diverged later (momentum)": {"dataset": "line", "optimizer": "momentum", "learning_rate": 2.0, "batch_size": 1},
    "diverged in its first epoch (line, sgd, lr 10)": {"optimizer": "sgd", "learning_rate": 10.0},
}


def _run_script(code: str, tmp_path) -> dict:
    path = tmp_path / "neuron_run.py"
    path.write_text(code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # no way to import the playground
    done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", SCRIPT_CASES)
def test_exported_script_reproduces_the_engine(case, tmp_path):
    exp = run(**SCRIPT_CASES[case])
    h = exp.history
    assert (h.diverged_at is not None) == case.startswith("diverged")  # the cases test what they say
    result = _run_script(export.python_script(exp), tmp_path)
    params = np.array(result["params"])
    assert params.shape == h.params[-1].shape
    assert np.max(np.abs(params - h.params[-1])) <= SCRIPT_TOLERANCE
    assert np.max(np.abs(np.array(result["weights"]) - h.w[-1])) <= SCRIPT_TOLERANCE
    assert abs(result["bias"] - h.b[-1]) <= SCRIPT_TOLERANCE
    final = exp.final_losses()[0]  # the loss of the final parameters, as the page shows it (not the last epoch's)
    assert abs(result["train_loss"] - final) <= SCRIPT_TOLERANCE * max(1.0, abs(final))
    assert result["diverged_at"] == h.diverged_at


def test_exported_script_is_numpy_only_and_readable():
    exp = run(dataset="blobs", activation="sigmoid")
    code = export.python_script(exp)
    tree = ast.parse(code)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"json", "numpy"}
    assert "from playground" not in code and "import playground" not in code
    assert code.startswith(export.script_code())  # the fixed part is the linted module, as it is
    assert 100 <= export.SCRIPT_CODE_LINES <= 220
    assert export.script_code().count("#") >= 20  # commented for a student
    (run_literal,) = [node.value for node in tree.body if isinstance(node, ast.Assign)
                      and [t.id for t in node.targets] == ["RUN"]]
    data = ast.literal_eval(run_literal)  # the embedded data reads back bit for bit
    np.testing.assert_array_equal(data["X_train"], exp.X_train)
    np.testing.assert_array_equal(data["y_train"], exp.y_train)
    np.testing.assert_array_equal(data["X_val"], exp.X_val)
    np.testing.assert_array_equal(data["y_val"], exp.y_val)
    assert data["playground_settings"] == asdict(exp.settings)


# --------------------------------------------------------------------------------------------- HTML


def _fit_and_landscape_figure(exp) -> dict:
    """The figure of the "Fit & landscape" tab, from the same chart functions."""
    reference = None if exp.settings.hidden else reference_answer(exp.X_train, exp.y_train,
                                                                  exp.settings.activation, exp.loss)
    ls = compute_slice(exp, reference, *default_slice_parameters(exp))
    frames = frame_indices(len(exp.history.step))
    labels = [f"epoch {exp.history.epoch[f]} · step {exp.history.step[f]}" for f in frames]
    fit_reference = reference if exp.X_train.shape[1] == 1 else None
    return compose([fit_panel(exp, frames, fit_reference), landscape_panel(ls, frames)], labels, height=500)


@pytest.mark.parametrize("changes", [{}, {"dataset": "blobs", "activation": "sigmoid", "batch_size": 1}],
                         ids=["line", "blobs heatmap"])
def test_html_is_standalone_has_the_frames_and_play_and_stays_small(changes):
    figure = _fit_and_landscape_figure(run(**changes))
    html = export.animation_html(figure, "a <run> & more")
    assert html.lower().startswith("<!doctype html>") and html.rstrip().endswith("</html>")
    assert "<title>a &lt;run&gt; &amp; more</title>" in html
    drawn = embedded_figure(html)  # what the page's script hands plotly.js, parsed: not how it was escaped
    expected = json.loads(export.figure_json(figure))
    assert [frame["name"] for frame in drawn["frames"]] == [frame["name"] for frame in figure["frames"]]
    assert_same_values(drawn["frames"], expected["frames"], where="frames")
    assert_same_values(drawn["data"], expected["data"], where="data")
    (menu,) = drawn["layout"]["updatemenus"]
    assert [button["label"] for button in menu["buttons"]][0] == "▶ Play"
    assert "Plotly.animate" not in html  # auto_play=False: it opens paused
    assert "<script src=" not in html and "<script type=\"text/javascript\" src=" not in html  # inlined: offline
    size = len(html.encode("utf-8"))
    assert size <= min(HTML_LIMIT, MAX_HTML_BYTES)
    estimate = export.plotly_js_bytes() + len(export.figure_json(figure))
    assert abs(size - estimate) <= 20_000  # the size the page announces is close


# ------------------------------------------------------------------------------------------ The tab

DOWNLOADS = ["⬇️ Every step (CSV)", "⬇️ Loss per epoch (CSV)", "⬇️ Fit & landscape (HTML)", "⬇️ Run file (JSON)",
             "⬇️ Training script (.py)"]


def _clean(at):
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error, [e.value for e in at.error]


@pytest.mark.parametrize("query", [{}, {"dataset": "sine", "hidden_layers": "1"},
                                   {"dataset": "line800", "standardize": "false", "optimizer": "sgd",
                                    "learning_rate": "10"}],
                         ids=["default", "hidden layer", "diverged"])
def test_export_tab_renders_every_download_and_the_loader(app, query):
    at = app(view="Export", **query)
    _clean(at)
    assert [b.label for b in at.get("download_button")] == DOWNLOADS
    (uploader,) = at.get("file_uploader")
    assert uploader.label == "Load a run (JSON)"
    assert any("MB" in c.value and "offline" in c.value for c in at.caption)


def test_loading_a_run_file_re_creates_the_run(app):
    saved = run(dataset="groups", activation="sigmoid", optimizer="momentum", learning_rate=0.03, batch_size=4,
                epochs=9, seed=12)
    at = app(view="Export")
    at.file_uploader(key="export_run_file").set_value(("run.json", export.run_json(saved).encode(),
                                                       "application/json")).run()
    _clean(at)
    assert at.session_state["settings"] == saved.settings
    assert any("all 2 parameters equal" in s.value for s in at.success)
    assert at.session_state["w_optimizer"] == "momentum"  # the sidebar shows the file's settings


def test_a_bad_or_adjusted_run_file_is_explained_in_the_page(app):
    at = app(view="Export")
    before = at.session_state["settings"]
    at.file_uploader(key="export_run_file").set_value(("broken.json", b"{oops", "application/json")).run()
    assert not at.exception
    assert any("broken.json" in shown(e.value) and "not valid JSON" in shown(e.value) for e in at.error)
    assert at.session_state["settings"] == before
    record = json.loads(export.run_json(run(epochs=5)))
    record["settings"].update(epochs=9999, colour="red")
    at.file_uploader(key="export_run_file").set_value(("odd.json", json.dumps(record).encode(),
                                                       "application/json")).run()
    _clean(at)
    assert at.session_state["settings"].epochs == 500
    assert any("colour" in i.value and "outside" in i.value for i in at.info)
    assert any("does not end at the file's final weights" in w.value for w in at.warning)


def test_settings_in_the_run_file_are_every_field():
    assert set(asdict(Settings())) == set(json.loads(export.run_json(run()))["settings"])


@pytest.mark.parametrize(("edit", "reason"), [
    ({"learning_rate": 0.1}, "settings were changed after it was saved"),  # a valid value, edited by hand
    ({}, None),  # untouched: it re-creates exactly, nothing to explain
])
def test_an_edited_run_file_is_called_edited_not_another_numpy(app, edit, reason):
    record = json.loads(export.run_json(run(epochs=5)))
    record["settings"].update(edit)
    at = app(view="Export")
    at.file_uploader(key="export_run_file").set_value(("edited.json", json.dumps(record).encode(),
                                                       "application/json")).run()
    _clean(at)
    warnings = " ".join(w.value for w in at.warning)
    if reason is None:
        assert not warnings and any("parameters equal" in s.value for s in at.success)
    else:
        assert reason in warnings and "NumPy" not in warnings


def test_the_run_files_final_losses_are_those_of_its_final_parameters():
    exp = run(optimizer="sgd", learning_rate=10.0)  # explodes in its first epoch
    assert exp.history.diverged_at is not None
    final = json.loads(export.run_json(exp))["final"]
    net = exp.history.network(-1)
    assert final["params"] == exp.history.params[-1].tolist()
    assert final["train_loss"] == net.loss_value(exp.X_train, exp.y_train)  # not the last epoch's
