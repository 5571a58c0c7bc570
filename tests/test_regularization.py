"""Weight penalties (l1, l2, Keras's convention) against independent references: finite differences,
a textbook NumPy loop, PyTorch with the penalty written into its loss, scikit-learn's Ridge, and the
optimality conditions of the penalised objective at the exact answers."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from playground.charts.landscape import compute_slice
from playground.engine import ACTIVATIONS, LOSSES, Network, train
from playground.experiment import run_experiment
from playground.landscape import loss_grid, loss_slice
from playground.race import exact_loss, run_race
from playground.reference import METHODS, lasso, logistic, method_for, ols, reference_answer, ridge
from playground.sections.state import SOLUTIONS, reference_for
from playground.settings import Settings
from playground.stepthrough import explain_step

PENALTIES = ("l1", "l2")


def _objective_and_gradient(net, X, y_col, regularization, rate):
    """The engine's batch objective (data loss + penalty) and its gradient (a copy of net.grads)."""
    value = net.loss_and_gradient(X, y_col) + net.add_penalty_gradient(regularization, rate)
    return value, net.grads.copy()


def _textbook_penalty(weights, regularization):
    return sum(np.sum(W**2) if regularization == "l2" else np.sum(np.abs(W)) for W in weights)


# --- the engine's gradient ------------------------------------------------------------------------

@pytest.mark.parametrize("regularization", PENALTIES)
@pytest.mark.parametrize("hidden", [(), (4,), (4, 3)])
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_penalised_gradient_equals_central_differences(activation, loss, hidden, regularization):
    rng = np.random.default_rng(11)
    X = rng.normal(size=(20, 3))
    y_col = (rng.random((20, 1)) < 0.5).astype(float) if loss == "bce" else rng.normal(size=(20, 1))
    net = Network(3, hidden, activation, loss=loss)
    net.params[:] = rng.normal(0.0, 0.7, net.n_params)
    net.weights[-1][...] *= 0.1  # outputs well inside (0, 1)
    net.biases[-1][...] = 0.5
    assert min(np.abs(W).min() for W in net.weights) > 1e-4  # |w| is differentiable at every weight
    rate = 0.3
    value, analytic = _objective_and_gradient(net, X, y_col, regularization, rate)
    numeric, h = np.empty(net.n_params), 1e-6
    for i in range(net.n_params):
        keep = net.params[i]
        net.params[i] = keep + h
        up = _objective_and_gradient(net, X, y_col, regularization, rate)[0]
        net.params[i] = keep - h
        down = _objective_and_gradient(net, X, y_col, regularization, rate)[0]
        net.params[i] = keep
        numeric[i] = (up - down) / (2 * h)
    assert np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric) <= 1e-6
    # The penalty is λ·Σ r(w) over every weight matrix and no bias:
    expected_penalty = rate * _textbook_penalty(net.weights, regularization)
    assert value - net.loss_value(X, y_col[:, 0]) == pytest.approx(expected_penalty, rel=1e-12)
    _objective_and_gradient(net, X, y_col, regularization, rate)  # the gradients at the unperturbed point
    assert net.add_penalty_gradient(regularization, rate) == net.weight_penalty(regularization, rate)  # one penalty
    unpenalised = Network(3, hidden, activation, loss=loss)
    unpenalised.params[:] = net.params
    unpenalised.loss_and_gradient(X, y_col)
    for b_pen, b_data in zip(net.bias_grads, unpenalised.bias_grads):
        np.testing.assert_array_equal(b_pen, b_data)


def test_l1_gradient_at_a_zero_weight_is_the_data_gradient_alone():
    X, y_col = np.array([[1.0, 2.0], [3.0, -1.0]]), np.array([[1.0], [0.0]])
    net = Network(2, (), "linear", loss="mse")
    net.params[:] = [0.0, 0.5, 0.1]
    net.loss_and_gradient(X, y_col)
    data = net.grads.copy()
    net.add_penalty_gradient("l1", 0.7)
    assert net.grads[0] == data[0]  # sign(0) = 0, as TensorFlow and PyTorch differentiate |w| at 0
    assert net.grads[1] == data[1] + 0.7 and net.grads[2] == data[2]


# --- whole runs -----------------------------------------------------------------------------------

def _digits_like(rng, n=60, p=5):
    X = rng.normal(size=(n, p))
    y = (X @ rng.normal(size=p) + rng.logistic(size=n) > 0).astype(float)
    return X, y


