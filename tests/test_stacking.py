"""Panels that stack on a narrow screen: the figure carries its stacked arrangement (`layout.meta["stack"]`), which the
page's chart script lays over it below a width; stacked, the panels are rows in order (fit above landscape, diagram
above output), each colour bar beside its own row, the animation controls under the last row, the same frames (one
animation); and the 2-D input plane is drawn to scale in either arrangement."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from playground.charts.gallery import gallery_figure
from playground.charts.panels import MIN_PLOT_PX, SIDE_MARGINS_PX, colorbar_owner, overlay, stacked
from playground.experiment import run_experiment
from playground.sections import state
from playground.sections.network import network_view
from playground.sections.training_views import fit_and_landscape_figure
from playground.settings import Settings


def fit_figure(**settings) -> dict:
    exp = run_experiment(Settings(**settings))
    return fit_and_landscape_figure(exp, state.reference_for(exp), 0, exp.history.sizes[-2])[0]


def network_figure(**settings) -> dict:
    exp = run_experiment(Settings(**settings))
    return network_view(exp, state.reference_for(exp))[0]


FIGURES = {
    "fit and landscape, 2-D classes": lambda: fit_figure(dataset="circles", activation="sigmoid"),
    "fit and landscape, a line": lambda: fit_figure(),
    "network and output, 2-D": lambda: network_figure(dataset="circles", activation="sigmoid", hidden_layers=1,
                                                      hidden_units=4),
    "activations and slopes": lambda: gallery_figure(),
}


def rows(figure: dict) -> list[tuple[float, float]]:
    """Each panel's y domain, in panel order (yaxis, yaxis2, …)."""
    layout = figure["layout"]
    names = sorted((k for k in layout if k.startswith("yaxis")), key=lambda k: int(k[5:] or 1))
    return [tuple(layout[name]["domain"]) for name in names if "domain" in layout[name]]


@pytest.fixture(scope="module", params=FIGURES)
def case(request):
    return request.param, FIGURES[request.param]()


def test_stacked_the_panels_are_rows_in_order_across_the_whole_width(case):
    name, figure = case
    narrow = stacked(figure)
    go.Figure(narrow)  # valid Plotly
    found = rows(narrow)
    assert len(found) >= 2, name
    for (low, high), (next_low, next_high) in zip(found, found[1:]):
        assert 0 <= next_low < next_high < low < high <= 1, found  # the first panel on top, rows apart
    for key, axis in narrow["layout"].items():
        if key.startswith("xaxis"):
            assert axis["domain"] == [0.0, 1.0]
    assert narrow["layout"]["height"] > figure["layout"]["height"]  # taller, not squeezed


def test_stacked_each_colour_bar_stands_beside_its_own_row(case):
    name, figure = case
    narrow = stacked(figure)
    found = rows(narrow)
    for trace in narrow["data"]:
        owner = colorbar_owner(trace)
        if owner is None:
            continue
        number = int(trace["yaxis"][1:] or 1)
        low, high = found[number - 1]
        bar = owner["colorbar"]
        assert bar["x"] >= 1.0  # right of the plots, which span the width
        assert low <= bar["y"] - bar["len"] / 2 and bar["y"] + bar["len"] / 2 <= high, (name, bar, (low, high))


def test_stacked_the_animation_is_the_same_one_with_its_controls_under_the_last_row(case):
    name, figure = case
    narrow = stacked(figure)
    assert narrow["frames"] is figure["frames"] if "frames" in figure else "frames" not in narrow
    if "sliders" not in figure["layout"]:
        return
    lowest = min(low for low, _ in rows(narrow))
    plot = narrow["layout"]["height"] - narrow["layout"]["margin"]["t"] - narrow["layout"]["margin"]["b"]
    assert narrow["layout"]["sliders"][0]["y"] * plot <= -55  # under the last row's ticks and axis title (px)
    assert lowest == 0.0
    assert narrow["layout"]["sliders"][0]["steps"] == figure["layout"]["sliders"][0]["steps"]


def test_side_by_side_down_to_the_stacking_width_every_plot_is_wide_enough(case):
    name, figure = case
    below = figure["layout"]["meta"]["stack"]["below_px"]
    shares = [axis["domain"][1] - axis["domain"][0] for key, axis in figure["layout"].items()
              if key.startswith("xaxis") and "domain" in axis]
    assert min(shares) * (below - SIDE_MARGINS_PX) >= MIN_PLOT_PX - 1, name


@pytest.mark.parametrize("make", [lambda: fit_figure(dataset="moons", activation="sigmoid"),
                                  lambda: network_figure(dataset="moons", activation="sigmoid", hidden_layers=1,
                                                         hidden_units=3)], ids=["fit", "network"])
def test_the_input_plane_is_to_scale_side_by_side_and_stacked(make):
    figure = make()
    for arrangement in (figure, stacked(figure)):
        layout = arrangement["layout"]
        planes = [key for key, axis in layout.items() if key.startswith("xaxis") and axis.get("title", {}).get(
            "text") == "x1"]
        assert planes
        for key in planes:
            y = layout["y" + key[1:]]
            assert y["title"]["text"] == "x2"
            assert y["scaleanchor"] == "x" + key[5:] and y.get("scaleratio", 1) == 1  # its own x axis, 1:1


def test_overlay_merges_dicts_and_lists_item_by_item_and_changes_neither():
    target = {"a": {"b": 1, "c": [1, {"d": 2, "e": 3}]}, "f": 4}
    changes = {"a": {"c": [{}, {"d": 9}]}, "g": 5}
    assert overlay(target, changes) == {"a": {"b": 1, "c": [1, {"d": 9, "e": 3}]}, "f": 4, "g": 5}
    assert target == {"a": {"b": 1, "c": [1, {"d": 2, "e": 3}]}, "f": 4}
