"""Set weights by hand (notebook 003) and the activation gallery (notebook 002): numbers and pages."""

import math

import numpy as np
import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from playground.charts import gallery, handset
from playground.datasets import make_dataset
from playground.engine import ACTIVATIONS, parameter_counts
from playground.experiment import load_settings, run_experiment
from playground.lessons import LESSONS
from playground.settings import Settings
from tests.conftest import APP
from tests.page import assert_clean, figure


def house():
    return make_dataset("house", 2, 1.0, 0)


def six():
    return make_dataset("logistic6", 6, 1.0, 0)


def slider(at, label):
    (found,) = [s for s in at.slider if s.label == label]
    return found


def metric(at, label_start):
    (found,) = [m for m in at.metric if m.label.startswith(label_start)]
    return found.value


# --- the numbers -------------------------------------------------------------------------------


def test_house_prices_at_the_notebook_weights_are_exact():
    data = house()
    result = handset.readout(data.X, data.y, 200, 100, "linear", "mse")
    assert result.predictions.tolist() == [300.0, 500.0]
    assert result.loss == 0.0
    assert result.at_zero == 100.0
    assert handset.readout(data.X, data.y, 150, 100, "linear", "mse").loss == (50**2 + 100**2) / 2


def test_logistic_neuron_at_x_zero_is_sigmoid_of_the_bias():
    data = six()
    result = handset.readout(data.X, data.y, 2.0, -4.5, "sigmoid", "bce")
    assert round(result.at_zero, 2) == 0.01
    assert abs(result.at_zero - 1.0 / (1.0 + math.exp(4.5))) < 1e-12
    assert result.predictions[0] == result.at_zero  # x = 0 is the first point
    assert handset.decision_boundary(2.0, -4.5) == 2.25
    z = 2.0 * data.X[:, 0] - 4.5
    expected = np.mean(-(data.y * np.log(1 / (1 + np.exp(-z))) + (1 - data.y) * np.log(1 - 1 / (1 + np.exp(-z)))))
    assert result.loss == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("key, activation, w, b", [("house", "linear", 200, 100), ("logistic6", "sigmoid", 2.0, -4.5)])
def test_the_notebook_values_are_the_defaults_and_exactly_reachable(key, activation, w, b):
    data = make_dataset(key, 6, 1.0, 0)
    for rng, value in zip(handset.slider_ranges(key, data.X, data.y, activation, "auto", data.task), (w, b)):
        assert rng.default == value
        steps = (value - rng.lo) / rng.step
        assert rng.lo <= value <= rng.hi and abs(steps - round(steps)) < 1e-9


def test_generic_ranges_centre_on_the_exact_answer_with_room():
    data = make_dataset("line", 100, 1.0, 0)
    w_range, b_range = handset.slider_ranges("line", data.X, data.y, "linear", "mse", data.task)
    w_exact, b_exact = np.polyfit(data.X[:, 0], data.y, 1)
    assert abs(w_range.default - w_exact) <= w_range.step / 2 + 1e-12
    assert abs(b_range.default - b_exact) <= b_range.step / 2 + 1e-12
    assert w_range.lo < 0 < 2 * w_exact < w_range.hi
    # Separable classes have no finite optimum; the sliders still centre on a sensible steep sigmoid.
    data = six()
    w_range, b_range = handset.slider_ranges("custom", data.X, data.y, "sigmoid", "bce", data.task)
    assert w_range.default > 0 and w_range.lo <= w_range.default <= w_range.hi
    assert -b_range.default / w_range.default == pytest.approx(2.5, abs=0.1)


@pytest.mark.parametrize("n_features, hidden, per_layer", [(1, (), [2]), (1, (1,), [2, 2]), (64, (4,), [260, 5])])
def test_model_summary_counts_are_the_engines(n_features, hidden, per_layer):
    assert parameter_counts(n_features, hidden) == per_layer
    rows = handset.summary_rows(n_features, hidden)
    assert [count for *_, count in rows] == per_layer
    assert [shape for _, shape, _ in rows][-1] == "(None, 1)"
    text = handset.model_summary(n_features, hidden)
    assert f"Total params: {sum(per_layer)}" in text and "Non-trainable params: 0" in text


def test_summary_totals_match_notebooks_000_and_002():
    assert "Total params: 2\n" in handset.model_summary(1)
    assert "Total params: 4\n" in handset.model_summary(1, (1,))
    assert "Total params: 265\n" in handset.model_summary(64, (4,))