@pytest.mark.parametrize("hidden", [(), (3,)])
def test_a_zero_rate_or_none_is_bit_for_bit_the_unpenalised_run(hidden):
    rng = np.random.default_rng(12)
    X, y = _digits_like(rng)
    kwargs = dict(activation="sigmoid", loss="bce", hidden=hidden, optimizer="adam", learning_rate=0.05,
                  batch_size=16, epochs=4, validation=(X[:10], y[:10]))
    plain = train(X, y, **kwargs)
    for regularization, rate in (("l2", 0.0), ("l1", 0.0), ("none", 3.0)):
        h = train(X, y, regularization=regularization, regularization_rate=rate, **kwargs)
        for name in ("params", "batch_loss", "train_loss", "val_loss", "step"):
            np.testing.assert_array_equal(getattr(h, name), getattr(plain, name))
        assert (h.regularization, h.regularization_rate) == ("none", 0.0)
        np.testing.assert_array_equal(h.penalty, np.zeros(5))
        np.testing.assert_array_equal(h.objective, h.train_loss)
    assert not np.array_equal(train(X, y, regularization="l2", regularization_rate=0.01, **kwargs).params,
                              plain.params)


def _textbook_run(X, y, W1, b1, W2, b2, regularization, rate, lr, batch_size, epochs):
    """Tanh hidden layer, sigmoid output, cross-entropy, Adam (PyTorch's rule), no shuffling, written out."""
    params = [W1.copy(), b1.copy(), W2.copy(), b2.copy()]
    m_state = [np.zeros_like(p) for p in params]
    v_state = [np.zeros_like(p) for p in params]
    trajectory, losses, t = [], [], 0
    for _ in range(epochs):
        for start in range(0, len(y), batch_size):
            Xb, yb = X[start : start + batch_size], y[start : start + batch_size, None]
            W1, b1, W2, b2 = params
            h = np.tanh(Xb @ W1 + b1)
            p = 1.0 / (1.0 + np.exp(-(h @ W2 + b2)))
            losses.append(-np.mean(yb * np.log(p) + (1 - yb) * np.log(1 - p)))
            dz2 = (p - yb) / len(yb)
            dW2, db2 = h.T @ dz2, dz2.sum(axis=0)
            dz1 = (dz2 @ W2.T) * (1 - h**2)
            dW1, db1 = Xb.T @ dz1, dz1.sum(axis=0)
            if regularization == "l2":
                dW1, dW2 = dW1 + rate * 2 * W1, dW2 + rate * 2 * W2
            else:
                dW1, dW2 = dW1 + rate * np.sign(W1), dW2 + rate * np.sign(W2)
            t += 1
            for i, g in enumerate((dW1, db1, dW2, db2)):
                m_state[i] = 0.9 * m_state[i] + 0.1 * g
                v_state[i] = 0.999 * v_state[i] + 0.001 * g * g
                m_hat, v_hat = m_state[i] / (1 - 0.9**t), v_state[i] / (1 - 0.999**t)
                params[i] = params[i] - lr * m_hat / (np.sqrt(v_hat) + 1e-8)
            trajectory.append(np.concatenate([q.ravel() for q in params]))
    return np.array(trajectory), np.array(losses)


@pytest.mark.parametrize("regularization", PENALTIES)
def test_training_equals_a_textbook_numpy_loop_with_the_same_penalty(regularization):
    rng = np.random.default_rng(13)
    X, y = _digits_like(rng)
    init = train(X, y, hidden=(3,), epochs=1, seed=5).params[0]  # Glorot start, layout W1 b1 W2 b2
    W1, b1, W2, b2 = init[:15].reshape(5, 3), init[15:18], init[18:21].reshape(3, 1), init[21:]
    rate, lr = 0.05, 0.02
    h = train(X, y, activation="sigmoid", loss="bce", hidden=(3,), hidden_activation="tanh", optimizer="adam",
              learning_rate=lr, batch_size=16, epochs=5, shuffle=False, seed=5,
              regularization=regularization, regularization_rate=rate)
    np.testing.assert_array_equal(h.params[0], init)
    expected, batch_losses = _textbook_run(X, y, W1, b1, W2, b2, regularization, rate, lr, 16, 5)
    np.testing.assert_allclose(h.params[1:], expected, rtol=1e-11, atol=1e-13)
    np.testing.assert_allclose(h.batch_loss[1:], batch_losses, rtol=1e-11)  # the data loss, no penalty
    net = h.network(-1)
    assert h.penalty[-1] == pytest.approx(rate * _textbook_penalty(net.weights, regularization), rel=1e-12)
    assert h.frame_penalty(-1) == h.penalty[-1]
    assert h.objective[-1] == h.train_loss[-1] + h.penalty[-1]


