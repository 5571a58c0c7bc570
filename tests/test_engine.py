"""The engine against independent references: finite differences, hand-written update rules,
np.linalg.lstsq and scikit-learn's LogisticRegression."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from playground.engine import ACTIVATIONS, LOSSES, Network, parameter_counts, train
from playground.reference import logistic, logistic_solution, ols


def _network_with_interior_outputs(activation, loss, hidden, rng, p=3):
    """A network whose outputs sit well inside (0, 1) and whose pre-activations avoid kinks."""
    net = Network(p, hidden, activation, loss=loss)
    net.params[:] = rng.normal(0.0, 0.7, net.n_params)
    net.weights[-1][...] *= 0.1
    net.biases[-1][...] = 0.5
    return net


def _central_differences(net, X, y_col, h=1e-6):
    grads = np.empty(net.n_params)
    for i in range(net.n_params):
        keep = net.params[i]
        net.params[i] = keep + h
        up = net.loss_and_gradient(X, y_col)
        net.params[i] = keep - h
        down = net.loss_and_gradient(X, y_col)
        net.params[i] = keep
        grads[i] = (up - down) / (2 * h)
    return grads


@pytest.mark.parametrize("hidden", [(), (4,), (4, 3)])
@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_backprop_equals_central_differences(activation, loss, hidden):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    y_col = (rng.random((20, 1)) < 0.5).astype(float) if loss == "bce" else rng.normal(size=(20, 1))
    net = _network_with_interior_outputs(activation, loss, hidden, rng)
    net.loss_and_gradient(X, y_col)
    analytic = net.grads.copy()
    numeric = _central_differences(net, X, y_col)
    rel_error = np.linalg.norm(analytic - numeric) / np.linalg.norm(analytic + numeric)
    assert rel_error <= 1e-6
    assert np.linalg.norm(analytic) > 1e-3  # the check is not vacuous


def test_parameter_counts_match_the_notebooks():
    assert sum(parameter_counts(1)) == 2  # seed 000: one neuron on one feature
    assert sum(parameter_counts(1, (1,))) == 4  # "one hidden unit more = 4"
    assert parameter_counts(64, (4,)) == [260, 5]  # seed 002: 64 → 4 → 1
    assert Network(64, (4,)).n_params == 265


def _linear_mse_grad(w, b, x, y):
    err = w * x + b - y
    return 2 * np.mean(err * x), 2 * np.mean(err)


def _hand_updates(optimizer, lr, x, y, w, b, steps):
    """Scalar re-implementation of each textbook/PyTorch rule, one parameter at a time."""
    state = {"w": [0.0, 0.0], "b": [0.0, 0.0]}
    theta = {"w": w, "b": b}
    out = []
    for t in range(1, steps + 1):
        gw, gb = _linear_mse_grad(theta["w"], theta["b"], x, y)
        for name, g in (("w", gw), ("b", gb)):
            s = state[name]
            if optimizer == "sgd":
                theta[name] -= lr * g
            elif optimizer == "momentum":
                s[0] = 0.9 * s[0] + g
                theta[name] -= lr * s[0]
            elif optimizer == "rmsprop":
                s[1] = 0.99 * s[1] + 0.01 * g * g
                theta[name] -= lr * g / (np.sqrt(s[1]) + 1e-8)
            else:
                s[0] = 0.9 * s[0] + 0.1 * g
                s[1] = 0.999 * s[1] + 0.001 * g * g
                m_hat, v_hat = s[0] / (1 - 0.9**t), s[1] / (1 - 0.999**t)
                theta[name] -= lr * m_hat / (np.sqrt(v_hat) + 1e-8)
        out.append((theta["w"], theta["b"]))
    return np.array(out)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "rmsprop", "adam"])
def test_first_steps_equal_hand_computed_updates(optimizer):
    x = np.array([0.0, 0.5, 1.0, 2.0])
    y = np.array([1.0, 1.2, 2.1, 3.5])
    h = train(x[:, None], y, optimizer=optimizer, learning_rate=0.05, batch_size=4, epochs=5,
              shuffle=False, init=([0.3], -0.2))
    expected = _hand_updates(optimizer, 0.05, x, y, 0.3, -0.2, steps=5)
    np.testing.assert_allclose(h.w[1:, 0], expected[:, 0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h.b[1:], expected[:, 1], rtol=1e-12, atol=1e-15)
    assert (h.w[0, 0], h.b[0]) == (0.3, -0.2)


def test_unshuffled_stochastic_steps_take_rows_in_order_and_use_the_partial_batch():
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    y = np.array([2.0, 1.0, 4.0, 3.0, 6.0])
    h = train(x[:, None], y, optimizer="sgd", learning_rate=0.01, batch_size=2, epochs=1,
              shuffle=False, init=([0.0], 0.0))
    assert h.steps_per_epoch == 3 and list(h.step) == [0, 1, 2, 3]
    w, b = 0.0, 0.0
    for rows in ([0, 1], [2, 3], [4]):  # the last, partial batch is used
        gw, gb = _linear_mse_grad(w, b, x[rows], y[rows])
        w, b = w - 0.01 * gw, b - 0.01 * gb
    assert h.w[-1, 0] == pytest.approx(w, rel=1e-14) and h.b[-1] == pytest.approx(b, rel=1e-14)
    assert list(h.epoch) == [0, 1, 1, 1] and list(h.batch) == [0, 0, 1, 2]


def test_full_batch_gradient_descent_reaches_least_squares():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 3))
    y = X @ np.array([1.5, -2.0, 0.3]) + 4.0 + rng.normal(0, 0.5, 200)
    h = train(X, y, optimizer="sgd", learning_rate=0.1, batch_size=200, epochs=2000)
    w_ref, b_ref = ols(X, y)
    np.testing.assert_allclose(h.w[-1], w_ref, atol=1e-4)
    assert abs(h.b[-1] - b_ref) < 1e-4


def test_full_batch_gradient_descent_reaches_logistic_regression():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2))
    y = (X @ np.array([1.0, -0.5]) + 0.3 + rng.logistic(size=300) > 0).astype(float)
    h = train(X, y, activation="sigmoid", loss="bce", optimizer="sgd", learning_rate=2.0,
              batch_size=300, epochs=3000)
    w_ref, b_ref = logistic(X, y)
    np.testing.assert_allclose(h.w[-1], w_ref, atol=1e-4)
    assert abs(h.b[-1] - b_ref) < 1e-4


@pytest.mark.parametrize(("lonely", "reason"), [(0, None), (1, "some training points"), (60, "every training point")])
def test_logistic_regression_has_no_exact_answer_when_some_or_all_points_can_be_split_off(lonely, reason):
    """Overlapping classes have a finite optimum; one more input that is non-zero only on `lonely` points of class 1
    makes its weight grow for ever (quasi-separation), as any penalty that is relaxed shows; a gap makes it all."""
    rng = np.random.default_rng(6)
    X = rng.normal(size=(60, 2))
    y = (X @ np.array([1.0, -0.5]) + rng.logistic(size=60) > 0).astype(float)
    if lonely == 60:
        y = (X[:, 0] > 0).astype(float)  # completely separable by x1's sign
    else:
        extra = np.zeros(60)
        extra[np.flatnonzero(y == 1)[:lonely]] = 1.0  # lit on class-1 points only
        X = np.column_stack([X, extra])
    solution = logistic_solution(X, y)
    if reason is None:
        assert solution.answer is not None
        return
    assert solution.answer is None and reason in solution.reason and "infinitely large" in solution.reason
    weights = [np.abs(LogisticRegression(C=C, tol=1e-10, max_iter=10_000).fit(X, y).coef_).max() for C in (1e2, 1e4)]
    assert weights[1] > weights[0] + 1  # weaker and weaker penalties: the best weights keep growing


def test_a_huge_learning_rate_stops_at_the_divergent_step_without_nan_or_warnings():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 100, 50)
    y = 3 * x + rng.normal(0, 1, 50)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = train(x[:, None], y, optimizer="sgd", learning_rate=5.0, batch_size=10, epochs=50)
    assert h.diverged_at is not None and 1 <= h.diverged_at <= 5
    assert h.step[-1] == h.diverged_at - 1  # the last state before the bad update is kept
    for array in (h.params, h.batch_loss, h.train_loss):
        assert np.isfinite(array).all()
    assert len(h.train_loss) >= 1


def test_a_stable_run_reports_no_divergence():
    x = np.linspace(0, 1, 100)
    h = train(x[:, None], 1.35 * x + 0.5, optimizer="adam", learning_rate=0.1, epochs=30)
    assert h.diverged_at is None and len(h.train_loss) == 31
    assert h.train_loss[-1] < h.train_loss[0]


def test_thinning_keeps_first_and_last_frame_and_matches_the_full_record():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(64, 2))
    y = X @ np.array([1.0, 2.0]) + rng.normal(size=64)
    kwargs = dict(optimizer="momentum", learning_rate=0.01, batch_size=1, epochs=50)
    default = train(X, y, **kwargs)  # 3200 steps > MAX_FRAMES = 2000
    assert len(default.step) == 2001 and default.step[-1] == 3200
    thinned = train(X, y, **kwargs, max_frames=100)  # the work budget asks big networks for fewer
    assert len(thinned.step) == 101 and thinned.step[0] == 0 and thinned.step[-1] == 3200
    assert np.all(np.diff(thinned.step) > 0)
    every = train(X, y, **kwargs, max_frames=10_000)
    np.testing.assert_array_equal(thinned.params, every.params[thinned.step])
    np.testing.assert_array_equal(thinned.batch_loss, every.batch_loss[thinned.step])
    assert len(every.step) == 3201


def test_same_seed_same_run_other_seed_other_run():
    rng = np.random.default_rng(7)
    X, y = rng.normal(size=(40, 2)), rng.normal(size=40)
    a, b, c = (train(X, y, seed=s, batch_size=8, epochs=3) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.params, b.params)
    assert not np.array_equal(a.params, c.params)


def test_validation_loss_is_recorded_per_epoch():
    rng = np.random.default_rng(8)
    X, y = rng.normal(size=(40, 1)), rng.normal(size=40)
    h = train(X, y, epochs=4, validation=(X[:10], y[:10]))
    assert h.val_loss.shape == (5,)
    assert h.val_loss[-1] == pytest.approx(np.mean((h.predict(X[:10]) - y[:10]) ** 2), rel=1e-12)


def test_cross_entropy_from_logits_is_finite_where_probabilities_saturate():
    net = Network(1, (), "sigmoid", loss="bce")
    net.params[:] = [50.0, 0.0]
    X, y_col = np.array([[10.0], [-10.0]]), np.array([[0.0], [1.0]])
    loss = net.loss_and_gradient(X, y_col)
    assert loss == pytest.approx(500.0, rel=1e-12)  # log(1 + e^500) ≈ 500 for each row
    assert np.isfinite(net.grads).all()


def test_bad_arguments_are_rejected_with_a_message():
    X, y = np.zeros((5, 1)), np.zeros(5)
    with pytest.raises(ValueError, match="unknown activation"):
        train(X, y, activation="swish")
    with pytest.raises(ValueError, match="hidden layers"):
        train(X, y, hidden=(2,), init=([1.0], 0.0))
    with pytest.raises(ValueError, match="finite"):
        train(np.array([[np.nan]]), np.array([1.0]))


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 30), p=st.integers(1, 4), batch=st.integers(1, 40), epochs=st.integers(1, 4),
    hidden=st.sampled_from([(), (2,), (3, 2)]), activation=st.sampled_from(sorted(ACTIVATIONS)),
    optimizer=st.sampled_from(["sgd", "momentum", "rmsprop", "adam"]),
    lr=st.floats(1e-4, 10.0), seed=st.integers(0, 2**32 - 1),
)
def test_history_shapes_and_finiteness(n, p, batch, epochs, hidden, activation, optimizer, lr, seed):
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(n, p)) * 10, rng.normal(size=n) * 10
    h = train(X, y, activation=activation, optimizer=optimizer, learning_rate=lr,
              batch_size=batch, epochs=epochs, hidden=hidden, seed=seed, validation=(X, y))
    frames = len(h.step)
    assert h.step[0] == 0 and h.w.shape == (frames, (hidden or (p,))[-1]) and h.b.shape == (frames,)
    assert h.params.shape[0] == h.batch_loss.shape[0] == h.epoch.shape[0] == frames
    assert np.isfinite(h.params).all() and np.isfinite(h.batch_loss).all()
    assert np.isfinite(h.train_loss).all() and np.isfinite(h.val_loss).all()
    if h.diverged_at is None:
        assert h.step[-1] == epochs * -(-n // min(batch, n)) and len(h.train_loss) == epochs + 1
    else:
        assert h.step[-1] == max(h.diverged_at - 1, 0)
