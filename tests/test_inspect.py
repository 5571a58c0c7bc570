"""The Inspect view: records table, weights vs the exact answer, digits as images and their mistakes.

Each check compares what is drawn with numbers computed independently (the History itself,
np.linalg.lstsq, the trained network's predictions), so a wrong index or order fails.
"""

import io
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from playground import export
from playground.charts.inspect import (
    MAX_SHOWN_ROWS,
    digits_figure,
    hidden_weights_figure,
    is_thinned,
    last_frame_of_epoch,
    misclassified,
    records_table,
    shown_rows,
    weight_image_figure,
    weights_vs_exact_figure,
)
from playground.experiment import run_experiment
from playground.lessons import LESSONS
from playground.sections import inspect as section
from playground.settings import Settings
from tests.page import assert_clean, figure, figures

MAX_FIGURE_BYTES = 100_000


def lesson_run(lesson: str, part: int = 0, **overrides):
    settings = LESSONS[lesson].parts[part].settings()
    return run_experiment(replace(settings, **overrides))


@pytest.fixture(scope="module")
def line_run():
    return lesson_run("gradient-descent")  # y = 8x: 5 mini-batches per epoch, 100 epochs


@pytest.fixture(scope="module")
def diabetes_run():
    return lesson_run("gradient-descent", 1)


@pytest.fixture(scope="module")
def digits_run():
    return lesson_run("digits")


@pytest.fixture(scope="module")
def digits_hidden_run():
    return lesson_run("digits", 1)


# --- Records table ---------------------------------------------------------------------------------

def test_records_table_rows_are_the_history_at_each_epoch_and_batch(line_run):
    h = line_run.history
    table = records_table(h, section.weight_names(line_run), line_run.loss)
    assert table.index.names == ["epoch", "batch"]
    assert list(table.columns) == ["step", "w", "bias", "batch loss (mse)"]
    assert len(table) == len(h.step) == 99 * 5 + 1 and table.index.is_unique
    rng = np.random.default_rng(1)
    for frame in [0, 1, 4, 5, 6, 250, len(h.step) - 1, *rng.integers(0, len(h.step), 20)]:
        row = table.loc[(int(h.epoch[frame]), int(h.batch[frame]) + (frame > 0))]  # batches from 1, as step-through
        assert row["step"] == h.step[frame]
        assert row["w"] == h.params[frame, 0]
        assert row["bias"] == h.params[frame, 1]
        assert row["batch loss (mse)"] == h.batch_loss[frame]
    # update 7 is the second batch of epoch 2 (5 batches per epoch), made by the batch with that loss
    assert table.loc[(2, 2), "step"] == 7
    assert table.loc[(2, 2), "batch loss (mse)"] == h.batch_loss[7]
    assert (table.loc[(0, 0), "batch loss (mse)"]) == h.train_loss[0]


def test_records_table_multi_feature_and_hidden_columns(diabetes_run, digits_hidden_run):
    h = diabetes_run.history
    table = records_table(h, section.weight_names(diabetes_run), diabetes_run.loss)
    names = list(diabetes_run.dataset.feature_names)
    assert list(table.columns) == ["step", *[f"w[{n}]" for n in names], "bias", "batch loss (mse)"]
    np.testing.assert_array_equal(table[[f"w[{n}]" for n in names]].to_numpy(), h.params[:, :10])
    np.testing.assert_array_equal(table["bias"].to_numpy(), h.params[:, 10])

    h = digits_hidden_run.history
    table = records_table(h, section.weight_names(digits_hidden_run), digits_hidden_run.loss)
    hidden = [f"w from hidden {j}" for j in range(1, 5)]
    assert list(table.columns) == ["step", *hidden, "bias", "batch loss (bce)"]
    np.testing.assert_array_equal(table[hidden].to_numpy(), h.params[:, -5:-1])
    np.testing.assert_array_equal(table[hidden].iloc[-1].to_numpy(), h.network(-1).weights[1][:, 0])


def test_csv_round_trips_the_whole_table_and_the_page_shows_first_and_last_rows(digits_run):
    table = records_table(digits_run.history, section.weight_names(digits_run), digits_run.loss)
    assert len(table) == 901 > MAX_SHOWN_ROWS
    back = pd.read_csv(io.BytesIO(export.csv_bytes(table, index=True)), index_col=[0, 1])  # the download
    assert back.shape == table.shape and list(back.index) == list(table.index)
    np.testing.assert_allclose(back.to_numpy(), table.to_numpy(), rtol=1e-15)
    shown = shown_rows(table)
    assert len(shown) == MAX_SHOWN_ROWS
    assert shown.index[0] == (0, 0) and shown.index[-1] == table.index[-1]
    pd.testing.assert_frame_equal(shown.iloc[-5:], table.iloc[-5:])