@pytest.mark.parametrize("regularization", ["none", *PENALTIES])
def test_training_equals_pytorch_with_the_penalty_in_its_loss(regularization):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(14)
    X, y = _digits_like(rng, n=70, p=4)
    rate, lr = 0.02, 0.05
    h = train(X, y, activation="sigmoid", loss="bce", hidden=(3,), hidden_activation="relu", optimizer="adam",
              learning_rate=lr, batch_size=16, epochs=6, shuffle=False, seed=3,
              regularization=regularization, regularization_rate=rate)
    start = h.params[0]
    hidden = torch.nn.Linear(4, 3, dtype=torch.float64)
    output = torch.nn.Linear(3, 1, dtype=torch.float64)
    with torch.no_grad():  # the engine stores W as (fan_in, fan_out); torch as (fan_out, fan_in)
        hidden.weight.copy_(torch.tensor(start[:12].reshape(4, 3).T))
        hidden.bias.copy_(torch.tensor(start[12:15]))
        output.weight.copy_(torch.tensor(start[15:18].reshape(3, 1).T))
        output.bias.copy_(torch.tensor(start[18:]))
    model = torch.nn.Sequential(hidden, torch.nn.ReLU(), output)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    Xt, yt = torch.tensor(X), torch.tensor(y)[:, None]
    norm = {"none": lambda W: 0.0 * W.sum(), "l2": lambda W: (W**2).sum(),
            "l1": lambda W: W.abs().sum()}[regularization]
    trajectory = []
    for _ in range(6):
        for s in range(0, len(y), 16):
            optimizer.zero_grad()
            data_loss = torch.nn.functional.binary_cross_entropy_with_logits(model(Xt[s : s + 16]), yt[s : s + 16])
            (data_loss + rate * (norm(hidden.weight) + norm(output.weight))).backward()  # Keras's convention
            optimizer.step()
            trajectory.append(np.concatenate([hidden.weight.detach().numpy().T.ravel(), hidden.bias.detach().numpy(),
                                              output.weight.detach().numpy().T.ravel(), output.bias.detach().numpy()]))
    np.testing.assert_allclose(h.params[1:], np.array(trajectory), rtol=1e-11, atol=1e-13)


def test_full_batch_descent_with_l2_reaches_ridge_and_penalised_logistic_regression():
    rng = np.random.default_rng(15)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.5, -2.0, 0.3]) + 4.0 + rng.normal(0, 0.5, 200)
    h = train(X, y, optimizer="sgd", learning_rate=0.1, batch_size=200, epochs=2000,
              regularization="l2", regularization_rate=0.5)
    w_ref, b_ref = ridge(X, y, 0.5)
    np.testing.assert_allclose(h.w[-1], w_ref, atol=1e-8)
    assert abs(h.b[-1] - b_ref) < 1e-8 and np.abs(w_ref - ols(X, y)[0]).min() > 0.1  # the penalty matters
    labels = (X[:, 0] - X[:, 1] > 0).astype(float)  # separable: only the penalty keeps the optimum finite
    h = train(X, labels, activation="sigmoid", loss="bce", optimizer="sgd", learning_rate=1.0, batch_size=200,
              epochs=3000, regularization="l2", regularization_rate=0.01)
    w_ref, b_ref = logistic(X, labels, "l2", 0.01)
    np.testing.assert_allclose(h.w[-1], w_ref, atol=1e-5)
    assert abs(h.b[-1] - b_ref) < 1e-5


