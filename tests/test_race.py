"""The optimizer race: one start, one batch order, four optimizers; its numbers, table, figures and tab."""

import json
from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest

from playground.charts.landscape import default_slice_parameters
from playground.charts.race import RACE_COLORS, race_landscape_figure, race_loss_figure, race_slice
from playground.datasets import DATASETS
from playground.engine import OPTIMIZERS, Network, train
from playground.experiment import run_experiment
from playground.race import (
    BEST_FINAL,
    EXACT_OPTIMUM,
    EXPLODED_COLUMN,
    NO_DIVERGENCE,
    NOT_REACHED,
    RACERS,
    REACHED_COLUMN,
    TYPICAL_LEARNING_RATES,
    Race,
    Racer,
    full_losses,
    learning_rates,
    race_table,
    reach_threshold,
    run_race,
    run_racer,
    steps_to_reach,
)
from playground.reference import reference_answer
from playground.settings import OPTIMIZER_LABELS, Settings
from tests.page import assert_clean, figures


def experiment(dataset: str = "line", **changes):
    """A page run as the page makes it: the dataset's recommended settings, then `changes`."""
    settings = replace(Settings(dataset=dataset), **{**DATASETS[dataset].recommended, **changes})
    return run_experiment(settings)


def reference_of(exp):
    if exp.settings.hidden:
        return None
    return reference_answer(exp.X_train, exp.y_train, exp.settings.activation, exp.loss)


@pytest.fixture(scope="module")
def line_race():
    exp = experiment("line")
    return exp, run_race(exp, reference_of(exp))


# --- same start, same batches -------------------------------------------------------------------------------


@pytest.mark.parametrize("changes", [{}, {"dataset": "sine", "hidden_layers": 2, "hidden_units": 3}])
def test_the_four_runs_start_from_identical_parameters(changes):
    exp = experiment(**changes)
    race = run_race(exp, reference_of(exp))
    assert [r.optimizer for r in race.racers] == list(RACERS)
    start = exp.history.params[0]
    assert np.abs(start).max() > 0  # Glorot weights, not an all-zero start that any seed would give
    for racer in race.racers:
        np.testing.assert_array_equal(racer.history.params[0], start, err_msg=racer.optimizer)


def test_with_shuffle_the_four_runs_see_the_same_batches_in_the_same_order():
    # With a learning rate of 1e-14 the weights barely move, so each update's batch loss is the loss of
    # its batch at the shared start: the sequence of batch losses spells out the batch order.
    exp = experiment("line", shuffle=True, learning_rate=1e-14)
    race = run_race(exp)
    losses = [r.history.batch_loss[1:] for r in race.racers]
    per_epoch = exp.history.steps_per_epoch
    assert not np.allclose(losses[0][:per_epoch], losses[0][per_epoch : 2 * per_epoch], rtol=1e-3)  # reshuffled
    for racer, other in zip(race.racers[1:], losses[1:]):
        np.testing.assert_allclose(other, losses[0], rtol=1e-8, err_msg=racer.optimizer)


@pytest.mark.parametrize("typical", [False, True])
def test_each_run_is_its_optimizer_on_the_batch_order_re_derived_from_the_seed(typical):
    # Re-derive the engine's randomness by hand: one generator seeded with the seed draws the Glorot
    # weights, then one permutation per epoch. Replaying each optimizer on exactly those batches must
    # give every recorded frame bit for bit, which also shows that no optimizer draws random numbers.
    exp = experiment("line", shuffle=True, epochs=6, batch_size=16)
    s = exp.settings
    X, y = exp.X_train, exp.y_train
    rng = np.random.default_rng(s.seed)
    start = Network(X.shape[1], s.hidden, s.activation, loss=exp.loss)
    start.init_glorot(rng)
    orders = [rng.permutation(len(y)) for _ in range(s.epochs)]
    race = run_race(exp, typical=typical)
    for racer in race.racers:
        net = Network(X.shape[1], s.hidden, s.activation, loss=exp.loss)
        net.params[:] = start.params
        optimizer = OPTIMIZERS[racer.optimizer](net.n_params, racer.learning_rate)
        frames = [net.params.copy()]
        for order in orders:
            for first in range(0, len(y), s.batch_size):
                rows = order[first : first + s.batch_size]
                net.loss_and_gradient(X[rows], y[rows][:, None])
                optimizer.step(net.params, net.grads)
                frames.append(net.params.copy())
        assert racer.history.diverged_at is None
        np.testing.assert_array_equal(racer.history.params, np.array(frames), err_msg=racer.optimizer)


