"""The page as a person uses it, through Streamlit's AppTest: every control combination runs,
the animation follows the settings, and a failing run teaches instead of crashing."""

import json

import pytest

from playground.datasets import DATASETS, UPLOAD
from playground.engine import ACTIVATIONS, OPTIMIZERS
from playground.settings import LEARNING_RATES
from tests.page import assert_clean, figures


def main_figure(at) -> dict:
    (figure,) = [f for f in figures(at).values() if "frames" in f]
    return figure


def test_defaults_render_equation_metrics_and_the_animation(app):
    at = app()
    assert_clean(at)
    assert r"\hat y = " in at.latex[0].value
    assert any("Neuron vs exact answer" in m.value for m in at.markdown)
    figure = main_figure(at)
    assert 2 <= len(figure["frames"]) <= 150
    assert figure["layout"]["updatemenus"][0]["buttons"][0]["label"] == "▶ Play"
    assert figure["frames"][0]["name"].startswith("epoch 0 · step 0")
    assert len(json.dumps(figure)) <= 300_000


@pytest.mark.parametrize("dataset", [key for key in DATASETS if key != UPLOAD])
def test_every_activation_and_optimizer_on_every_dataset(app, dataset):
    at = app(dataset=dataset)
    assert_clean(at)
    for activation in ACTIVATIONS:
        for optimizer in OPTIMIZERS:
            at.selectbox(key="w_activation").set_value(activation)
            at.selectbox(key="w_optimizer").set_value(optimizer).run()
            assert_clean(at)
            assert main_figure(at)["frames"], (dataset, activation, optimizer)


@pytest.mark.parametrize("learning_rate", [LEARNING_RATES[0], LEARNING_RATES[-1]])
@pytest.mark.parametrize("batch_size", ["1", "2000"])
def test_batch_size_and_learning_rate_extremes(app, batch_size, learning_rate):
    at = app(batch_size=batch_size, learning_rate=str(learning_rate), epochs="20")
    assert_clean(at)
    caption = " ".join(c.value for c in at.sidebar.caption)
    assert ("Stochastic" if batch_size == "1" else "Full batch") in caption
    assert main_figure(at)["frames"]


def test_animation_frames_change_with_the_learning_rate(app):
    at = app()
    before = main_figure(at)["frames"]
    at.select_slider(key="w_learning_rate").set_value(0.01).run()
    assert_clean(at)
    after = main_figure(at)["frames"]
    assert before[-1]["data"] != after[-1]["data"]
    assert before[0]["data"] == after[0]["data"]  # same data and start: only the training differs


@pytest.mark.parametrize(("query", "reason"), [
    ({"dataset": "logistic6", "activation": "sigmoid"}, "infinitely large"),  # separable: the optimum is at infinity
    ({"hidden_layers": "1"}, "hidden layers"),
    ({"activation": "tanh"}, "least squares"),
])
def test_without_an_exact_answer_the_page_says_why(app, query, reason):
    at = app(**query)
    assert_clean(at)
    assert not any("Neuron vs exact answer" in m.value for m in at.markdown)
    assert any(reason in c.value for c in at.caption)


def test_divergence_is_a_lesson_not_a_traceback(app):
    at = app(dataset="line800", standardize="false", optimizer="sgd", learning_rate="10")
    assert not at.exception
    assert any("made the loss explode" in w.value for w in at.warning)
    figure = main_figure(at)
    numbers = json.dumps(figure)
    assert "NaN" not in numbers and "Infinity" not in numbers


@pytest.mark.parametrize("tab", ["Loss", "Parameters"])
def test_lazy_tabs_build_only_the_open_view(app, tab):
    at = app(view=tab)
    assert_clean(at)
    (figure,) = figures(at).values()  # only the open tab's chart is built
    assert "frames" not in figure and figure["data"]


def _csv(n: int) -> bytes:
    return ("x,y\n" + "\n".join(f"{i},{2 * i + 1 + i % 3}" for i in range(n))).encode()