def test_handset_figures_are_valid_plotly_and_show_the_notebook_picture():
    data = house()
    linear = handset.handset_figure(data.X[:, 0], data.y, 200, 100, "linear", data.task, "x", "y")
    go.Figure(linear)
    line = [t for t in linear["data"] if t.get("name", "").startswith("ŷ =")][0]
    assert line["name"] == "ŷ = 200·x + 100"
    assert np.allclose(np.array(line["y"]), 200 * np.array(line["x"]) + 100, rtol=1e-4)
    assert linear["layout"]["xaxis"]["range"][0] < 0  # x = 0 shown: there ŷ = b

    data = six()
    logistic = handset.handset_figure(data.X[:, 0], data.y, 2.0, -4.5, "sigmoid", data.task, "x", "y")
    go.Figure(logistic)
    (shading,) = [t for t in logistic["data"] if t["type"] == "heatmap"]
    assert shading["zmin"] == 0 and shading["zmax"] == 1 and min(shading["z"][0]) < 0.01 < 0.99 < max(shading["z"][0])
    assert {t["name"] for t in logistic["data"]} >= {"y = 0", "y = 1"}
    boundaries = [s for s in logistic["layout"]["shapes"] if s.get("x0") == s.get("x1") == 2.25]
    assert boundaries, "the 0.5 decision boundary is marked"
    assert any("ŷ = 0.01" in a["text"] for a in logistic["layout"]["annotations"])


# --- the gallery -------------------------------------------------------------------------------


@pytest.mark.parametrize("highlight", [gallery.ALL, *ACTIVATIONS])
def test_gallery_curves_are_the_engines_activations(highlight):
    fig = gallery.gallery_figure(highlight)
    go.Figure(fig)
    drawn = {(t["meta"]["activation"], t["meta"]["curve"]): t for t in fig["data"]}
    assert {name for name, _ in drawn} == set(ACTIVATIONS)
    z = gallery.grid()
    assert z[0] == -6 and z[-1] == 6 and 0.0 in z
    for name, activation in ACTIVATIONS.items():
        a = activation.f(z)
        da = np.broadcast_to(activation.df(z, a), z.shape)
        assert drawn[name, "f"]["x"] == z.tolist() and drawn[name, "df"]["x"] == z.tolist()
        assert drawn[name, "f"]["y"] == a.tolist()
        assert drawn[name, "df"]["y"] == da.tolist()
        assert drawn[name, "f"]["line"]["width"] == drawn[name, "df"]["line"]["width"]
    if highlight != gallery.ALL:
        widths = {name: drawn[name, "f"]["line"]["width"] for name in ACTIVATIONS}
        assert max(widths, key=widths.get) == highlight


def test_gallery_shades_the_vanishing_gradient():
    z = gallery.grid()
    slope = ACTIVATIONS["sigmoid"].df(z, ACTIVATIONS["sigmoid"].f(z))
    regions = gallery.low_gradient_regions(z, slope, 0.05)
    assert [r[0] for r in regions][0] == -6 and regions[-1][1] == 6 and len(regions) == 2
    assert regions[0][1] == pytest.approx(-2.9) and regions[1][0] == pytest.approx(2.9)  # σ′(±2.94) = 0.05
    for highlight, shaded in [("sigmoid", "sigmoid"), ("tanh", "tanh"), (gallery.ALL, "sigmoid")]:
        fig = gallery.gallery_figure(highlight)
        rects = [s for s in fig["layout"]["shapes"] if s["type"] == "rect"]
        assert len(rects) == 4  # two regions × two panels
        inner = [s["x1"] for s in rects if s["x0"] == -6]
        edge = {"sigmoid": 2.9, "tanh": 2.2}[shaded]
        assert inner and all(x == pytest.approx(-edge) for x in inner)
        texts = [a["text"] for a in fig["layout"]["annotations"]]
        assert sum("learning stalls" in t for t in texts) == 2
    assert not [s for s in gallery.gallery_figure("linear")["layout"]["shapes"] if s["type"] == "rect"]


# --- the page ----------------------------------------------------------------------------------


def test_lesson_opens_set_weights_on_house_prices(app):
    at = app(lesson="set-weights")
    assert_clean(at)
    assert LESSONS["set-weights"].parts[0].view == "Set weights by hand"
    assert slider(at, "w (weight)").value == 200 and slider(at, "b (bias)").value == 100
    assert metric(at, "Mean squared error") == "0"
    (table,) = at.dataframe
    frame = table.value
    assert frame.iloc[:, 0].tolist() == [1.0, 2.0] and frame["ŷ"].tolist() == [300.0, 500.0]
    assert any("Total params: 2\n" in c.value for c in at.code)
    fig = figure(at, "handset_figure")
    assert any(t.get("name") == "ŷ = 200·x + 100" for t in fig["data"])


def test_moving_w_changes_the_loss_readout(app):
    at = app(lesson="set-weights")
    slider(at, "w (weight)").set_value(150).run()
    assert_clean(at)
    assert metric(at, "Mean squared error") == "6250"  # ((250 − 300)² + (400 − 500)²) / 2
    assert at.dataframe[0].value["ŷ"].tolist() == [250.0, 400.0]
    at.button(key=[b.key for b in at.button if b.key and b.key.startswith("handset_reset_")][0]).click().run()
    assert slider(at, "w (weight)").value == 200 and metric(at, "Mean squared error") == "0"