def test_sgd_run_equals_the_engine_train_bit_for_bit():
    exp = experiment("line", validation_split=0.25, batch_size=8, epochs=12, optimizer="adam")
    s = exp.settings
    racer = next(r for r in run_race(exp).racers if r.optimizer == "sgd")
    expected = train(exp.X_train, exp.y_train, activation=s.activation, loss=exp.loss, optimizer="sgd",
                     learning_rate=s.learning_rate, batch_size=s.batch_size, epochs=s.epochs, shuffle=s.shuffle,
                     seed=s.seed, hidden=s.hidden, hidden_activation=s.hidden_activation,
                     validation=(exp.X_val, exp.y_val))
    h = racer.history
    for field in ("step", "epoch", "batch", "batch_loss", "params", "train_loss", "val_loss"):
        np.testing.assert_array_equal(getattr(h, field), getattr(expected, field), err_msg=field)
    assert h.diverged_at == expected.diverged_at


def test_the_page_run_reused_for_its_own_optimizer_is_what_a_fresh_run_gives():
    exp = experiment("sine", hidden_layers=1, optimizer="rmsprop", learning_rate=0.05)
    fresh = run_racer(exp, "rmsprop", 0.05)
    np.testing.assert_array_equal(fresh.params, exp.history.params)
    np.testing.assert_array_equal(fresh.val_loss, exp.history.val_loss)
    racer = next(r for r in run_race(exp).racers if r.optimizer == "rmsprop")
    np.testing.assert_array_equal(racer.history.params, fresh.params)


def test_learning_rates_are_the_pages_or_the_typical_ones():
    assert learning_rates(0.6) == dict.fromkeys(RACERS, 0.6)
    assert learning_rates(0.6, typical=True) == TYPICAL_LEARNING_RATES
    exp = experiment("line")
    assert [r.learning_rate for r in run_race(exp, typical=True).racers] == [TYPICAL_LEARNING_RATES[o] for o in RACERS]


# --- the full loss per step and "steps to reach 1 % of optimum" ---------------------------------------------


def hand_history(losses, steps):
    """A History-like one-neuron run on x = (0, 1), y = (0, 1) with b = 0, so L(w) = (w − 1)² / 2 exactly."""
    w = 1.0 - np.sqrt(2.0 * np.asarray(losses))
    return SimpleNamespace(sizes=(1, 1), activation="linear", hidden_activation="linear", loss="mse",
                           regularization="none", regularization_rate=0.0,
                           params=np.column_stack([w, np.zeros_like(w)]), step=np.asarray(steps))


def test_full_losses_of_a_hand_made_history():
    losses = [0.5, 0.102, 0.1009, 0.09, 0.1]
    h = hand_history(losses, [0, 5, 10, 20, 40])
    X, y = np.array([[0.0], [1.0]]), np.array([0.0, 1.0])
    np.testing.assert_allclose(full_losses(h, X, y, np.arange(5)), losses, rtol=1e-12)
    np.testing.assert_allclose(full_losses(h, X, y, np.array([4, 1])), [0.1, 0.102], rtol=1e-12)


