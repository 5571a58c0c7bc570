"""Every sentence with a number is true: the page's claims against the run they describe.

Each test reads what the page (AppTest) or a lesson says and recomputes the number independently: from the
engine's recorded parameters through NumPy, scikit-learn or np.linalg.lstsq, never through the function that
wrote the sentence.
"""

import re
from dataclasses import replace

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from playground.charts.fit import fit_panel
from playground.charts.landscape import compute_slice
from playground.charts.style import frame_indices
from playground.datasets import DATASETS
from playground.engine.training import EXPLODE_FACTOR
from playground.experiment import run_experiment
from playground.lessons import LESSONS
from playground.sections import summary
from playground.settings import Settings
from tests.page import assert_clean, figure, image_at, nearest_on_scale
from tests.page import shown as shown_text

SUPERSCRIPT = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
NUMBER = re.compile(r"[−-]?\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?(?: × 10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)?")


def numbers(text: str) -> list[float]:
    """Every number written in `text`, as the page writes them (−1,490,670 · 3.2 × 10⁻⁵ · 1.2e-05)."""
    found = []
    for token in NUMBER.findall(text.replace("\\", "")):
        mantissa, _, power = token.partition(" × 10")
        value = float(mantissa.replace("−", "-").replace(",", ""))
        found.append(value * 10.0 ** int(power.translate(SUPERSCRIPT)) if power else value)
    return found


def shown(value: float, digits: int = 4) -> float:
    """`value` rounded to the significant digits the page writes."""
    return float(f"{value:.{digits}g}")


def page_run(at):
    """The run the page shows, re-made from its settings."""
    return run_experiment(at.session_state["settings"])


def metric(at, start: str):
    (found,) = [m for m in at.metric if m.label.startswith(start)]
    return found


def network_caption(at) -> str:
    (found,) = [c.value for c in at.caption if c.value.startswith("Network ")]
    return found


def last_state(exp):
    """Losses at the last recorded parameters, by NumPy alone (a single neuron)."""
    h = exp.history
    w, b = h.params[-1, :-1], h.params[-1, -1]

    def loss(X, y):
        z = X @ w + b
        if exp.loss == "mse":
            return float(np.mean((z - y) ** 2))
        p = 1.0 / (1.0 + np.exp(-z))
        return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))

    return loss, (lambda X: X @ w + b)


# --- the summary: one state, its numbers -----------------------------------------------------------------


@pytest.mark.parametrize("query", [
    {},
    {"dataset": "blobs", "activation": "sigmoid"},
    {"lesson": "gradient-descent"},
    {"dataset": "line", "optimizer": "sgd", "learning_rate": "10"},  # explodes in its first epoch
])
def test_the_summary_numbers_are_those_of_the_state_the_charts_end_on(app, query):
    at = app(**query)
    assert not at.exception
    exp = page_run(at)
    h = exp.history
    loss, predict = last_state(exp)
    train = loss(exp.X_train, exp.y_train)
    w0, b0 = h.params[0, :-1], h.params[0, -1]
    z0 = exp.X_train @ w0 + b0
    start = float(np.mean((z0 - exp.y_train) ** 2)) if exp.loss == "mse" else float(
        np.mean(np.logaddexp(0, z0) - exp.y_train * z0))
    suffix = f" at step {h.step[-1]}" if h.diverged_at is not None else ""
    loss_metric = metric(at, f"Train loss ({exp.loss}){suffix}")
    assert numbers(loss_metric.value) == [pytest.approx(shown(train), rel=1e-3)]
    assert numbers(loss_metric.delta) == [pytest.approx(shown(train - start, 3), rel=1e-2)]
    assert (train < start) == loss_metric.delta.startswith("-")  # the arrow points the way the loss went
    if len(exp.y_val):
        assert numbers(metric(at, "Validation loss").value) == [pytest.approx(shown(loss(exp.X_val, exp.y_val)),
                                                                              rel=1e-3)]
    if exp.task == "classification":
        expected = accuracy_score(exp.y_train, 1 / (1 + np.exp(-predict(exp.X_train))) >= 0.5)
        assert numbers(metric(at, "Train accuracy").value) == [pytest.approx(expected, abs=6e-4)]
    else:
        expected = r2_score(exp.y_train, predict(exp.X_train))
        assert numbers(metric(at, "Train R²").value) == [pytest.approx(shown(expected, 3), rel=1e-2)]
    assert f"· {h.step[-1]} updates" in network_caption(at)
    if h.diverged_at is not None:
        assert h.step[-1] == h.diverged_at - 1  # the charts end on the state before the bad update
        (warning,) = [w.value for w in at.warning if "explode" in w.value]
        assert f"Update {h.diverged_at} made the loss explode" in warning
        assert f"end at step {h.diverged_at - 1}" in warning
        assert numbers(warning.split("above ")[1])[0] == pytest.approx(EXPLODE_FACTOR * max(start, 1), rel=1e-3)
        note = figure(at, "fit_landscape")["layout"]["annotations"]  # the neuron's line is off the chart: said so
        grid_curve = fit_panel(exp, frame_indices(len(h.step))).traces[-1]["y"]
        assert numbers(note[0]["text"]) == [pytest.approx(min(grid_curve), rel=1e-2),
                                            pytest.approx(max(grid_curve), rel=1e-2)]