def test_thinned_history_is_detected_and_epochs_map_to_their_last_frame():
    exp = run_experiment(Settings.from_mapping({"dataset": "sine", "batch_size": 1, "epochs": 30})[0])
    h = exp.history
    assert h.step[-1] == 2400 and len(h.step) == 2001 and is_thinned(h)
    for epoch in range(0, 31):
        frame = last_frame_of_epoch(h, epoch)
        assert h.epoch[frame] == epoch
        assert frame == len(h.step) - 1 or h.epoch[frame + 1] == epoch + 1
    assert last_frame_of_epoch(h, 0) == 0
    assert not is_thinned(lesson_run("gradient-descent").history)


# --- Weights vs the exact answer ---------------------------------------------------------------------

def test_bars_are_the_weights_at_the_epochs_last_frame_and_the_lstsq_coefficients(diabetes_run):
    exp = diabetes_run
    h = exp.history
    design = np.column_stack([exp.X_train, np.ones(len(exp.y_train))])
    ols = np.linalg.lstsq(design, exp.y_train, rcond=None)[0][:-1]
    names = list(exp.dataset.feature_names)
    for epoch in (0, 1, 10, 99):
        figure = weights_vs_exact_figure(h, names, ols, epoch, "least squares")
        neuron, exact = figure["data"]
        assert neuron["x"] == exact["x"] == names
        frame = int(np.flatnonzero(h.epoch == epoch)[-1])  # full batch: one update per epoch
        assert h.step[frame] == epoch
        np.testing.assert_allclose(neuron["y"], h.params[frame, :10], rtol=1e-4)
        np.testing.assert_allclose(exact["y"], ols, rtol=1e-4)
    go.Figure(figure)  # valid Plotly


def test_diabetes_lesson_shows_the_bar_chart_and_follows_the_epoch_slider(app):
    at = app(lesson="gradient-descent:2")
    assert_clean(at)
    bars = figure(at, "inspect_bars")
    exp = run_experiment(at.session_state["settings"])
    design = np.column_stack([exp.X_train, np.ones(len(exp.y_train))])
    ols = np.linalg.lstsq(design, exp.y_train, rcond=None)[0][:-1]
    np.testing.assert_allclose(bars["data"][1]["y"], ols, rtol=1e-4)
    np.testing.assert_allclose(bars["data"][0]["y"], exp.history.params[-1, :10], rtol=1e-4)
    at.slider(key=section.EPOCH_KEY).set_value(10).run()
    assert_clean(at)
    bars = figure(at, "inspect_bars")
    np.testing.assert_allclose(bars["data"][0]["y"], exp.history.params[10, :10], rtol=1e-4)
    assert "epoch 10" in bars["data"][0]["name"]
    assert len(at.dataframe) == 1 and at.get("download_button")
    at.slider(key="w_epochs").set_value(5).run()  # a shorter run: the chosen epoch is clamped, no error
    assert_clean(at)
    assert at.slider(key=section.EPOCH_KEY).value == 5 and at.slider(key=section.EPOCH_KEY).max == 5
    at.slider(key="w_epochs").set_value(50).run()  # a longer one keeps it
    assert_clean(at)
    assert at.slider(key=section.EPOCH_KEY).value == 5


def test_no_bars_without_several_inputs_or_an_exact_answer(line_run, digits_hidden_run):
    assert not section.compares_with_exact(line_run, (np.array([1.0]), 0.0))  # one input
    assert not section.compares_with_exact(digits_hidden_run, (np.zeros(64), 0.0))  # hidden layer
    exp = lesson_run("gradient-descent", 1)
    assert not section.compares_with_exact(exp, None)
    assert section.compares_with_exact(exp, (np.zeros(10), 0.0))


# --- Digits -----------------------------------------------------------------------------------------

def test_weight_image_puts_feature_8r_plus_c_at_row_r_column_c():
    w = np.arange(64.0) - 20.0
    z = np.array(weight_image_figure(w)["data"][0]["z"])
    for r in range(8):
        for c in range(8):
            assert z[r, c] == w[8 * r + c]
    trace = weight_image_figure(w)["data"][0]
    assert trace["zmin"] == -trace["zmax"]  # centred at 0
    layout = weight_image_figure(w)["layout"]
    assert layout["yaxis"]["range"][0] > layout["yaxis"]["range"][1]  # row 0 at the top


def test_hidden_images_are_each_neurons_incoming_weights():
    W = np.arange(64.0 * 4).reshape(64, 4)  # W[i, j]: pixel i → hidden neuron j
    figure = hidden_weights_figure(W)
    assert len(figure["data"]) == 4
    for j, trace in enumerate(figure["data"]):
        z = np.array(trace["z"])
        np.testing.assert_array_equal(z, W[:, j].reshape(8, 8))
        assert z[2, 5] == W[8 * 2 + 5, j]
        suffix = "" if j == 0 else str(j + 1)
        assert trace["xaxis"] == f"x{suffix}" and f"xaxis{suffix}" in figure["layout"]
    assert figure["layout"]["coloraxis"]["cmin"] == -figure["layout"]["coloraxis"]["cmax"]
    go.Figure(figure)


