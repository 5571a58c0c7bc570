"""The network diagram: every edge, picture and hover is read back from the figure (its byte-coded traces
decoded here) and compared with the History's parameters and a forward pass written in this file, at the
final frame and a middle one; the page shows the view for 1-D, 2-D and digits data, and its caption's
numbers are the ones the chart was drawn with."""

import json
import re

import numpy as np
import plotly.graph_objects as go
import plotly.io.json as plotly_json
import pytest

from playground.charts.diagram import (
    EDGE_WIDTHS_PX,
    LEVELS,
    MAX_BYTES,
    NEGATIVE,
    POSITIVE,
    VALUE_SCALE,
    figure_bytes,
    network_figure,
)
from playground.charts.fit import fit_panel
from playground.charts.inspect import DIVERGING
from playground.charts.style import PROBABILITY_SCALE, frame_indices
from playground.experiment import run_experiment
from playground.numbers import readable
from playground.safe_text import markdown_literal, plotly_literal
from playground.sections import network as section
from playground.sections.training_views import frame_labels
from playground.settings import Settings
from tests.page import assert_clean, decode, figure, image_at, images_at_frame, nearest_on_scale

VIEW = "Network"
PAGE_FIGURE_BYTES = 300_000  # tests/test_app.py's bound for every figure of the page

CASES = {
    "plane, one neuron": Settings(dataset="blobs", activation="sigmoid"),
    "plane, 1×4 relu": Settings(dataset="blobs", activation="sigmoid", hidden_layers=1, hidden_units=4,
                                hidden_activation="relu", standardize=True),
    "plane, 3×8 tanh": Settings(dataset="blobs", activation="sigmoid", hidden_layers=3, hidden_units=8),
    "plane, x1² x2² inputs, 1×3": Settings(dataset="circles", activation="sigmoid", inputs="x1,x2,x1sq,x2sq",
                                           hidden_layers=1, hidden_units=3),
    "line, 1×8": Settings(dataset="sine", hidden_layers=1, hidden_units=8),
    "digits block, 1×4": Settings(dataset="digits", activation="sigmoid", hidden_layers=1, hidden_units=4,
                                  standardize=True, epochs=5),
    "10 input nodes, 2×3": Settings(dataset="diabetes", standardize=True, hidden_layers=2, hidden_units=3,
                                    hidden_activation="sigmoid", epochs=10),
}
ACTIVATIONS = {"linear": lambda z: z, "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)), "tanh": np.tanh,
               "relu": lambda z: np.maximum(z, 0.0)}


@pytest.fixture(scope="module")
def built():
    """Per case: (experiment, its input grid, the figure, what it drew, the frames given)."""
    out = {}
    for name, settings in CASES.items():
        exp = run_experiment(settings)
        frames = frame_indices(len(exp.history.step))
        figure_, drawn = section.network_view(exp)
        out[name] = (exp, section.input_grid(exp), figure_, drawn, frames)
    return out


# --- Reading the figure back ---------------------------------------------------------------------

def at_frame(fig: dict, k: int) -> list[dict]:
    """The traces as plotly.js shows them at animation frame k (the frame's updates merged in)."""
    data = [dict(trace) for trace in fig["data"]]
    frame = fig["frames"][k]
    for index, update in zip(frame["traces"], frame["data"]):
        merged = {**data[index], **update}
        if "marker" in update:
            merged["marker"] = {**data[index]["marker"], **update["marker"]}
        data[index] = merged
    return data


def hover_trace(data: list[dict]) -> dict:
    (trace,) = [t for t in data if t.get("hovertemplate", "").startswith("%{text}")]
    return trace


def diagram_traces(fig: dict, data: list[dict]) -> list[dict]:
    return [t for t in data if t.get("xaxis") == "x"]


def edge_traces(data: list[dict]) -> list[dict]:
    return [t for t in data if t.get("mode") == "lines" and t.get("showlegend") is False
            and t["line"]["color"] in (POSITIVE, NEGATIVE)]