def test_an_explosion_under_a_penalty_says_the_threshold_of_the_objective(app):
    at = app(regularization="l2", regularization_rate="10", optimizer="sgd", learning_rate="3", seed="5")
    assert not at.exception
    exp = page_run(at)
    h = exp.history
    assert h.diverged_at is not None
    w0, b0 = h.params[0, :-1], h.params[0, -1]
    start = float(np.mean((exp.X_train @ w0 + b0 - exp.y_train) ** 2)) + 10 * float(np.sum(w0 ** 2))  # loss + λ·Σw²
    (warning,) = [w.value for w in at.warning if "explode" in w.value]
    assert "the objective (loss + penalty) was above" in warning
    assert numbers(warning.split("above ")[1])[0] == pytest.approx(EXPLODE_FACTOR * max(start, 1), rel=1e-6)


def test_an_explosion_from_a_start_too_large_for_a_threshold_says_not_a_number():
    exp = run_experiment(replace(Settings(), optimizer="sgd", learning_rate=10.0))
    h = exp.history
    huge = replace(exp, history=replace(h, train_loss=np.r_[1e305, h.train_loss[1:]]))  # a million times it: inf
    text = summary.explosion_text(huge)
    assert "inf" not in text and "the loss was not a number" in text
    small = replace(exp, history=replace(h, train_loss=np.r_[0.25, h.train_loss[1:]]))  # under 1: the limit is 10⁶
    assert "above 1,000,000 (a million: the starting loss was below 1)" in summary.explosion_text(small)


def test_points_predicted_off_the_chart_are_counted_on_it():
    # A linear output trained with cross-entropy on unscaled data: every output is clipped, none in 0…1.
    exp = run_experiment(Settings.from_mapping({"dataset": "breast_cancer", "hidden_layers": "1",
                                                "activation": "linear"})[0])
    panel = fit_panel(exp, frame_indices(len(exp.history.step)))
    shown_y = np.array(panel.traces[1]["y"])  # the sample of training points the panel draws, at the last frame
    y_range = panel.yaxis["range"]
    off = int(np.count_nonzero((shown_y < y_range[0]) | (shown_y > y_range[1])))
    assert off > 0
    (note,) = panel.annotations
    assert note["text"].startswith(f"{off} of {shown_y.size} points are off the chart")
    inside = run_experiment(Settings.from_mapping({"dataset": "breast_cancer", "activation": "sigmoid"})[0])
    assert fit_panel(inside, frame_indices(len(inside.history.step))).annotations == []


@pytest.mark.parametrize(("query", "solve"), [
    ({}, "lstsq"),
    ({"dataset": "blobs", "activation": "sigmoid"}, "logistic"),
])
def test_the_exact_answer_beside_the_neuron_is_the_optimum(app, query, solve):
    at = app(**query)
    assert_clean(at)
    exp = page_run(at)
    X, y = exp.X_train, exp.y_train
    if solve == "lstsq":
        coef = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)[0]
    else:  # plain lbfgs on the raw inputs, run long: an independent fit of the same optimum
        model = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(X, y)
        coef = np.append(model.coef_[0], model.intercept_[0])
    (line,) = [m.value for m in at.markdown if m.value.startswith("**Neuron vs exact answer**")]
    written = numbers(line.split("):", 1)[1])
    shown_pairs = list(zip(written[0::2], written[1::2]))
    neuron = np.append(exp.history.w[-1], exp.history.b[-1])
    for (w_page, w_exact), index in zip(shown_pairs, [*range(min(X.shape[1], 4)), -1]):
        assert w_page == pytest.approx(round(neuron[index], 3), abs=1.1e-3)
        assert w_exact == pytest.approx(round(coef[index], 3), abs=2e-3)