def test_reached_means_one_percent_of_the_way_from_the_start_to_the_optimum_is_left():
    assert reach_threshold(0.5, 0.1) == pytest.approx(0.104)  # 0.1 + 1 % of 0.4
    assert reach_threshold(0.5, 0.0) == pytest.approx(0.005)  # an exact fit, L* = 0: still reachable
    assert reach_threshold(0.5, 0.7) == 0.7  # no progress to make: the optimum itself
    losses = [0.5, 0.106, 0.1039, 0.09, 0.1]
    h = hand_history(losses, [0, 5, 10, 20, 40])
    computed = full_losses(h, np.array([[0.0], [1.0]]), np.array([0.0, 1.0]), np.arange(5))
    assert steps_to_reach(h.step, computed, reach_threshold(0.5, 0.1)) == 10  # 0.106 > 0.104 ≥ 0.1039
    assert steps_to_reach(h.step, computed, reach_threshold(0.5, 0.09)) == 20
    assert steps_to_reach(h.step, computed, reach_threshold(0.5, 0.05)) is None
    assert steps_to_reach(h.step, [np.nan, 0.2], 0.2) == 5  # a NaN loss is never "within"


def test_every_recorded_frame_is_evaluated_so_the_step_is_the_exact_update(line_race):
    exp, race = line_race
    for racer in race.racers:
        np.testing.assert_array_equal(racer.loss_steps, racer.history.step)
        np.testing.assert_array_equal(racer.loss_steps, np.arange(len(racer.loss_steps)))  # not thinned: every update


def brute_force_first_update(exp, racer, threshold):
    """Replay the racer's run by hand and evaluate the full training loss after every single update."""
    s = exp.settings
    net = Network(exp.X_train.shape[1], s.hidden, s.activation, s.hidden_activation, exp.loss)
    rng = np.random.default_rng(s.seed)
    net.init_glorot(rng)
    optimizer = OPTIMIZERS[racer.optimizer](net.n_params, racer.learning_rate)
    X, y, step = exp.X_train, exp.y_train, 0
    if net.loss_value(X, y) <= threshold:
        return 0
    for _ in range(s.epochs):
        order = rng.permutation(len(y)) if s.shuffle else np.arange(len(y))
        for first in range(0, len(y), s.batch_size):
            rows = order[first : first + s.batch_size]
            net.loss_and_gradient(X[rows], y[rows][:, None])
            optimizer.step(net.params, net.grads)
            step += 1
            if net.loss_value(X, y) <= threshold:
                return step
    return None


def test_a_thinned_long_run_still_counts_the_exact_update():
    # 2,400 updates: the History keeps 2,001 of them, so most recorded steps are 1 apart but some are 2.
    exp = experiment("line", batch_size=1, epochs=30, learning_rate=0.001, optimizer="sgd")
    race = run_race(exp, reference_of(exp))
    assert exp.history.step[-1] == 2400 and len(exp.history.step) == 2001
    for racer in race.racers:
        expected = brute_force_first_update(exp, racer, race.threshold)
        assert race.steps_to_optimum(racer) == expected, racer.optimizer


@pytest.mark.parametrize("typical", [False, True])
def test_an_unrecorded_update_that_reaches_the_optimum_first_is_the_one_counted(typical):
    # 8,000 updates of one point each, thinned to 2,001 frames: the loss jumps about from update to update, and
    # with typical rates SGD first reaches the threshold at update 38, between the recorded steps 36 and 40.
    exp = run_experiment(Settings(batch_size=1, epochs=100))
    race = run_race(exp, reference_of(exp), typical)
    assert len(exp.history.step) == 2001 < exp.history.step[-1]
    for racer in race.racers:
        assert race.steps_to_optimum(racer) == brute_force_first_update(exp, racer, race.threshold), racer.optimizer


def test_an_exact_fit_with_zero_loss_is_reached():
    # House prices: two points, so least squares fits them exactly and L* ≈ 1e-26.
    exp = experiment("house", optimizer="adam", learning_rate=10.0, batch_size=2000, epochs=500)
    race = run_race(exp, reference_of(exp))
    assert race.optimum_loss < 1e-20
    adam = next(r for r in race.racers if r.optimizer == "adam")
    assert race.steps_to_optimum(adam) == brute_force_first_update(exp, adam, race.threshold) is not None