def centres(fig: dict, data: list[dict], exp) -> list[np.ndarray]:
    """Node centres (y) per column, top first: inputs from their labels, the others from their hover points."""
    hover = hover_trace(data)
    sizes = exp.history.sizes
    names = [[f"h{k}.{j + 1}" for j in range(n)] for k, n in enumerate(sizes[1:-1], start=1)] + [["output"]]
    where = {text.removeprefix("b of "): y for text, y in zip(hover["text"], hover["y"]) if text.startswith("b of ")}
    inputs = [a["y"] for a in input_labels(fig)]
    return [np.array(inputs)] + [np.array([where[n] for n in column]) for column in names]


def input_labels(fig: dict) -> list[dict]:
    """The input names (or the block's label), written left of the inputs, one per node."""
    return [a for a in fig["layout"]["annotations"]
            if a["xref"] == "x" and a.get("xanchor") == "right" and a.get("yanchor") == "middle"
            and a.get("name") != "key"]  # not the colour key's lowest value


def layer_weights(exp, frame: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W (fan_in, fan_out), b) per layer, sliced from the flat parameters (layout of network.py)."""
    params, sizes, out, start = exp.history.params[frame], exp.history.sizes, [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        W = params[start:start + fan_in * fan_out].reshape(fan_in, fan_out)
        start += fan_in * fan_out
        out.append((W, params[start:start + fan_out]))
        start += fan_out
    return out


def forward(exp, frame: int, X: np.ndarray) -> list[np.ndarray]:
    """Every layer's activations (m, units) for inputs X at a frame, written out here."""
    h, a, outs = exp.history, X, []
    layers = layer_weights(exp, frame)
    for k, (W, b) in enumerate(layers):
        a = ACTIVATIONS[h.activation if k == len(layers) - 1 else h.hidden_activation](a @ W + b)
        outs.append(a)
    return outs


def shown_frames(fig: dict, given: np.ndarray, exp) -> list[int]:
    """History frame numbers of the figure's animation frames, from their 'epoch e · step k' names."""
    steps = [int(re.search(r"step (\d+)", f["name"]).group(1)) for f in fig["frames"]]
    by_step = {int(exp.history.step[f]): int(f) for f in given}
    return [by_step[s] for s in steps]


# --- Tests ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES)
def test_figures_are_valid_plotly_under_the_size_bound_and_play_the_fits_frames(built, case):
    exp, _, fig, drawn, given = built[case]
    go.Figure(fig)
    assert figure_bytes(fig) == len(plotly_json.to_json_plotly(fig).encode()) <= MAX_BYTES < PAGE_FIGURE_BYTES
    assert len(json.dumps(fig).encode()) <= PAGE_FIGURE_BYTES
    on_diagram = {i for i, t in enumerate(fig["data"]) if t["xaxis"] == "x"}
    diagram = [t for i, t in enumerate(fig["data"]) if i in on_diagram]
    diagram += [d for f in fig["frames"] for i, d in zip(f["traces"], f["data"]) if i in on_diagram]
    assert "/" not in json.dumps(diagram).replace("</", "")  # no base64 "/" to be escaped as \u002f
    labels = frame_labels(exp, given)
    names = [f["name"] for f in fig["frames"]]
    assert set(names) <= set(labels) and names == sorted(names, key=labels.index)  # the same moments, in order
    assert names[0] == labels[0] and names[-1] == labels[-1]
    assert (drawn.frames_shown, drawn.frames_given) == (len(names), len(labels))
    assert [s["label"] for s in fig["layout"]["sliders"][0]["steps"]] == names
    traces = fig["frames"][0]["traces"]
    assert all(f["traces"] == traces and len(f["data"]) == len(traces) for f in fig["frames"])
    static = [i for i in range(len(fig["data"])) if i not in traces]
    assert static, "the boxes, inputs and labels are not resent with every frame"