@pytest.mark.parametrize("first", [None, b"\x89PNG not a csv"])
def test_an_uploaded_file_shows_in_the_sidebar_on_its_first_render_and_keeps_the_batch_size(app, first):
    at = app(dataset="upload")
    if first is not None:  # a bad file first, then a good one
        at.file_uploader(key="csv_file").set_value(("bad.csv", first, "text/csv")).run()
        assert at.session_state["settings"].batch_size == 32
    at.file_uploader(key="csv_file").set_value(("good.csv", _csv(60), "text/csv")).run()
    assert_clean(at)
    settings = at.session_state["settings"]
    assert settings.batch_size == 32 and at.slider(key="w_batch_size").value == 32
    steps = -(-48 // 32)  # 60 rows, 20 % held out: 48 training rows
    assert f"**Mini-batch**: 32 points per update, {steps} updates per epoch." in [c.value for c in at.sidebar.caption]
    assert "Target column" in [s.label for s in at.sidebar.selectbox]  # the pickers are there at once
    assert "batch_size" not in at.query_params


def test_a_bad_file_between_two_good_ones_keeps_the_batch_size(app):
    at = app(dataset="upload")
    for name, data in (("good.csv", _csv(60)), ("bad.csv", b"\x89PNG not a csv"), ("good.csv", _csv(60))):
        at.file_uploader(key="csv_file").set_value((name, data, "text/csv")).run()
        assert not at.exception
        assert at.session_state["settings"].batch_size == 32 == at.slider(key="w_batch_size").value, name
    assert_clean(at)


PLAYED = {  # every kind of animated figure: (query, the figure's key)
    "1-D curve": ({}, "fit_landscape"),
    "2-D classes": ({"lesson": "nonlinear"}, "fit_landscape"),
    "2-D regression": ({"dataset": "saddle", "hidden_layers": "1"}, "fit_landscape"),
    "many inputs": ({"dataset": "diabetes"}, "fit_landscape"),
    "Network, 2-D": ({"dataset": "circles", "activation": "sigmoid", "hidden_layers": "1", "view": "Network"},
                     "network"),
    "Network, 1-D": ({"dataset": "sine", "hidden_layers": "1", "view": "Network"}, "network"),
    "Network, digits": ({"dataset": "digits", "activation": "sigmoid", "hidden_layers": "1", "epochs": "3",
                         "view": "Network"}, "network"),
}


@pytest.mark.parametrize(("query", "key"), PLAYED.values(), ids=PLAYED.keys())
def test_animated_figures_are_built_the_way_plotly_js_plays_them(app, query, key):
    """plotly.js's frame transition draws only the scatter traces a frame lists and removes, in every subplot, every
    other layer (heatmaps, contours) and the scatter layer of a subplot it lists nothing of, until a full redraw
    (tests/test_browser_play.py watches it happen). So: scatter traces only, every frame lists a trace of every
    subplot, what changes in a picture changes in a layout image, and a frame that changes images redraws."""
    at = app(**query)
    assert_clean(at)
    figure = figures(at)[key]
    assert {trace.get("type", "scatter") for trace in figure["data"]} == {"scatter"}
    subplots = {(trace["xaxis"], trace["yaxis"]) for trace in figure["data"]}
    images = figure["layout"].get("images", [])
    for frame in figure["frames"]:
        assert {(figure["data"][i]["xaxis"], figure["data"][i]["yaxis"]) for i in frame["traces"]} == subplots
        assert len(frame["data"]) == len(frame["traces"])
        for update in frame.get("layout", {}).get("images", []):
            assert set(update) <= {"source"}
        assert len(frame.get("layout", {}).get("images", [])) <= len(images)
    changes_images = any(frame.get("layout", {}).get("images") for frame in figure["frames"])
    play = figure["layout"]["updatemenus"][0]["buttons"][0]["args"][1]
    assert play["frame"]["redraw"] == changes_images
    assert all(step["args"][1]["frame"]["redraw"] == changes_images for step in figure["layout"]["sliders"][0]["steps"])