@pytest.mark.parametrize("changes", [
    {"dataset": "line"},
    {"dataset": "blobs"},  # sigmoid + cross-entropy from the logits
    {"dataset": "sine", "hidden_layers": 2, "hidden_units": 5, "hidden_activation": "relu"},
    {"dataset": "groups", "activation": "tanh", "loss": "bce"},  # cross-entropy on clipped probabilities
])
def test_full_losses_equal_the_engines_loss_at_every_frame(changes):
    exp = experiment(**changes)
    h = exp.history
    frames = np.arange(len(h.step))
    expected = [h.network(f).loss_value(exp.X_train, exp.y_train) for f in frames]
    np.testing.assert_allclose(full_losses(h, exp.X_train, exp.y_train, frames), expected, rtol=1e-10)


def racer(optimizer, losses, steps, diverged_at=None, val=None, reached=None):
    h = hand_history(losses, steps)
    h.train_loss, h.val_loss, h.diverged_at = np.array([losses[0], losses[-1]]), val, diverged_at
    final = (losses[-1], None if val is None else float(val[-1]))
    return Racer(optimizer, 0.1, h, np.asarray(steps), np.asarray(losses), reached, final)


def test_table_of_a_hand_made_race():
    race = Race((racer("sgd", [0.5, 0.3, 0.2], [0, 1, 2]),
                 racer("momentum", [0.5, 0.1, 0.1005], [0, 3, 6], val=np.array([0.6, 0.12]), reached=3),
                 racer("adam", [0.5, 0.4], [0, 1], diverged_at=2)), 0.1, EXACT_OPTIMUM, False)
    table = race_table(race)
    assert table["optimizer"].tolist() == ["SGD", "Momentum", "Adam"]
    assert table[REACHED_COLUMN].tolist() == [NOT_REACHED, "3", NOT_REACHED]
    assert table[EXPLODED_COLUMN].tolist() == [NO_DIVERGENCE, NO_DIVERGENCE, "2"]
    assert table["final train loss"].tolist() == [0.2, 0.1005, 0.4]
    assert table["final validation loss"].isna().tolist() == [True, False, True]


# --- the race on real runs: optimum and table ---------------------------------------------------------------


def test_the_optimum_is_the_exact_answers_loss_when_given(line_race):
    exp, race = line_race
    w, b = reference_of(exp)
    net = Network(1, (), "linear", loss="mse")
    net.params[:] = [w[0], b]
    assert race.optimum_source == EXACT_OPTIMUM
    assert race.optimum_loss == pytest.approx(net.loss_value(exp.X_train, exp.y_train), rel=1e-12)
    assert all(r.history.train_loss[-1] >= race.optimum_loss * (1 - 1e-9) for r in race.racers)


def test_without_an_exact_answer_the_optimum_is_the_best_final_loss():
    exp = experiment("sine", hidden_layers=1)
    race = run_race(exp, None)
    assert race.optimum_source == BEST_FINAL
    finals = [r.history.train_loss[-1] for r in race.racers]
    assert race.optimum_loss == min(finals)
    best = race.racers[int(np.argmin(finals))]
    assert race.steps_to_optimum(best) is not None  # the best one always gets there, at the latest at its end