def test_divergence_is_judged_on_the_objective():
    # The data loss does not depend on w (x = 0), but lr·2λ = 4 makes w ← −3w: the penalty 2·9^k explodes.
    # The limit is 1e6 × the initial objective (≈ 2.43): the state after update 7 (penalty 9.6e6) is the
    # first beyond it, seen by the batch check before update 8, not later at the end of an epoch (2 batches).
    X, y = np.zeros((8, 1)), np.linspace(-1, 1, 8)
    kwargs = dict(optimizer="sgd", learning_rate=1.0, batch_size=4, epochs=100, init=([1.0], 0.0), shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = train(X, y, regularization="l2", regularization_rate=2.0, **kwargs)
    assert h.diverged_at == 7 and h.w[-1, 0] == 729.0 and np.isfinite(h.penalty).all()
    assert train(X, y, **kwargs).diverged_at is None


def test_bad_penalties_are_rejected_with_a_message():
    X, y = np.zeros((5, 1)), np.zeros(5)
    with pytest.raises(ValueError, match="unknown regularization"):
        train(X, y, regularization="l3")
    with pytest.raises(ValueError, match="regularization_rate"):
        train(X, y, regularization="l2", regularization_rate=-0.1)


# --- the exact answers ----------------------------------------------------------------------------

def _regression_data(rng, n=150, p=3):
    X = rng.normal(size=(n, p)) * np.array([1.0, 4.0, 0.2])[:p] + 2.0
    return X, X @ np.array([1.5, -0.3, 4.0])[:p] + 1.0 + rng.normal(size=n)


@pytest.mark.parametrize("rate", [1e-4, 0.03, 1.0, 10.0])
def test_ridge_equals_scikit_learn_ridge_with_alpha_n_lambda(rate):
    X, y = _regression_data(np.random.default_rng(16))
    w, b = ridge(X, y, rate)
    model = Ridge(alpha=rate * len(y), solver="cholesky").fit(X, y)  # sklearn: ‖y − Xw − b‖² + α‖w‖²
    np.testing.assert_allclose(w, model.coef_, rtol=1e-10, atol=1e-12)
    assert b == pytest.approx(model.intercept_, rel=1e-10, abs=1e-12)


def _optimality_gap(X, y, w, b, activation, loss, regularization, rate):
    """Largest violation of the optimality conditions of the engine's objective at (w, b)."""
    net = Network(X.shape[1], (), activation, loss=loss)
    net.params[:-1], net.params[-1] = w, b
    net.loss_and_gradient(X, y[:, None])
    data = net.grads.copy()
    if regularization == "l2":
        net.add_penalty_gradient("l2", rate)
        return np.abs(net.grads).max()
    dw = data[:-1]  # l1: at w ≠ 0 the gradient vanishes; at w = 0 the data gradient is within ±λ
    at_zero = w == 0
    return max(np.abs(dw[~at_zero] + rate * np.sign(w[~at_zero])).max(initial=0.0),
               np.maximum(np.abs(dw[at_zero]) - rate, 0.0).max(initial=0.0), abs(data[-1]))


@pytest.mark.parametrize("rate", [1e-3, 0.1, 1.0, 30.0])
@pytest.mark.parametrize("regularization", PENALTIES)
def test_linear_references_zero_the_engines_penalised_gradient(regularization, rate):
    X, y = _regression_data(np.random.default_rng(17))
    w, b = reference_answer(X, y, "linear", "mse", regularization, rate)
    assert _optimality_gap(X, y, w, b, "linear", "mse", regularization, rate) < 1e-9
    assert not np.allclose(w, ols(X, y)[0], atol=1e-4)  # a different answer from least squares


def test_lasso_sets_weak_weights_to_exactly_zero():
    X, y = _regression_data(np.random.default_rng(18))
    w, _ = lasso(X, y, 1.0).answer
    assert w[2] == 0.0 and w[0] != 0.0


def _classes(rng, n=200, separable=False):
    X = rng.normal(size=(n, 3))
    score = X @ np.array([2.0, -1.0, 0.0]) + 0.3
    return X, (score + (0 if separable else rng.logistic(size=n)) > 0).astype(float)


@pytest.mark.parametrize("rate", [1e-3, 0.03, 1.0])
@pytest.mark.parametrize("regularization", PENALTIES)
@pytest.mark.parametrize("separable", [False, True])
def test_penalised_logistic_regression_zeroes_the_engines_gradient(regularization, rate, separable):
    X, y = _classes(np.random.default_rng(19), separable=separable)
    answer = reference_answer(X, y, "sigmoid", "bce", regularization, rate)
    assert answer is not None  # a penalty keeps the optimum finite, even on separable classes
    assert _optimality_gap(X, y, *answer, "sigmoid", "bce", regularization, rate) < 1e-6


def test_without_a_penalty_separable_classes_have_no_answer_and_the_old_call_still_works():
    X, y = _classes(np.random.default_rng(20), separable=True)
    assert reference_answer(X, y, "sigmoid", "bce") is None
    assert reference_answer(X, y, "sigmoid", "bce", "l2", 0.0) is None  # λ = 0 is no penalty
    Xr, yr = _regression_data(np.random.default_rng(20))
    np.testing.assert_array_equal(reference_answer(Xr, yr, "linear", "mse")[0], ols(Xr, yr)[0])


def test_every_known_pair_has_a_method_for_each_penalty():
    names = set()
    for (activation, loss), method in METHODS.items():
        assert method_for(activation, loss) is method and method_for(activation, loss, "l2", 0.0) is method
        for regularization in PENALTIES:
            penalised = method_for(activation, loss, regularization, 0.1)
            assert penalised is method.penalized[regularization] and penalised.name != method.name
            names.add(f"{penalised.name} ({penalised.source})")
    assert {"ridge (closed form)", "lasso (scikit-learn)"} <= names
    assert method_for("tanh", "mse", "l2", 0.1) is None


# --- the landscape --------------------------------------------------------------------------------

@pytest.mark.parametrize("regularization", PENALTIES)
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", ["linear", "sigmoid", "relu"])
def test_landscape_is_the_engines_objective(activation, loss, regularization):
    rng = np.random.default_rng(21)
    x = rng.normal(1.0, 2.0, 40)
    y = (rng.random(40) < 0.5).astype(float) if loss == "bce" else 3.0 * x + 2 + rng.normal(size=40)
    w_values, b_values = np.linspace(-4, 6, 9), np.linspace(-3, 4, 7)
    grid = loss_grid(x, y, w_values, b_values, activation, loss, regularization, 0.3)
    net = Network(1, (), activation, loss=loss)
    for i, b in enumerate(b_values):
        for j, w in enumerate(w_values):
            net.params[:] = [w, b]
            expected = net.loss_value(x[:, None], y) + net.weight_penalty(regularization, 0.3)
            assert grid[i, j] == pytest.approx(expected, rel=1e-10, abs=1e-12)


def test_the_landscape_minimum_is_the_ridge_optimum():
    rng = np.random.default_rng(22)
    x = rng.uniform(0, 1, 100)
    y = 1.35 * x + 0.5 + rng.normal(0, 0.33, 100)
    (w_star,), b_star = ridge(x[:, None], y, 0.1)
    assert abs(w_star - ols(x[:, None], y)[0][0]) > 0.3  # far from least squares at this λ
    w_values, b_values = np.linspace(-1, 3, 401), np.linspace(-1, 2, 301)  # steps of 0.01
    grid = loss_grid(x, y, w_values, b_values, "linear", "mse", "l2", 0.1)
    i, j = np.unravel_index(np.argmin(grid), grid.shape)
    assert abs(w_values[j] - w_star) <= 0.01 and abs(b_values[i] - b_star) <= 0.01  # within a grid step
    lowest = np.mean((w_star * x + b_star - y) ** 2) + 0.1 * w_star**2  # the objective at the optimum
    assert lowest <= grid.min() <= lowest + 1e-4


def test_a_slice_adds_the_penalty_of_the_weights_it_varies_and_of_those_held_fixed():
    rng = np.random.default_rng(23)
    h_in, y = rng.normal(size=(30, 2)), rng.normal(size=30)  # the output neuron's inputs
    u_values, v_values = np.linspace(-2, 2, 5), np.linspace(-1, 1, 4)
    other_w, held = 0.7, 0.25  # the other output weight, and the penalty of everything else
    grid = loss_slice(h_in[:, 0], np.ones(30), other_w * h_in[:, 1], y, u_values, v_values,
                      regularization="l1", regularization_rate=0.5, weights=(True, False), fixed_penalty=held)
    for i, b in enumerate(v_values):
        for j, w in enumerate(u_values):
            data = np.mean((w * h_in[:, 0] + other_w * h_in[:, 1] + b - y) ** 2)
            assert grid[i, j] == pytest.approx(data + 0.5 * abs(w) + held, rel=1e-12)


# --- the page's run, slice, race and settings -----------------------------------------------------

def _experiment(**changes):
    return run_experiment(Settings(**{"epochs": 20, **changes}))


def test_the_settings_reach_the_engine_and_the_reference():
    exp = _experiment(regularization="l2", regularization_rate=0.1)
    assert (exp.history.regularization, exp.history.regularization_rate) == ("l2", 0.1)
    assert exp.history.penalty[-1] == pytest.approx(0.1 * np.sum(exp.history.w[-1] ** 2), rel=1e-12)
    SOLUTIONS.clear()
    w, b = reference_for(exp)
    w_ridge, b_ridge = ridge(exp.X_train, exp.y_train, 0.1)
    np.testing.assert_array_equal(w, w_ridge)
    assert b == b_ridge


@pytest.mark.parametrize("u", [0, 1])  # a hidden-to-output weight with the bias; two weights
def test_the_drawn_slice_is_the_engines_objective_at_sampled_points(u):
    exp = _experiment(dataset="sine", hidden_layers=1, hidden_units=3, regularization="l1", regularization_rate=0.03)
    h, k = exp.history, 3
    v = 3 if u == 0 else 2
    ls = compute_slice(exp, None, u, v, resolution=7)
    net = h.network(-1)
    for i, j in ((0, 0), (3, 5), (6, 2)):
        net.params[:] = h.params[-1]
        net.params[-k - 1 + u], net.params[-k - 1 + v] = ls.u_values[j], ls.v_values[i]
        expected = net.loss_value(exp.X_train, exp.y_train) + net.weight_penalty("l1", 0.03)
        assert ls.loss[i, j] == pytest.approx(expected, rel=1e-10)


def test_the_single_neuron_landscape_has_its_lowest_point_at_the_ridge_optimum():
    exp = _experiment(regularization="l2", regularization_rate=0.3)
    reference = reference_answer(exp.X_train, exp.y_train, "linear", "mse", "l2", 0.3)
    ls = compute_slice(exp, reference, 0, 1, resolution=201)
    assert ls.optimum == (reference[0][0], reference[1])
    i, j = np.unravel_index(np.argmin(ls.loss), ls.loss.shape)
    du, dv = ls.u_values[1] - ls.u_values[0], ls.v_values[1] - ls.v_values[0]
    assert abs(ls.u_values[j] - ls.optimum[0]) <= du and abs(ls.v_values[i] - ls.optimum[1]) <= dv


def test_the_race_compares_objectives_with_the_penalised_optimum():
    exp = _experiment(regularization="l2", regularization_rate=0.3)
    reference = reference_answer(exp.X_train, exp.y_train, "linear", "mse", "l2", 0.3)
    w, b = reference
    expected = np.mean((exp.X_train @ w + b - exp.y_train) ** 2) + 0.3 * np.sum(w**2)
    assert exact_loss(exp, reference) == pytest.approx(expected, rel=1e-12)
    race = run_race(exp, reference)
    for racer in race.racers:
        h = racer.history
        assert racer.loss_steps[-1] == h.step[-1] and racer.step_loss[-1] == pytest.approx(h.objective[-1], rel=1e-12)
        assert racer.step_loss.min() >= race.optimum_loss - 1e-12  # nobody beats the optimum of what they descend


@pytest.mark.parametrize(("raw", "expected", "notice"), [
    ("0", 0.0, False), ("0.03", 0.03, False), ("0.002", 0.003, True), ("-1", 0.0, True), ("1e9", 10.0, True),
    ("1e-9", 0.0001, True),
])
def test_the_rate_ladder_starts_at_zero_and_snaps_link_values(raw, expected, notice):
    settings, notices = Settings.from_query({"regularization_rate": raw})
    assert settings.regularization_rate == expected and bool(notices) == notice


@pytest.mark.parametrize("regularization", PENALTIES)
def test_the_step_through_replays_the_penalised_run_and_splits_its_gradient(regularization):
    exp = _experiment(dataset="sine", hidden_layers=1, hidden_units=3, batch_size=16,
                      regularization=regularization, regularization_rate=0.1)
    h = exp.history
    detail = explain_step(exp, 7)
    np.testing.assert_array_equal(detail.params_after, h.params[7])  # every update is a frame here
    net = h.network(6)
    net.loss_and_gradient(detail.X_batch, detail.y_batch[:, None])  # the data gradient alone
    np.testing.assert_allclose(detail.grads, net.grads + detail.penalty_grads, rtol=1e-12, atol=1e-15)
    weights = np.r_[0:3, 6:9]  # layout 1 → 3 → 1: W1 (1, 3), b1 (3,), W2 (3, 1), b2 (1,)
    derivative = 2 * h.params[6, weights] if regularization == "l2" else np.sign(h.params[6, weights])
    np.testing.assert_array_equal(detail.penalty_grads[weights], 0.1 * derivative)
    np.testing.assert_array_equal(np.delete(detail.penalty_grads, weights), 0.0)  # the biases
    assert detail.penalty == pytest.approx(0.1 * _textbook_penalty(net.weights, regularization), rel=1e-12)