def test_digits_has_no_exact_answer_as_some_pixels_light_up_in_one_class_only(app):
    at = app(lesson="digits")
    assert_clean(at)
    exp = page_run(at)
    lit = exp.scaler.inverse_transform(exp.X_train) > 0  # (n, 64) pixels not blank, in the training images
    lonely = [j for j in range(64) if lit[:, j].any() and len(np.unique(exp.y_train[lit[:, j]])) == 1]
    assert lonely  # such a pixel's weight can grow for ever: every image it lights is of one class
    weight = [abs(LogisticRegression(C=C, max_iter=10_000).fit(exp.X_train, exp.y_train).coef_[0, lonely]).max()
              for C in (1, 100)]
    assert weight[1] > 2 * weight[0]  # a weaker penalty, a larger weight: the unpenalised optimum is at infinity
    assert not any(m.value.startswith("**Neuron vs exact answer**") for m in at.markdown)
    (caption,) = [c.value for c in at.caption if c.value.startswith("No exact answer")]
    assert "some training points can be split from all the others perfectly" in shown_text(caption)


def test_the_original_units_caption_undoes_the_standardization(app):
    at = app(lesson="gradient-descent")
    exp = page_run(at)
    s = exp.settings
    raw_train = train_test_split(exp.dataset.X, exp.dataset.y, test_size=round(s.validation_split * 800),
                                 random_state=s.seed)[0]  # the split, re-made: the raw x the run trained on
    scaler = StandardScaler().fit(raw_train)
    w, b = exp.history.w[-1, 0], exp.history.b[-1]
    caption = network_caption(at).split("x is standardized")[1]
    mean, scale, w_shown, w_x, b_x = numbers(caption)[:5]  # "(x − mean) / scale, so w = …; ŷ = w_x·x ± |b_x|"
    b_x_expected = b - w * scaler.mean_[0] / scaler.scale_[0]
    assert mean == pytest.approx(shown(scaler.mean_[0]), rel=1e-3)
    assert scale == pytest.approx(shown(scaler.scale_[0]), rel=1e-3)
    assert w_shown == pytest.approx(shown(w), rel=1e-3)
    assert w_x == pytest.approx(shown(w / scaler.scale_[0]), rel=1e-3)
    assert b_x == pytest.approx(shown(abs(b_x_expected)), rel=1e-3)
    assert ("·x − " in caption) == (b_x_expected < 0)


def test_clipped_cross_entropy_outputs_are_counted(app):
    at = app(dataset="groups", activation="tanh", loss="bce")
    exp = page_run(at)
    a = np.tanh(exp.X_train @ exp.history.w[-1] + exp.history.b[-1])
    clipped = int(np.sum((a <= 1e-7) | (a >= 1 - 1e-7)))
    (warning,) = [w.value for w in at.warning if "clips" in w.value]
    assert f"Now {clipped} of the {len(a)} training outputs are clipped" in warning
    assert clipped > 0


def test_an_unreachable_target_is_said_with_its_share(app):
    at = app(activation="sigmoid")  # the line's y runs past 1
    exp = page_run(at)
    y = exp.y_train
    (warning,) = [w.value for w in at.warning if "can only output" in w.value]
    share, lo, hi = numbers(warning.split("but ")[1])[:3]
    assert share == round(100 * np.mean((y < 0) | (y > 1)))
    assert (lo, hi) == (pytest.approx(shown(y.min()), rel=1e-3), pytest.approx(shown(y.max()), rel=1e-3))


# --- the race --------------------------------------------------------------------------------------------


def test_the_race_caption_numbers_are_the_start_the_optimum_and_the_threshold(app):
    at = app(view="Optimizer race")
    assert_clean(at)
    exp = page_run(at)
    (caption,) = [c.value for c in at.caption if "Reached the optimum at update" in c.value]
    w0, b0 = exp.history.params[0]
    start = float(np.mean((exp.X_train[:, 0] * w0 + b0 - exp.y_train) ** 2))
    coef = np.linalg.lstsq(np.column_stack([exp.X_train, np.ones(len(exp.y_train))]), exp.y_train, rcond=None)[0]
    optimum = float(np.mean((exp.X_train @ coef[:1] + coef[1] - exp.y_train) ** 2))
    l0 = numbers(caption.split("L0 = ")[1])[0]
    l_star = numbers(caption.split("L* = ")[1])[0]
    threshold = numbers(caption.split("(L0 − L*) = ")[1])[0]
    assert l0 == pytest.approx(shown(start), rel=1e-3)
    assert l_star == pytest.approx(shown(optimum), rel=1e-3)
    assert threshold == pytest.approx(shown(optimum + 0.01 * (start - optimum)), rel=1e-3)