@pytest.mark.parametrize("dataset, typical", [("line", False), ("line", True), ("house", False)])
def test_the_table_reports_each_run(dataset, typical):
    exp = experiment(dataset)
    race = run_race(exp, reference_of(exp), typical)
    table = race_table(race)
    assert table["optimizer"].tolist() == [OPTIMIZER_LABELS[o] for o in RACERS]
    diverged = []
    for row, r in zip(table.to_dict("records"), race.racers):
        h = r.history
        assert row["learning rate"] == (TYPICAL_LEARNING_RATES[r.optimizer] if typical else exp.settings.learning_rate)
        assert row["final train loss"] == h.train_loss[-1]
        if h.val_loss is None:
            assert row["final validation loss"] is None or np.isnan(row["final validation loss"])
        else:
            assert row["final validation loss"] == h.val_loss[-1]
        assert row[EXPLODED_COLUMN] == (NO_DIVERGENCE if h.diverged_at is None else str(h.diverged_at))
        diverged.append(h.diverged_at is not None)
        # Independently: the run replayed by hand, the full loss after every update.
        start = h.network(0).loss_value(exp.X_train, exp.y_train)
        threshold = race.optimum_loss + 0.01 * max(start - race.optimum_loss, 0)
        if h.diverged_at is None:
            expected = brute_force_first_update(exp, r, threshold)
            assert row[REACHED_COLUMN] == (NOT_REACHED if expected is None else str(expected)), r.optimizer
    if dataset == "house":  # 1000-sqft units and $1000s: SGD and momentum at 0.6 blow up
        assert diverged[:2] == [True, True]
    if dataset == "line" and not typical:  # all four get 99 % of the way to least squares at lr 0.6
        assert NOT_REACHED not in table[REACHED_COLUMN].tolist()


# --- figures -------------------------------------------------------------------------------------------------


def path_traces(figure):
    """Each racer's path (not the white halo drawn under it)."""
    return [t for t in figure["data"] if t["type"] == "scatter" and t["mode"] == "lines" and t.get("showlegend", True)]


@pytest.mark.parametrize("changes", [{"dataset": "line"}, {"dataset": "house"},
                                     {"dataset": "sine", "hidden_layers": 1}, {"dataset": "blobs"}])
def test_landscape_figure_has_four_coloured_paths_over_the_slice(changes):
    exp = experiment(**changes)
    reference = reference_of(exp)
    race = run_race(exp, reference)
    u, v = default_slice_parameters(exp)
    ls = race_slice(exp, race, reference, u, v)
    figure = race_landscape_figure(race, ls, u, v)
    go.Figure(figure)  # Plotly accepts it (the page skips this validation)
    assert "NaN" not in json.dumps(figure) and "Infinity" not in json.dumps(figure)
    assert figure["data"][0]["type"] == "contour"
    paths = path_traces(figure)
    assert len(paths) == 4
    assert len({p["line"]["color"] for p in paths}) == 4
    assert [p["name"].split(" (")[0] for p in paths] == [OPTIMIZER_LABELS[o] for o in RACERS]
    k = exp.history.sizes[-2]
    for path, r in zip(paths, race.racers):
        assert path["x"][-1] == pytest.approx(r.history.params[-1, -k - 1 + u], rel=1e-4)
        assert path["y"][-1] == pytest.approx(r.history.params[-1, -k - 1 + v], rel=1e-4, abs=1e-12)
    ends = [t for t in figure["data"] if t.get("legendgroup") in RACERS and t["mode"] == "markers"]
    assert len(ends) == 4  # each path's end is marked
    for r in race.racers:  # every racer that did not diverge lies on the background's grid
        if r.history.diverged_at is None:
            out = r.history.params[:, -k - 1 :]
            assert ls.u_values[0] <= out[:, u].min() and out[:, u].max() <= ls.u_values[-1]
            assert ls.v_values[0] <= out[:, v].min() and out[:, v].max() <= ls.v_values[-1]


@pytest.mark.parametrize("log_scale", [False, True])
def test_loss_figure_has_one_curve_per_optimizer_per_epoch(line_race, log_scale):
    exp, race = line_race
    figure = race_loss_figure(race, exp.loss, log_scale)
    go.Figure(figure)
    curves = [t for t in figure["data"] if t.get("legendgroup") in RACERS and t["mode"] == "lines+markers"]
    assert len(curves) == 4
    for curve, r in zip(curves, race.racers):
        assert curve["line"]["color"] == RACE_COLORS[r.optimizer]
        assert curve["x"] == list(range(len(r.history.train_loss)))
        np.testing.assert_allclose(curve["y"], r.history.train_loss, rtol=1e-4)
    assert figure["layout"]["yaxis"]["type"] == ("log" if log_scale else "linear")


