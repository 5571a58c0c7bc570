"""Step-through math: the replayed update carries the engine's own numbers (checked against the History
the run recorded and against gradients computed by hand), and the page shows them and steps on."""

from dataclasses import replace

import numpy as np
import pytest

from playground.experiment import run_experiment
from playground.sections.stepthrough import INPUT_KEY, NEXT_KEY, PREVIOUS_KEY, STEP_KEY, num
from playground.settings import Settings
from playground.stepthrough import (
    Replay,
    epoch_and_batch,
    explain_step,
    gradient_table,
    last_step,
    parameter_names,
    step_of,
)
from tests.page import assert_clean

VIEW = "Step through the math"

# (settings, what they cover); every run shuffles and stays under MAX_FRAMES, so each step is a frame.
CASES = {
    "sgd-neuron-mse-batch1": Settings(optimizer="sgd", learning_rate=0.1, batch_size=1, epochs=3),
    "momentum-hidden-mse-minibatch": Settings(dataset="sine", optimizer="momentum", learning_rate=0.01,
                                              hidden_layers=1, batch_size=16, epochs=10),
    "rmsprop-neuron-bce-minibatch": Settings(dataset="groups", activation="sigmoid", optimizer="rmsprop",
                                             learning_rate=0.05, batch_size=8, epochs=5),
    "adam-hidden-bce-batch1": Settings(dataset="groups", activation="sigmoid", optimizer="adam", learning_rate=0.01,
                                       hidden_layers=1, hidden_units=3, batch_size=1, epochs=2),
    "adam-neuron-mse-features": Settings(dataset="diabetes", standardize=True, optimizer="adam", learning_rate=0.1,
                                         batch_size=32, epochs=8),
    "sgd-two-hidden-relu-bce": Settings(dataset="breast_cancer", standardize=True, activation="sigmoid",
                                        hidden_layers=2, hidden_units=3, hidden_activation="relu", optimizer="sgd",
                                        learning_rate=0.1, batch_size=64, epochs=4),
    "adam-hidden-bce-l1": Settings(dataset="groups", activation="sigmoid", optimizer="adam", learning_rate=0.05,
                                   hidden_layers=1, hidden_units=3, batch_size=8, epochs=3, regularization="l1",
                                   regularization_rate=0.03),
}


@pytest.fixture(scope="module")
def experiments():
    return {name: run_experiment(settings) for name, settings in CASES.items()}


def frame_of(history, step: int) -> int:
    (frame,) = np.flatnonzero(history.step == step)
    return int(frame)