# --- the lessons' sentences ------------------------------------------------------------------------------


def lesson_text(lesson_id: str, part: int = 0) -> str:
    chosen = LESSONS[lesson_id].parts[part]
    return f"{chosen.look_at} {chosen.question}"


# --- the pictures: colours, markers and labels that agree with the numbers -------------------------------


def rgb(color: str) -> np.ndarray:
    return np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)], dtype=float)


def shading_of(fig: dict) -> tuple[dict, dict]:
    """The fit panel's shading: its image (as the last frame shows it) and the trace carrying its colour bar."""
    (image,) = [image for image in fig["layout"]["images"] if image["xref"] == "x"]
    (bar,) = [t for t in fig["data"] if t.get("name") == "shading"]
    return image, bar


def test_two_class_points_and_the_probability_shading_share_one_colour_mapping(app):
    at = app(dataset="blobs", activation="sigmoid")
    fig = figure(at, "fit_landscape")
    image, bar = shading_of(fig)
    scale = bar["marker"]["colorscale"]
    assert "reversescale" not in bar["marker"] and (bar["marker"]["cmin"], bar["marker"]["cmax"]) == (0, 1)
    points = {t["name"]: t for t in fig["data"] if t.get("mode") == "markers" and "class" in t["name"]}
    assert set(points) == {f"class = {k}, {part}" for k in (0, 1) for part in ("train", "validation")}
    low, high = rgb(scale[0][1]), rgb(scale[-1][1])
    exp = page_run(at)
    for label, shade, other in ((0, low, high), (1, high, low)):
        color = rgb(points[f"class = {label}, train"]["marker"]["color"])
        # The class's points sit in the hue of the shading where the model says that class (P near 0 or 1).
        direction = lambda c: (c - c.mean()) / np.linalg.norm(c - c.mean())  # noqa: E731 - hue direction
        assert direction(color) @ direction(shade) > 0.9 > direction(color) @ direction(other)
        rows = exp.y_train == label
        np.testing.assert_allclose(points[f"class = {label}, train"]["x"], exp.X_train[rows, 0], rtol=1e-4)
    # Where the model says class 1, the shading is at the class-1 end: each cell's colour is P's on the scale.
    x1, x2 = fig["layout"]["xaxis"]["range"], fig["layout"]["yaxis"]["range"]
    centres = (np.arange(30) + 0.5) / 30  # the image's 30 × 30 cells cover the axes
    U, V = np.meshgrid(x1[0] + centres * np.diff(x1), x2[0] + centres * np.diff(x2))
    p = 1 / (1 + np.exp(-(U * exp.history.w[-1, 0] + V * exp.history.w[-1, 1] + exp.history.b[-1])))
    stops = np.array([stop for stop, _ in scale])
    colours = np.array([[np.interp(t, stops, [rgb(c)[k] for _, c in scale]) for k in range(3)]
                        for t in np.arange(101) / 100])  # the scale at each whole percent
    shown, distance = nearest_on_scale(image_at(image, U, V)[..., :3], colours)
    assert distance.max() <= 1.0
    np.testing.assert_allclose(shown / 100, p, atol=0.006)


def test_one_neurons_boundary_is_drawn_as_its_straight_line_even_when_p_stays_near_half(app):
    at = app(lesson="nonlinear")  # the text says the boundary is a straight line: one neuron on x1, x2
    assert "its boundary, where that is 0.5 (the black line), is a straight line" in lesson_text("nonlinear", 0)
    fig, exp = figure(at, "fit_landscape"), page_run(at)
    (boundary,) = [t for t in fig["data"] if t.get("name") == "boundary (P = 0.5)"]
    x, y = np.array(boundary["x"], dtype=float), np.array(boundary["y"], dtype=float)
    assert not np.isnan(x).any() and len(x) >= 10  # one unbroken line across the panel
    x1, x2 = fig["layout"]["xaxis"]["range"], fig["layout"]["yaxis"]["range"]
    (w1, w2), b = exp.history.w[-1], exp.history.b[-1]
    p = 1 / (1 + np.exp(-(x * w1 + y * w2 + b)))
    assert np.abs(p - 0.5).max() < 0.02  # P stays within 0.02 of 0.5 over the panel: whole percents would be stairs
    exact = -(w2 * y + b) / w1  # w1·x1 + w2·x2 + b = 0
    np.testing.assert_allclose(x, exact, atol=1e-3 * (x1[1] - x1[0]))  # on the line to well under a pixel
    for u, v in ((x[0], y[0]), (x[-1], y[-1])):  # from border to border of the panel
        assert min(abs(u - x1[0]), abs(u - x1[1]), abs(v - x2[0]), abs(v - x2[1])) <= 1e-3 * (x1[1] - x1[0])