def test_lesson_part_two_is_the_logistic_neuron(app):
    at = app(lesson="set-weights:2")
    assert_clean(at)
    assert slider(at, "w (weight)").value == 2.0 and slider(at, "b (bias)").value == -4.5
    assert metric(at, "Prediction at x = 0") == "0.01"
    before = metric(at, "Cross-entropy")
    assert float(before) == pytest.approx(handset.readout(six().X, six().y, 2.0, -4.5, "sigmoid", "bce").loss,
                                          rel=1e-3)
    fig = figure(at, "handset_figure")
    assert any(t["type"] == "heatmap" for t in fig["data"])
    slider(at, "w (weight)").set_value(3.0).run()
    assert_clean(at)
    assert metric(at, "Cross-entropy") != before


def test_many_features_explain_and_still_count_parameters(app):
    at = app(view="Set weights by hand", dataset="digits", hidden_layers="1", hidden_units="4", epochs="1")
    assert_clean(at)
    assert any("one feature" in i.value for i in at.info)
    assert not [s for s in at.slider if s.label == "w (weight)"]
    assert any("Total params: 265\n" in c.value for c in at.code)
    assert any(b.key == "handset_lesson_0" for b in at.button)
    at.button(key="handset_lesson_0").click().run()
    assert_clean(at)
    assert slider(at, "w (weight)").value == 200


def test_hidden_layer_settings_get_their_own_summary(app):
    at = app(view="Set weights by hand", dataset="house", hidden_layers="1", hidden_units="1")
    assert_clean(at)
    codes = [c.value for c in at.code if "Model:" in c.value]
    assert any("Total params: 2\n" in c for c in codes) and any("Total params: 4\n" in c for c in codes)


def test_views_work_without_a_training_run(app):
    # Cross-entropy on a regression target cannot be trained: the other views say so, these two still work.
    at = app(view="Set weights by hand", dataset="house", loss="bce")
    assert not at.exception
    assert metric(at, "Mean squared error") == "0"
    at = app(view="Activations", dataset="house", loss="bce")
    assert not at.exception and figure(at, "gallery_figure")["data"]


def test_activations_view_renders_and_highlights(app):
    at = app(view="Activations")
    assert_clean(at)
    fig = figure(at, "gallery_figure")
    assert len(fig["data"]) == 2 * len(ACTIVATIONS)
    at.radio(key="gallery_highlight").set_value("relu").run()
    assert_clean(at)
    fig = figure(at, "gallery_figure")
    widths = {t["meta"]["activation"]: t["line"]["width"] for t in fig["data"]}
    assert max(widths, key=widths.get) == "relu"
    assert any("ReLU" in i.value for i in at.info)
    at.run()  # the reader's choice stays
    assert at.radio(key="gallery_highlight").value == "relu"


@pytest.mark.parametrize("activation", ["linear", "sigmoid", "tanh"])
def test_activations_view_opens_on_the_sidebars_output_activation(app, activation):
    at = app(view="Activations", activation=activation)
    assert_clean(at)
    assert at.radio(key="gallery_highlight").value == activation
    at.selectbox(key="w_activation").set_value("relu").run()  # the sidebar moves: the highlight follows
    assert at.radio(key="gallery_highlight").value == "relu"


def test_data_cache_keys_only_on_the_data_settings():
    a = Settings(dataset="house", epochs=5, learning_rate=0.01)
    b = Settings(dataset="house", epochs=300, optimizer="sgd")
    assert load_settings(a) == load_settings(b) != load_settings(Settings(dataset="logistic6"))
    assert load_settings(Settings(dataset="upload", target="z")) != load_settings(Settings(dataset="upload"))


def test_a_csvs_chosen_target_is_the_one_set_by_hand():
    rows = [(i, 3 * i - 2, (i * 7) % 5) for i in range(20)]  # x, z = 3x − 2, y: a column that is not the target
    csv = ("x,z,y\n" + "\n".join(f"{x},{z},{y}" for x, z, y in rows)).encode()
    at = AppTest.from_file(APP, default_timeout=30)
    for name, value in {"dataset": "upload", "target": "z", "features": "x", "view": "Set weights by hand"}.items():
        at.query_params[name] = value
    at.session_state["upload_bytes"] = csv
    at.run()
    assert_clean(at)
    trained = run_experiment(at.session_state["settings"], csv)  # what the other views train: x → z
    assert trained.dataset.target_name == "z" and list(trained.dataset.feature_names) == ["x"]
    (table,) = at.dataframe
    assert list(table.value.columns[:2]) == ["x", "z"]
    assert table.value["z"].tolist() == [float(z) for _, z, _ in rows[:len(table.value)]]
    points = [t for t in figure(at, "handset_figure")["data"] if t.get("mode") == "markers"]
    assert points and points[0]["y"] == [float(z) for _, z, _ in rows]