def steps_to_check(exp) -> list[int]:
    n = last_step(exp)
    return sorted({1, 2, n // 3, n // 2 + 1, n - 1, n} - {0})


# --- the replay is the engine's run -----------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_the_recreated_run_reproduces_the_history_bit_for_bit(experiments, name):
    exp = experiments[name]
    assert exp.history.diverged_at is None and exp.settings.shuffle
    again = exp.training_run().run()
    np.testing.assert_array_equal(again.params, exp.history.params)
    np.testing.assert_array_equal(again.train_loss, exp.history.train_loss)
    np.testing.assert_array_equal(again.val_loss, exp.history.val_loss)


@pytest.mark.parametrize("name", CASES)
def test_explained_update_moves_the_parameters_from_frame_k_minus_1_to_frame_k(experiments, name):
    exp = experiments[name]
    h = exp.history
    assert h.step.size == last_step(exp) + 1  # every update is a frame
    for k in steps_to_check(exp):
        detail = explain_step(exp, k)
        frame = frame_of(h, k)
        assert detail.step == k
        assert (detail.epoch, detail.batch) == (h.epoch[frame], h.batch[frame]) == epoch_and_batch(k, h.steps_per_epoch)
        np.testing.assert_array_equal(detail.params_before, h.params[frame - 1])
        np.testing.assert_array_equal(detail.params_after, h.params[frame])
        assert detail.loss == h.batch_loss[frame]
        assert not np.array_equal(detail.params_before, detail.params_after)


@pytest.mark.parametrize("name", ["momentum-hidden-mse-minibatch", "adam-hidden-bce-batch1"])
def test_replay_forward_back_and_jumps_agree_with_fresh_explanations(experiments, name):
    exp = experiments[name]
    h = exp.history
    replay = Replay(exp, keep=8, behind=3)
    n = last_step(exp)
    for k in [1, 2, 3, 2, 1, n, n - 1, n - 5, n - 4, 10, 9, 30, 4]:
        detail = replay.explain(k)
        np.testing.assert_array_equal(detail.params_after, h.params[frame_of(h, k)])
        np.testing.assert_array_equal(detail.grads, explain_step(exp, k).grads)
        if exp.settings.optimizer != "sgd":
            state = detail.state_after
            fresh = explain_step(exp, k).state_after
            assert state.keys() == fresh.keys()
            for key, value in state.items():
                np.testing.assert_array_equal(value, fresh[key])


def test_optimizer_state_follows_the_update_rules(experiments):
    adam = explain_step(experiments["adam-neuron-mse-features"], 7)
    before, after, g = adam.state_before, adam.state_after, adam.grads
    assert (before["t"], after["t"]) == (6, 7)
    np.testing.assert_allclose(after["m"], 0.9 * before["m"] + 0.1 * g, rtol=1e-12)
    np.testing.assert_allclose(after["v"], 0.999 * before["v"] + 0.001 * g * g, rtol=1e-12)
    m_hat, v_hat = adam.moments_hat()
    np.testing.assert_allclose(adam.params_after, adam.params_before - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8),
                               rtol=1e-12)
    momentum = explain_step(experiments["momentum-hidden-mse-minibatch"], 5)
    np.testing.assert_allclose(momentum.state_after["velocity"],
                               0.9 * momentum.state_before["velocity"] + momentum.grads, rtol=1e-12)
    np.testing.assert_allclose(momentum.params_after,
                               momentum.params_before - 0.01 * momentum.state_after["velocity"], rtol=1e-12)


def test_a_diverged_run_explains_the_update_that_exploded():
    exp = run_experiment(Settings(dataset="line800", optimizer="sgd", learning_rate=10.0))
    h = exp.history
    assert h.diverged_at is not None and h.diverged_at >= 1
    assert last_step(exp) == h.diverged_at
    detail = explain_step(exp, last_step(exp))
    np.testing.assert_array_equal(detail.params_before, h.params[-1])
    assert np.max(np.abs(detail.params_after)) > 10 * np.max(np.abs(detail.params_before))
    for bad in (0, last_step(exp) + 1):
        with pytest.raises(ValueError, match="step must be between"):
            explain_step(exp, bad)


# --- the gradient is the chain rule, by hand ----------------------------------------------------------------


@pytest.mark.parametrize("step", [1, 2, 5])
def test_linear_neuron_gradient_is_2_over_m_sum_of_error_times_x(step):
    exp = run_experiment(Settings(optimizer="sgd", learning_rate=0.1, batch_size=16))
    d = explain_step(exp, step)
    x, y = d.X_batch[:, 0], d.y_batch
    (w, b), m = d.params_before, y.size
    error = w * x + b - y
    expected = np.array([2.0 / m * np.sum(error * x), 2.0 / m * np.sum(error)])
    np.testing.assert_allclose(d.grads, expected, rtol=1e-12)
    np.testing.assert_allclose(d.sample_grads.mean(axis=0), expected, rtol=1e-12)
    np.testing.assert_allclose(d.dloss_da, 2 * error, rtol=1e-12)
    np.testing.assert_array_equal(d.da_dz, np.ones(m))
    np.testing.assert_allclose(d.loss, np.mean(error**2), rtol=1e-12)
    np.testing.assert_allclose(d.sample_loss, error**2, rtol=1e-12)
    np.testing.assert_allclose(d.params_after, d.params_before - 0.1 * expected, rtol=1e-12)


@pytest.mark.parametrize("dataset", ["groups", "breast_cancer"])
def test_sigmoid_cross_entropy_gradient_is_sigma_minus_y_times_x_over_m(dataset):
    exp = run_experiment(Settings(dataset=dataset, standardize=True, activation="sigmoid", optimizer="sgd",
                                  learning_rate=0.1, batch_size=16))
    assert exp.loss == "bce"
    d = explain_step(exp, 3)
    X, y, m = d.X_batch, d.y_batch, d.y_batch.size
    w, b = d.params_before[:-1], d.params_before[-1]
    p = 1.0 / (1.0 + np.exp(-(X @ w + b)))
    expected = np.append(X.T @ (p - y) / m, np.sum(p - y) / m)
    assert np.linalg.norm(expected) > 1e-3  # not vacuous
    np.testing.assert_allclose(d.grads, expected, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(d.dloss_dz, p - y, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(d.dloss_da * d.da_dz, p - y, rtol=1e-9, atol=1e-12)  # the unfused chain agrees
    np.testing.assert_allclose(d.loss, -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), rtol=1e-10)


def test_hidden_network_output_neuron_takes_the_hidden_activations_as_inputs(experiments):
    exp = experiments["momentum-hidden-mse-minibatch"]
    d = explain_step(exp, 4)
    W1, b1 = d.params_before[:4].reshape(1, 4), d.params_before[4:8]
    h = np.tanh(d.X_batch @ W1 + b1)
    np.testing.assert_allclose(d.inputs, h, rtol=1e-12)
    w2, b2 = d.params_before[8:12], d.params_before[12]
    error = h @ w2 + b2 - d.y_batch
    np.testing.assert_allclose(d.grads[d.output_slice], np.append(2 * h.T @ error, 2 * error.sum()) / d.m, rtol=1e-12)


def test_parameter_names_follow_the_flat_layout():
    assert parameter_names((1, 1)) == [("output", "w x1→ŷ"), ("output", "b ŷ")]
    names = parameter_names((2, 3, 1))
    assert len(names) == 3 * 3 + 4
    assert names[:2] == [("hidden 1", "w x1→h1"), ("hidden 1", "w x1→h2")]  # W is (fan_in, fan_out), row-major
    assert names[6:9] == [("hidden 1", "b h1"), ("hidden 1", "b h2"), ("hidden 1", "b h3")]
    assert names[-1] == ("output", "b ŷ") and names[-2] == ("output", "w h3→ŷ")
    assert ("hidden 2", "w h1.2→h2.1") in parameter_names((1, 2, 2, 1))
    assert [step_of(*epoch_and_batch(k, 7), 7) for k in range(1, 30)] == list(range(1, 30))


# --- the page ----------------------------------------------------------------------------------------------


def page_latex(at) -> str:
    return "\n".join(element.value for element in at.latex)


def assert_shows_update(at, detail):
    latex = page_latex(at)
    weight, bias = detail.grads[-2], detail.grads[-1]
    assert num(weight) == f"{weight:.4g}" and num(bias) == f"{bias:.4g}"  # the displayed format
    assert rf"\frac{{\partial \ell_i}}{{\partial w}} = {num(weight)}\end{{aligned}}" in latex
    assert rf"\frac{{\partial \ell_i}}{{\partial b}} = {num(bias)}\end{{aligned}}" in latex
    assert rf"= {num(detail.params_after[-1])}\end{{aligned}}" in latex  # b after the update
    assert rf"E &= \frac{{1}}{{{detail.m}}}\sum_{{i=1}}^{{{detail.m}}} \ell_i = {num(detail.loss)}" in latex


def test_page_shows_the_engine_numbers_and_next_and_previous_step(app):
    exp = run_experiment(Settings())  # the page's defaults
    at = app(view=VIEW)
    assert_clean(at)
    assert at.session_state[STEP_KEY] == 1
    assert_shows_update(at, explain_step(exp, 1))
    assert r"\hat m_{w}" in page_latex(at) and r"\hat v_{b}" in page_latex(at)  # Adam writes out m̂ and v̂
    assert at.button(key=PREVIOUS_KEY).disabled
    assert any("first 5 of 32 rows" in c.value for c in at.caption)
    assert len(at.dataframe[0].value) == 5

    at.button(key=NEXT_KEY).click().run()
    assert_clean(at)
    assert at.session_state[STEP_KEY] == 2
    assert at.number_input(key=INPUT_KEY).value == 2
    assert_shows_update(at, explain_step(exp, 2))
    with pytest.raises(AssertionError):
        assert_shows_update(at, explain_step(exp, 1))

    at.button(key=PREVIOUS_KEY).click().run()
    assert at.session_state[STEP_KEY] == 1
    assert_shows_update(at, explain_step(exp, 1))


def test_page_picks_a_step_by_number_or_by_epoch_and_batch_and_clamps_it(app):
    exp = run_experiment(Settings())
    at = app(view=VIEW)
    at.number_input(key=INPUT_KEY).set_value(5).run()
    assert_clean(at)
    assert (at.number_input(key="step_through_epoch").value, at.number_input(key="step_through_batch").value) == (2, 2)
    assert_shows_update(at, explain_step(exp, 5))
    at.number_input(key="step_through_epoch").set_value(30).run()
    assert at.session_state[STEP_KEY] == step_of(30, 1, 3) == 89
    at.button(key=NEXT_KEY).click().run()
    assert at.session_state[STEP_KEY] == last_step(exp) == 90
    assert at.button(key=NEXT_KEY).disabled
    assert_shows_update(at, explain_step(exp, 90))

    at.session_state[STEP_KEY] = 10**6  # e.g. left over from a longer run
    at.run()
    assert_clean(at)
    assert at.session_state[STEP_KEY] == 90


def test_page_with_a_hidden_layer_lists_every_gradient(app):
    settings = replace(Settings(), hidden_layers=1, optimizer="rmsprop", learning_rate=0.01)
    exp = run_experiment(settings)
    at = app(view=VIEW, hidden_layers="1", optimizer="rmsprop", learning_rate="0.01")
    assert_clean(at)
    detail = explain_step(exp, 1)
    latex = page_latex(at)
    assert r"\mathbf{h}_{1}" in latex and r"\partial w_{1}" in latex
    assert rf"\frac{{\partial \ell_i}}{{\partial w_{{1}}}} = {num(detail.grads[detail.output_slice][0])}" in latex
    table = at.dataframe[-1].value
    assert len(table) == detail.grads.size == 13
    np.testing.assert_array_equal(table["gradient"].to_numpy(), detail.grads)
    assert list(table["parameter"]) == gradient_table(detail)["parameter"]