def test_colour_bars_stand_beside_their_own_panels_and_the_slider_below_the_axis_titles(app):
    fig = figure(app(dataset="blobs", activation="sigmoid"), "fit_landscape")
    layout = fig["layout"]
    bars = sorted(t["marker"]["colorbar"]["x"] for t in fig["data"] if t.get("marker", {}).get("showscale"))
    assert len(bars) == 2
    fit_end, landscape_start = layout["xaxis"]["domain"][1], layout["xaxis2"]["domain"][0]
    assert fit_end < bars[0] < landscape_start - 0.08  # room for the landscape's tick labels and title
    assert bars[1] > layout["xaxis2"]["domain"][1]
    plot_height = layout["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    assert -layout["sliders"][0]["y"] * plot_height >= 60  # pixels below the plot: under the axis titles


def test_a_multi_feature_slice_goes_through_the_exact_optimum_so_the_star_is_its_lowest_point():
    settings = replace(Settings(dataset="diabetes"), **DATASETS["diabetes"].recommended)
    exp = run_experiment(settings)
    coef = np.linalg.lstsq(np.column_stack([exp.X_train, np.ones(len(exp.y_train))]), exp.y_train, rcond=None)[0]
    u = 4  # w[s1], the weight the issue found off the valley
    ls = compute_slice(exp, (coef[:-1], coef[-1]), u, 10)
    i, j = np.unravel_index(np.argmin(ls.loss), ls.loss.shape)
    du, dv = np.diff(ls.u_values)[0], np.diff(ls.v_values)[0]
    assert ls.optimum == (pytest.approx(coef[u]), pytest.approx(coef[-1]))
    assert abs(ls.u_values[j] - coef[u]) <= du and abs(ls.v_values[i] - coef[-1]) <= dv
    assert ls.exact and "through the exact optimum" in ls.where()


def test_no_lowest_point_is_marked_on_the_grid_edge():
    exp = run_experiment(replace(Settings(dataset="logistic6"), **DATASETS["logistic6"].recommended))
    ls = compute_slice(exp, None, 0, 1)  # separable: the loss keeps falling towards infinite weights
    assert ls.optimum is None and "lies on its edge" in ls.marker_text()


def test_the_3d_surface_shows_the_path_start_and_optimum_from_above(app):
    at = app()
    at.toggle(key="surface_3d").set_value(True).run()
    fig = figure(at, "surface")
    names = [t.get("name") for t in fig["data"]]
    assert {"path", "start", "exact optimum"} <= set(names)
    assert fig["layout"]["scene"]["camera"]["eye"]["z"] > 1


def test_the_race_landscape_uses_the_main_landscapes_colours(app):
    at = app(view="Optimizer race")
    assert figure(at, "race_landscape")["data"][0]["colorscale"] == "Viridis"
    assert any("dark = low" in c.value for c in at.caption)


@pytest.mark.parametrize("regularization", ["l1", "l2"])
def test_the_penalty_and_the_objective_are_those_of_the_final_weights(app, regularization):
    at = app(regularization=regularization, regularization_rate="0.1")
    assert_clean(at)
    exp = page_run(at)
    r = np.abs if regularization == "l1" else np.square
    w, w0 = exp.history.params[-1, :-1], exp.history.params[0, :-1]  # a single neuron: its weights, not its bias
    data, _ = last_state(exp)
    penalty, start_penalty = 0.1 * r(w).sum(), 0.1 * r(w0).sum()
    z0 = exp.X_train @ w0 + exp.history.params[0, -1]
    start = float(np.mean((z0 - exp.y_train) ** 2))
    (caption,) = [c.value for c in at.caption if "penalty" in c.value and "λ =" in c.value]
    assert numbers(caption.split("= ", 1)[1])[0] == pytest.approx(shown(penalty), rel=1e-3)
    assert numbers(caption.split("λ = ")[1])[0] == 0.1
    assert numbers(caption.split("penalty = ")[1])[0] == pytest.approx(shown(data(exp.X_train, exp.y_train)
                                                                             + penalty), rel=1e-3)
    assert numbers(caption.split("started at ")[1])[0] == pytest.approx(shown(start + start_penalty), rel=1e-3)
    assert metric(at, "Train loss (mse, data only)")  # the metric says it leaves the penalty out
    (line,) = [m.value for m in at.markdown if m.value.startswith("**Neuron vs exact answer**")]
    assert ("ridge" if regularization == "l2" else "lasso") in line