@pytest.mark.parametrize("typical", [False, True])
@pytest.mark.parametrize("changes", [
    {"dataset": "line800", "standardize": False, "optimizer": "sgd", "learning_rate": 10.0},
    {"dataset": "digits", "optimizer": "momentum", "learning_rate": 10.0, "batch_size": 1, "epochs": 1},
    {"dataset": "sine", "hidden_layers": 3, "hidden_units": 16, "activation": "relu", "learning_rate": 10.0},
    {"dataset": "digits", "activation": "linear", "loss": "bce"},  # stuck: no racer gets below its start
])
def test_exploding_and_stuck_races_give_valid_figures_and_tables(changes, typical):
    exp = experiment(**changes)
    reference = reference_of(exp)
    race = run_race(exp, reference, typical)
    u, v = default_slice_parameters(exp)
    ls = race_slice(exp, race, reference, u, v)
    for figure in (race_landscape_figure(race, ls, u, v), race_loss_figure(race, exp.loss, True),
                   race_loss_figure(race, exp.loss, False)):
        json.dumps(figure, allow_nan=False)  # no NaN or infinity reaches a figure
        go.Figure(figure)
    table = race_table(race)
    assert len(table) == 4 and table["final train loss"].notna().all()


def test_an_optimum_far_below_the_curves_is_written_not_drawn_on_a_log_scale():
    exp = experiment("house")  # two points: least squares fits them exactly, loss ≈ 1e-26
    race = run_race(exp, reference_of(exp))
    assert race.optimum_loss < 1e-20
    log = race_loss_figure(race, exp.loss, True)
    assert not [t for t in log["data"] if t["name"] == "exact answer's loss"]
    assert "far below this chart" in log["layout"]["annotations"][0]["text"]
    linear = race_loss_figure(race, exp.loss, False)
    assert [t for t in linear["data"] if t["name"] == "exact answer's loss"]


# --- the page ------------------------------------------------------------------------------------------------


def test_page_renders_the_race_tab(app):
    at = app(view="Optimizer race")
    assert_clean(at)
    shown = figures(at)
    assert set(shown) == {"race_landscape", "race_loss"}  # the lazy tabs build only this view
    assert len(path_traces(shown["race_landscape"])) == 4
    (table,) = at.dataframe
    assert table.value["optimizer"].tolist() == [OPTIMIZER_LABELS[o] for o in RACERS]
    assert table.value["learning rate"].tolist() == [0.6] * 4
    captions = " ".join(c.value for c in at.caption)
    assert "L* = " in captions and "(the loss of the exact answer)" in captions

    at.toggle(key="race_typical").set_value(True).run()
    assert_clean(at)
    assert at.dataframe[0].value["learning rate"].tolist() == [TYPICAL_LEARNING_RATES[o] for o in RACERS]
    at.toggle(key="race_log").set_value(False).run()
    assert_clean(at)
    assert figures(at)["race_loss"]["layout"]["yaxis"]["type"] == "linear"


def test_page_race_with_hidden_layers_says_the_landscape_is_a_slice(app):
    at = app(view="Optimizer race", dataset="sine", hidden_layers="1")
    assert_clean(at)
    assert len(path_traces(figures(at)["race_landscape"])) == 4
    captions = " ".join(c.value for c in at.caption)
    assert "a slice of the loss through the final parameters" in captions
    assert "The slice is the page's run's (Adam, lr 0.6)" in captions


def test_page_race_slice_choice_survives_a_model_with_fewer_parameters(app):
    at = app(view="Optimizer race", dataset="diabetes")
    assert_clean(at)
    at.selectbox(key="race_slice_u_11").set_value(9).run()  # w[s6] of 10 weights
    assert figures(at)["race_landscape"]["layout"]["xaxis"]["title"]["text"] == "w[s6]"
    at.selectbox(key="w_dataset").set_value("blobs").run()  # 2 weights and a bias
    at.toggle(key="race_typical").set_value(True).run()
    assert_clean(at)
    assert len(path_traces(figures(at)["race_landscape"])) == 4