def test_three_layers_of_eight_on_2d_data_keep_enough_frames(built):
    _, _, fig, drawn, given = built["plane, 3×8 tanh"]
    assert len(given) == 60 and drawn.frames_shown >= 20
    redraw = fig["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]["redraw"]
    assert redraw  # the pictures are layout images: plotly.js draws a frame's images in its redraw


def test_small_networks_keep_every_frame(built):
    for case in ("plane, one neuron", "line, 1×8", "digits block, 1×4"):
        _, _, fig, drawn, given = built[case]
        assert drawn.frames_shown == len(given) == len(fig["frames"]), case


@pytest.mark.parametrize("case", CASES)
def test_node_and_edge_counts(built, case):
    exp, grid, fig, drawn, _ = built[case]
    sizes = exp.history.sizes
    block = drawn.block_inputs > 0
    data = fig["data"]
    hover = hover_trace(data)
    drawn_layers = list(zip(sizes[:-1], sizes[1:]))[1 if block else 0:]
    n_edges = sum(a * b for a, b in drawn_layers)
    assert len(hover["x"]) == len(hover["customdata"]) == n_edges + sum(sizes[1:])
    assert sum(t.startswith("w from ") for t in hover["text"]) == n_edges
    assert [t for t in hover["text"] if t.startswith("b of ")] == \
        [f"b of h{k}.{j + 1}" for k, n in enumerate(sizes[1:-1], start=1) for j in range(n)] + ["b of output"]
    W_last = [W for W, _ in layer_weights(exp, -1)][1 if block else 0:]
    edges = sum(len(decode(t["y"])) // 3 for t in edge_traces(at_frame(fig, -1)))
    assert edges == sum(int(np.count_nonzero(W)) for W in W_last)
    titles = [a["text"] for a in fig["layout"]["annotations"] if a["yanchor"] == "bottom" and a["xref"] == "x"]
    assert titles == ["inputs"] + [f"hidden {k}<br>{exp.history.hidden_activation}" for k in range(1, len(sizes) - 1)] \
        + [f"output<br>{exp.history.activation}"]
    labels = [a["text"] for a in input_labels(fig)]
    assert labels == ([f"{sizes[0]} inputs"] if block else list(grid.input_names))
    dotted = [t for t in data if t.get("line", {}).get("dash") == "dot"]
    assert len(dotted) == block and (not block or len(dotted[0]["x"]) == 3 * sizes[1])


@pytest.mark.parametrize("case", CASES)
def test_edge_colour_is_the_sign_and_width_grows_with_abs_w(built, case):
    exp, _, fig, drawn, given = built[case]
    block = drawn.block_inputs > 0
    shown = shown_frames(fig, given, exp)
    assert drawn.largest_weight == pytest.approx(max(
        np.abs(W).max() for f in given for W, _ in layer_weights(exp, int(f))[1 if block else 0:]))
    for k in (len(shown) // 2, len(shown) - 1):
        data = at_frame(fig, k)
        columns = centres(fig, data, exp)
        traces = edge_traces(data)
        starts = sorted({t["x"][0] for t in traces})
        found = {}
        for trace in traces:
            layer = starts.index(trace["x"][0]) + (1 if block else 0)
            ends = decode(trace["y"]).reshape(-1, 3)
            assert (ends[:, 2] == 0).all() and all(v is None for v in trace["x"][2::3])
            for y0, y1, _ in ends:
                i, j = int(np.flatnonzero(columns[layer] == y0)[0]), int(np.flatnonzero(columns[layer + 1] == y1)[0])
                assert (layer, i, j) not in found, "an edge drawn twice"
                found[(layer, i, j)] = (trace["line"]["color"], trace["line"]["width"])
        weights = layer_weights(exp, shown[k])
        expected = {(layer, i, j): w for layer, (W, _) in enumerate(weights) if not (block and layer == 0)
                    for (i, j), w in np.ndenumerate(W) if w != 0}
        assert found.keys() == expected.keys()
        for key, w in expected.items():
            assert found[key][0] == (DIVERGING[-1][1] if w > 0 else DIVERGING[0][1])  # Inspect's red and blue
        by_size = sorted(expected, key=lambda key: abs(expected[key]))
        widths = [found[key][1] for key in by_size]
        assert widths == sorted(widths)  # never thinner for a larger |w|
        widest = [key for key in by_size if found[key][1] == EDGE_WIDTHS_PX[-1]]
        assert all(abs(expected[key]) >= 2 / 3 * drawn.largest_weight for key in widest)
        assert all(found[key][1] == EDGE_WIDTHS_PX[-1] for key in by_size
                   if abs(expected[key]) >= 2 / 3 * drawn.largest_weight)


@pytest.mark.parametrize("case", CASES)
def test_hover_says_each_weight_and_bias_at_the_frame(built, case):
    exp, _, fig, drawn, given = built[case]
    shown = shown_frames(fig, given, exp)
    sizes = exp.history.sizes
    names = [[f"h{k}.{j + 1}" for j in range(n)] for k, n in enumerate(sizes[1:-1], start=1)] + [["output"]]
    for k in (0, len(shown) // 2, len(shown) - 1):
        hover = hover_trace(at_frame(fig, k))
        weights = layer_weights(exp, shown[k])
        expected = {}
        for layer, (W, b) in enumerate(weights):
            sources = list(exp.dataset.feature_names) if layer == 0 else names[layer - 1]
            if not (layer == 0 and drawn.block_inputs):
                expected.update({f"w from {sources[i]} to {names[layer][j]}": w for (i, j), w in np.ndenumerate(W)})
            expected.update({f"b of {names[layer][j]}": v for j, v in enumerate(b)})
        assert sorted(hover["text"]) == sorted(expected)
        for text, value in zip(hover["text"], hover["customdata"]):
            assert value == pytest.approx(expected[text], rel=5e-3, abs=1e-12), text


def scale_rgb(scale, t) -> np.ndarray:
    """(len(t), 3) colours of a colour scale (stops and "#rrggbb", or "Viridis") at t, interpolated per channel."""
    if scale == "Viridis":
        scale = [[k / 9, c] for k, c in enumerate(["#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89",
                                                   "#35b779", "#6ece58", "#b5de2b", "#fde725"])]
    stops = np.array([stop for stop, _ in scale])
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for _, c in scale], dtype=float)
    return np.stack([np.interp(t, stops, rgb[:, k]) for k in range(3)], axis=-1)


def picture_values(image: dict, centre: float, x: float, half: float, n1: int, n2: int, lo: float, hi: float,
                   scale) -> np.ndarray:
    """(n2, n1) values a node's picture shows (its box: centre x, centre y ± half), rows from the bottom: each cell's
    colour read at the cell's centre, as the nearest of the LEVELS colours of `scale` over [lo, hi]."""
    u = x - half + (np.arange(n1) + 0.5) * 2 * half / n1
    v = centre - half + (np.arange(n2) + 0.5) * 2 * half / n2
    U, V = np.meshgrid(u, v)
    pixels = image_at(image, U, V)  # (n2, n1, 4)
    assert (pixels[..., 3] == 255).all()  # every cell of a picture is drawn
    level, distance = nearest_on_scale(pixels[..., :3], scale_rgb(scale, np.arange(LEVELS) / (LEVELS - 1)))
    assert distance.max() <= 1.0  # exactly one of the scale's colours
    return lo + level / (LEVELS - 1) * (hi - lo)


def column_x(fig: dict, column: int) -> float:
    """The centre x of a column: its title's x (inputs first)."""
    titles = [a for a in fig["layout"]["annotations"] if a["yanchor"] == "bottom" and a["xref"] == "x"]
    return titles[column]["x"]


def box_half(fig: dict) -> float:
    """Half the side of a node's box, from the boxes' outline trace."""
    (boxes,) = [t for t in fig["data"] if t.get("line", {}).get("color") == "#9e9e9e" and t.get("mode") == "lines"
                and "dash" not in t["line"]]
    return (boxes["y"][2] - boxes["y"][0]) / 2


FEATURES_BY_HAND = {"x1": lambda a, b: a, "x2": lambda a, b: b, "x1sq": lambda a, b: a * a,
                    "x2sq": lambda a, b: b * b, "x1x2": lambda a, b: a * b, "sinx1": lambda a, b: np.sin(a),
                    "sinx2": lambda a, b: np.sin(b)}


@pytest.mark.parametrize("case", ["plane, one neuron", "plane, 1×4 relu", "plane, 3×8 tanh",
                                  "plane, x1² x2² inputs, 1×3"])
def test_each_picture_over_the_plane_is_that_neurons_output(built, case):
    exp, grid, fig, drawn, given = built[case]
    shown = shown_frames(fig, given, exp)
    n1, n2 = len(grid.axes[0]), len(grid.axes[1])
    x1, x2 = np.meshgrid(grid.axes[0], grid.axes[1])  # rows x2, columns x1: as the plane is drawn
    raw = np.column_stack([FEATURES_BY_HAND[key](x1.ravel(), x2.ravel()) for key in exp.inputs])  # fed per point
    X = exp.scaler.transform(raw) if exp.scaler is not None else raw
    half = box_half(fig)
    for k in (len(shown) // 2, len(shown) - 1):
        images = images_at_frame(fig, k)
        on_diagram = [i for i, image in enumerate(images) if image["xref"] == "x"]
        animated = [i for i, update in enumerate(fig["frames"][k]["layout"]["images"]) if update and i in on_diagram]
        activations = [X] + forward(exp, shown[k], X)
        columns = centres(fig, at_frame(fig, k), exp)
        assert len(animated) == 1 and len(columns) == len(activations)
        for column, values in enumerate(activations):
            image = images[on_diagram[0] if column == 0 else animated[0]]  # the inputs' still image, or the frame's
            for node in range(values.shape[1]):
                truth = values[:, node].reshape(n2, n1)
                if column == 0:
                    lo, hi, scale = truth.min(), truth.max(), VALUE_SCALE
                elif column == len(activations) - 1:
                    lo, hi, scale = 0.0, 1.0, PROBABILITY_SCALE  # a classifier's probability
                else:
                    (lo, hi), scale = drawn.hidden_range, VALUE_SCALE
                step = (hi - lo) / (LEVELS - 1)
                shown_values = picture_values(image, columns[column][node], column_x(fig, column), half, n1, n2, lo,
                                              hi, scale)
                assert np.abs(shown_values - np.clip(truth, lo, hi)).max() <= step / 2 + 1e-9, (column, node)


def test_a_regression_over_the_plane_pictures_the_prediction_on_the_targets_scale():
    rng = np.random.default_rng(1)
    X = rng.uniform(-2, 2, (80, 2))
    y = np.tanh(X[:, 0]) * 3 + X[:, 1] ** 2 + rng.normal(0, 0.1, 80)
    csv = "a,b,y\n" + "\n".join(f"{u:.4f},{v:.4f},{t:.4f}" for (u, v), t in zip(X, y))
    exp = run_experiment(Settings(dataset="upload", standardize=True, hidden_layers=1, hidden_units=3, epochs=20),
                         upload=csv.encode())
    fig, drawn = section.network_view(exp)
    go.Figure(fig)
    grid = section.input_grid(exp)
    assert drawn.pictures == "plane" and drawn.output_range == (min(exp.y_train), max(exp.y_train))
    truth = forward(exp, -1, grid.inputs)[-1][:, 0].reshape(len(grid.axes[1]), len(grid.axes[0]))
    lo, hi = drawn.output_range
    image = images_at_frame(fig, -1)[1]
    columns = centres(fig, fig["data"], exp)
    shown = picture_values(image, columns[-1][0], column_x(fig, len(columns) - 1), box_half(fig), len(grid.axes[0]),
                           len(grid.axes[1]), lo, hi, "Viridis")
    assert np.abs(shown - np.clip(truth, lo, hi)).max() <= (hi - lo) / (LEVELS - 1) / 2 + 1e-9
    (shading,) = [t for t in fig["data"] if t.get("name") == "shading" and t["xaxis"] == "x2"]
    assert shading["marker"]["colorscale"] == "Viridis"  # a prediction on the target's scale, not a probability
    assert (shading["marker"]["cmin"], shading["marker"]["cmax"]) == (min(exp.y_train), max(exp.y_train))
    text = section.caption(drawn, grid.axis_names)
    assert "over the a–b plane" in text


def test_column_names_from_a_csv_show_only_as_text():
    names = ["<b>x</b> & %{y}", "$\\alpha$ [link](http://a.b)"]
    csv = f'"{names[0]}","{names[1]}",t\n' + "\n".join(f"{i % 7},{i % 5},{i % 2}" for i in range(40))
    exp = run_experiment(Settings(dataset="upload", hidden_layers=1, hidden_units=2, epochs=2), upload=csv.encode())
    assert list(exp.dataset.feature_names) == names
    fig, drawn = section.network_view(exp)
    labels = [a["text"] for a in input_labels(fig)]
    assert labels == [plotly_literal(name[:13] + "…") for name in names]  # cut to 14 characters, then escaped
    hover = hover_trace(fig["data"])["text"]
    assert f"w from {plotly_literal(names[0])} to h1.1" in hover
    assert not any("<b>" in t or "%{y}" in t or "$" in t for t in labels + hover)
    text = section.caption(drawn, drawn.axis_names)
    assert markdown_literal(names[0]) in text and names[0] not in text


def test_a_run_that_blew_up_draws_its_last_good_moment_without_nan(app):
    at = app(view=VIEW, dataset="line800", standardize="false", optimizer="sgd", learning_rate="10",
             hidden_layers="1")
    assert not at.exception
    text = json.dumps(figure(at, "network"))
    assert "NaN" not in text and "Infinity" not in text


def test_hidden_shades_span_the_activations_range(built):
    assert built["plane, 3×8 tanh"][3].hidden_range == (-1.0, 1.0)
    assert built["line, 1×8"][3].hidden_range == (-1.0, 1.0)
    exp, grid, fig, drawn, given = built["plane, 1×4 relu"]
    hidden = np.concatenate([forward(exp, int(f), grid.inputs)[0].ravel() for f in given])
    assert drawn.hidden_range == pytest.approx((np.percentile(hidden, 1), np.percentile(hidden, 99)))


def test_the_output_beside_the_diagram_is_the_prediction_in_whole_percents(built):
    exp, _, fig, _, given = built["plane, 3×8 tanh"]
    shown = shown_frames(fig, given, exp)
    k = len(shown) // 2
    (plane,) = [image for image in images_at_frame(fig, k) if image["xref"] == "x2"]
    x1, x2 = fig["layout"]["xaxis2"]["range"], fig["layout"]["yaxis2"]["range"]
    assert (plane["x"], plane["y"], plane["sizex"], plane["sizey"]) == (x1[0], x2[1], x1[1] - x1[0], x2[1] - x2[0])
    u = x1[0] + (np.arange(30) + 0.5) * (x1[1] - x1[0]) / 30  # the image's cell centres: it covers the axes
    v = x2[0] + (np.arange(30) + 0.5) * (x2[1] - x2[0]) / 30
    U, V = np.meshgrid(u, v)
    truth = forward(exp, shown[k], np.column_stack([U.ravel(), V.ravel()]))[-1][:, 0].reshape(U.shape)
    percent, distance = nearest_on_scale(image_at(plane, U, V)[..., :3], scale_rgb(PROBABILITY_SCALE,
                                                                                    np.arange(101) / 100))
    assert distance.max() <= 1.0 and np.abs(percent - 100 * truth).max() <= 0.5 + 1e-9  # whole percents
    (shading,) = [t for t in fig["data"] if t.get("name") == "shading" and t["xaxis"] == "x2"]
    assert (shading["marker"]["cmin"], shading["marker"]["cmax"]) == (0, 1)
    assert shading["marker"]["colorbar"]["ticktext"] == ["0", "0.5", "1"]


def test_each_line_along_x_is_that_neurons_output(built):
    exp, grid, fig, drawn, given = built["line, 1×8"]
    shown = shown_frames(fig, given, exp)
    x = grid.axes[0]
    X = exp.scaler.transform(x[:, None]) if exp.scaler is not None else x[:, None]
    (boxes,) = [t for t in fig["data"] if t.get("line", {}).get("color") == "#9e9e9e" and t.get("mode") == "lines"
                and "dash" not in t["line"]]
    half = (boxes["y"][2] - boxes["y"][0]) / 2
    for k in (len(shown) // 2, len(shown) - 1):
        data = at_frame(fig, k)
        columns = centres(fig, data, exp)
        lines = [t for t in diagram_traces(fig, data) if t.get("mode") == "lines" and t["x"] and t["x"][-1] is None
                 and len(t["x"]) % (len(x) + 1) == 0 and t["line"]["color"] not in (POSITIVE, NEGATIVE, "#9e9e9e")]
        activations = [X] + forward(exp, shown[k], X)
        ranges = [(x.min(), x.max()), drawn.hidden_range, drawn.output_range]
        assert len(lines) == 3
        for line, values, centre, (lo, hi) in zip(lines, activations, columns, ranges):
            codes = decode(line["y"]).astype(np.float64).reshape(values.shape[1], len(x) + 1)
            for node in range(values.shape[1]):
                height = (codes[node, :-1] - (centre[node] - half)) / (2 * half)  # 0 at the box's bottom, 1 at its top
                truth = np.clip((values[:, node] - lo) / (hi - lo), 0, 1)
                # to a twentieth of a unit: whole units drew a linear output's straight line as stairs
                assert np.abs(height - truth).max() <= 0.05 / (2 * half) + 1e-9


@pytest.mark.parametrize("case", ["digits block, 1×4", "10 input nodes, 2×3"])
def test_without_a_plane_each_neuron_is_shaded_by_its_mean_output(built, case):
    exp, _, fig, drawn, given = built[case]
    shown = shown_frames(fig, given, exp)
    for k in (len(shown) // 2, len(shown) - 1):
        data = diagram_traces(fig, at_frame(fig, k))
        shaded = [t for t in data if isinstance(t.get("marker", {}).get("color"), list)]
        rows = exp.X_train[np.round(np.linspace(0, len(exp.X_train) - 1, min(300, len(exp.X_train)))).astype(int)]
        means = [a.mean(axis=0) for a in forward(exp, shown[k], rows)]
        assert len(shaded) == 2  # hidden neurons, output
        np.testing.assert_allclose(shaded[0]["marker"]["color"], np.concatenate(means[:-1]), rtol=5e-3, atol=1e-9)
        np.testing.assert_allclose(shaded[1]["marker"]["color"], means[-1], rtol=5e-3, atol=1e-9)
        assert (shaded[0]["marker"]["cmin"], shaded[0]["marker"]["cmax"]) == drawn.hidden_range
        assert (shaded[1]["marker"]["cmin"], shaded[1]["marker"]["cmax"]) == drawn.output_range
    text = section.caption(drawn, drawn.axis_names)
    if exp.task == "regression":
        lo, hi = drawn.output_range
        assert shaded[1]["marker"]["colorscale"] == "Viridis" and (lo, hi) == (min(exp.y_train), max(exp.y_train))
        assert f"Viridis scale from dark blue ({readable(lo, 2)}) to yellow ({readable(hi, 2)})" in text


def test_a_smaller_budget_keeps_fewer_evenly_spaced_frames_first_and_last(built):
    exp, grid, _, _, given = built["line, 1×8"]
    labels = frame_labels(exp, given)
    fig, drawn = network_figure(exp.history, given, labels, grid, fit_panel(exp, given), (-1.5, 1.5),
                                max_bytes=60_000)
    names = [f["name"] for f in fig["frames"]]
    assert figure_bytes(fig) <= 60_000
    assert 2 <= len(names) < len(labels) and names[0] == labels[0] and names[-1] == labels[-1]
    positions = np.array([labels.index(name) for name in names])
    assert np.ptp(np.diff(positions)) <= 1  # evenly spaced
    assert drawn.frames_shown == len(names)
    text = section.caption(drawn, drawn.axis_names)
    assert f"over {len(names)} of the {len(labels)} moments" in text


# --- The page ------------------------------------------------------------------------------------

@pytest.mark.parametrize("query", [
    {"dataset": "line"},
    {"dataset": "sine", "hidden_layers": "1", "hidden_units": "8"},
    {"dataset": "blobs", "activation": "sigmoid", "hidden_layers": "2", "hidden_units": "6"},
    {"dataset": "digits", "activation": "sigmoid", "hidden_layers": "1", "hidden_units": "4", "epochs": "3"},
])
def test_the_network_tab_renders_with_a_caption_true_to_its_chart(app, query):
    at = app(view=VIEW, **query)
    assert_clean(at)
    fig = figure(at, "network")
    exp = run_experiment(at.session_state["settings"])
    given = frame_indices(len(exp.history.step))
    assert fig["frames"] and fig["frames"][-1]["name"] == frame_labels(exp, given)[-1]
    (caption,) = [c.value for c in at.caption if "Edges: red" in c.value]
    drawn_layers = slice(1 if query["dataset"] == "digits" else 0, None)  # digits: 64 inputs as one block
    largest = max(np.abs(W).max() for f in given for W, _ in layer_weights(exp, int(f))[drawn_layers])
    assert f"largest drawn ({readable(largest, 3)})" in caption
    if len(fig["frames"]) < len(given):
        assert f"over {len(fig['frames'])} of the {len(given)} moments" in caption
    else:
        assert "moments" not in caption
    if query["dataset"] == "blobs":
        assert "x1–x2 plane" in caption and "white (−1) to black (1)" in caption
    elif query["dataset"] == "sine":
        assert "along x" in caption and "hidden neurons −1 to 1" in caption
    elif query["dataset"] == "line":
        assert "along x" in caption and "hidden" not in caption
    else:
        n_rows = min(300, len(exp.X_train))
        assert "The 64 inputs are one block" in caption and f"mean output over {n_rows:,} training rows" in caption
        assert "probability from pale brown (0) through white to pale teal (1)" in caption
        (output,) = [t for t in fig["data"] if t.get("marker", {}).get("colorscale") == PROBABILITY_SCALE]
        assert (output["marker"]["cmin"], output["marker"]["cmax"]) == (0.0, 1.0)
        assert PROBABILITY_SCALE[0][1] == "#dfc27d" and PROBABILITY_SCALE[-1][1] == "#80cdc1"  # the words above


def test_the_fit_and_network_tabs_play_the_same_moments(app):
    query = {"dataset": "blobs", "activation": "sigmoid", "hidden_layers": "1", "hidden_units": "4"}
    names = {}
    for view, key in (("Fit & landscape", "fit_landscape"), (VIEW, "network")):
        at = app(view=view, **query)
        assert_clean(at)
        names[view] = [f["name"] for f in figure(at, key)["frames"]]
    assert names[VIEW] == names["Fit & landscape"] and len(names[VIEW]) == 60
