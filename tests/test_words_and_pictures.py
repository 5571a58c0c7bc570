"""Words against pictures: what a sentence, a caption or a title says is what its chart draws, and nothing the
chart draws hides behind something else or another sentence (issue 19's list, each read against its chart)."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from playground.charts import handset
from playground.charts.fit import zero_level_lines
from playground.charts.landscape import compute_slice, default_slice_parameters, landscape_panel
from playground.charts.race import race_landscape_figure, race_slice
from playground.charts.style import frame_indices, log_ticks
from playground.datasets import DATASETS
from playground.experiment import run_experiment
from playground.lessons import LESSONS
from playground.race import run_race
from playground.reference import reference_answer
from playground.sections.training_views import landscape_caption
from playground.settings import Settings
from tests.page import assert_clean, figure

MINUS_ZERO = re.compile(r"[−-]0\.0+(?!\d*[1-9])")


def test_the_logistic_lesson_asks_about_the_line_its_chart_labels():
    question = LESSONS["set-weights"].parts[1].question
    fig = handset.handset_figure(np.arange(6.0), np.array([0.0, 0, 0, 1, 1, 1]), 2.0, -4.5, "sigmoid",
                                 "classification", "x", "y")
    (note,) = [a["text"] for a in fig["layout"]["annotations"] if "decision boundary" in a["text"]]
    assert note.endswith(f"p = 0.5 at x = {4.5 / 2:g}")  # the chart prints where w·x + b = 0: no secret to guess
    assert "red dashed line marks where the probability is 0.5" in question
    assert "Before you look" not in question


@pytest.mark.parametrize("query", [{"lesson": "nonlinear:2"},  # x1², x2²: the boundary drawn is an ellipse
                                   {"dataset": "logistic6"}])
def test_separable_classes_are_explained_without_calling_the_boundary_a_line(app, query):
    at = app(**query)
    assert_clean(at)
    (caption,) = [c.value for c in at.caption if c.value.startswith("No exact answer")]
    assert "separated perfectly" in caption and "w·x + b = 0" in caption
    assert "a line" not in caption


def test_after_an_explosion_the_white_path_and_the_start_still_show():
    exp = run_experiment(replace(Settings(), optimizer="sgd", learning_rate=10.0))  # 3 frames: all "last steps"
    assert exp.history.diverged_at is not None
    u, v = default_slice_parameters(exp)
    ls = compute_slice(exp, reference_answer(exp.X_train, exp.y_train, "linear", "mse"), u, v)
    panel = landscape_panel(ls, frame_indices(len(exp.history.step)))
    at = {trace["name"]: (i, trace) for i, trace in enumerate(panel.traces)}
    (path_at, path), (trail_at, trail) = at["path"], at["recent steps"]
    assert path["line"]["color"].startswith("rgba(255,255,255") and trail["line"]["color"].lower() == "#ff4b4b"
    assert path_at > trail_at and path["line"]["width"] < trail["line"]["width"]  # white drawn over a wider red
    assert at["start"][0] > at["exact optimum"][0]  # ■ over the ★ it sits on (the start is next to the optimum)
    assert at["start"][1]["marker"]["size"] < at["exact optimum"][1]["marker"]["size"]
    caption = landscape_caption(ls)
    assert "the white line is the path" in caption and "red its last steps" in caption


def test_a_lasso_zero_weight_is_written_0_000(app):
    at = app(dataset="diabetes", standardize="true", regularization="l1", regularization_rate="3")
    assert_clean(at)
    (line,) = [m.value for m in at.markdown if m.value.startswith("**Neuron vs exact answer**")]
    assert "exact 0.000" in line and not MINUS_ZERO.search(line)


def test_saddle_points_show_their_target_on_the_shadings_scale(app):
    at = app(dataset="saddle")
    assert_clean(at)
    fig = figure(at, "fit_landscape")
    exp = run_experiment(at.session_state["settings"])
    (shading,) = [t for t in fig["data"] if t.get("name") == "shading"]
    points = {t["name"]: t for t in fig["data"] if t.get("mode") == "markers" and t["name"] in ("train", "validation")}
    assert set(points) == {"train", "validation"}
    for name, y in (("train", exp.y_train), ("validation", exp.y_val)):
        marker = points[name]["marker"]
        np.testing.assert_allclose(marker["color"], y, rtol=1e-4)  # each point coloured by its own target
        assert (marker["colorscale"], marker["cmin"], marker["cmax"]) == \
            (shading["marker"]["colorscale"], shading["marker"]["cmin"], shading["marker"]["cmax"])
    assert points["train"]["marker"]["symbol"] != points["validation"]["marker"]["symbol"]


def test_every_racer_shows_where_the_paths_run_together():
    exp = run_experiment(replace(Settings(), **DATASETS["line"].recommended))
    race = run_race(exp)
    u, v = default_slice_parameters(exp)
    fig = race_landscape_figure(race, race_slice(exp, race, None, u, v), u, v)
    names = [r.label for r in race.racers]
    paths = [(i, t) for i, t in enumerate(fig["data"]) if t.get("mode") == "lines" and t.get("showlegend", True)]
    halos = [i for i, t in enumerate(fig["data"]) if t["name"].endswith(" halo")]
    assert [t["name"].split(" (")[0] for _, t in paths] == names
    widths = [t["line"]["width"] for _, t in paths]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 4  # each drawn over the last, narrower
    assert max(halos) < min(i for i, _ in paths)  # no halo over an earlier racer's path


def test_the_boundary_line_is_the_level_it_says_closed_where_it_closes():
    x = np.linspace(-1.0, 1.0, 20)
    X, Y = np.meshgrid(x, x)
    xs, ys = zero_level_lines(x, x, 0.5 - np.hypot(X, Y))  # the circle of radius 0.5: one closed line
    assert None not in xs and (xs[0], ys[0]) == (xs[-1], ys[-1])
    radius = np.hypot(np.array(xs, dtype=float), np.array(ys, dtype=float))
    assert np.abs(radius - 0.5).max() < 0.005  # linear interpolation along cell edges, a 0.1 grid
    xs, ys = zero_level_lines(x, x, X - 0.3 * Y)  # a straight line, from the bottom edge to the top edge
    np.testing.assert_allclose(np.array(xs, dtype=float), 0.3 * np.array(ys, dtype=float), atol=1e-4)
    assert sorted([ys[0], ys[-1]]) == [-1.0, 1.0]
    xs, _ = zero_level_lines(x, x, np.where(np.abs(X) > 0.5, 1.0, -1.0))  # two separate lines, None between
    assert sum(v is None for v in xs) == 1


@pytest.mark.parametrize("low, high", [(0.55, 0.85), (0.69, 0.72), (0.6912, 0.6999), (0.01, 3.0), (1e-6, 10.0),
                                       (0.3, 0.45), (2e-4, 9e-4), (120.0, 180.0)])
def test_a_log_axis_labels_at_least_two_ticks_within_its_values(low, high):
    """A log axis spans its values (plotly's autorange): the nonlinear lesson's loss, 0.55-0.85, got ticks at 0.5
    and 1 only and showed no label at all. Each label reads as its tick's value."""
    ticks = log_ticks(np.geomspace(low, high, 50))
    inside = [t for t in ticks["tickvals"] if low <= t <= high]
    assert len(inside) >= 2
    for value, text in zip(ticks["tickvals"], ticks["ticktext"]):
        assert float(text.replace(",", "")) == pytest.approx(value, rel=1e-9)