def test_digit_images_show_the_original_pixels_in_reading_order():
    from sklearn.datasets import load_digits

    bunch = load_digits()
    figure = digits_figure(bunch.data[:3], ["0", "1", "2"])
    for trace, image in zip(figure["data"], bunch.images[:3]):
        np.testing.assert_array_equal(np.array(trace["z"]), image)
        assert trace["zmin"] == 0 and trace["zmax"] == 16
        assert trace["colorscale"][0][1] == "#ffffff" and trace["colorscale"][-1][1] == "#000000"
    assert [a["text"] for a in figure["layout"]["annotations"]] == ["0", "1", "2"]
    go.Figure(figure)


def test_misclassified_indices_are_wrong_most_confident_first():
    p = np.array([0.9, 0.2, 0.6, 0.4, 0.01, 0.5, 0.99])
    y = np.array([1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0])
    assert misclassified(p, y).tolist() == [4, 1, 2, 5]  # 0.49, 0.3, 0.1, 0.0 from the threshold
    assert misclassified(p, y, limit=2).tolist() == [4, 1]
    assert misclassified(p[:1], y[:1]).size == 0


@pytest.mark.parametrize("standardize", [False, True])
def test_misclassified_validation_digits_are_misclassified_by_the_model(standardize):
    exp = lesson_run("digits", standardize=standardize)
    p = exp.history.network(-1).predict(exp.X_val)
    wrong = misclassified(section.validation_outputs(exp), exp.y_val)
    assert 0 < wrong.size <= 8
    assert np.all((p[wrong] >= 0.5) != (exp.y_val[wrong] == 1))
    pixels = section.original_pixels(exp, exp.X_val[wrong])
    np.testing.assert_allclose(pixels, np.rint(pixels), atol=1e-9)  # back to the 0–16 integers
    assert pixels.min() >= -1e-9 and pixels.max() <= 16 + 1e-9
    digits = [section.digit_of(row) for row in pixels]
    assert None not in digits
    odd = exp.y_val[wrong] == 1
    assert [d % 2 == 1 for d in digits] == odd.tolist()  # the recovered digit agrees with the target


def test_digits_page_draws_the_mistakes_and_the_learned_weights(app):
    at = app(view="Inspect", dataset="digits", activation="sigmoid")
    assert_clean(at)
    exp = run_experiment(at.session_state["settings"])
    assert exp.history.sizes == (64, 1)
    image = np.array(figure(at, "inspect_weight_image")["data"][0]["z"])
    np.testing.assert_allclose(image, exp.history.w[-1].reshape(8, 8), rtol=1e-3)

    mistakes = figure(at, "inspect_mistakes")
    p = exp.history.predict(exp.X_val)
    pixels = np.rint(section.original_pixels(exp, exp.X_val))  # (n_val, 64) as drawn: the 0–16 ink, not scaled
    wrong_rows = pixels[(p >= 0.5) != (exp.y_val == 1)]
    assert 0 < len(mistakes["data"]) <= 8
    rows = []
    for trace, annotation in zip(mistakes["data"], mistakes["layout"]["annotations"]):
        shown = np.rint(np.array(trace["z"]).reshape(64))  # the ink drawn, to the 0–16 integers it stands for
        assert np.any(np.all(wrong_rows == shown, axis=1)), "a drawn digit is not a misclassified one"
        (row,) = np.flatnonzero(np.all(pixels == shown, axis=1))
        rows.append(int(row))
        truth = "odd" if exp.y_val[row] == 1 else "even"
        assert f"{section.digit_of(shown)}: {truth}<br>P(odd) {p[row]:.2f}" == annotation["text"]
    assert rows == misclassified(p, exp.y_val).tolist()  # each image with its own title, most confident first
    examples = figure(at, "inspect_digits")
    assert len(examples["data"]) == 10
    text = " ".join(m.value for m in at.markdown)
    accuracy = np.mean((p >= 0.5) == (exp.y_val == 1))
    assert f"Validation accuracy: {accuracy:.1%}" in text
    for shown in figures(at).values():
        assert len(json.dumps(shown)) < MAX_FIGURE_BYTES


def test_digits_lesson_with_a_hidden_layer_draws_each_hidden_neuron(app):
    at = app(lesson="digits:2")
    assert_clean(at)
    exp = run_experiment(at.session_state["settings"])
    hidden = figure(at, "inspect_hidden_images")
    W = exp.history.network(-1).weights[0]
    assert len(hidden["data"]) == W.shape[1] == 4
    for j, trace in enumerate(hidden["data"]):
        np.testing.assert_allclose(np.array(trace["z"]), W[:, j].reshape(8, 8), rtol=1e-3, atol=1e-6)
    assert not [k for k in figures(at) if k.endswith("inspect_weight_image")]


def test_inspect_renders_for_other_datasets_with_only_what_applies(app):
    at = app(view="Inspect")  # the default line: one input, the table only
    assert_clean(at)
    assert not [k for k in figures(at) if "inspect" in k]
    assert len(at.dataframe) == 1
    at = app(view="Inspect", dataset="sine", batch_size="1")  # 2400 updates: thinned
    assert_clean(at)
    assert any("evenly spaced" in i.value for i in at.info)
