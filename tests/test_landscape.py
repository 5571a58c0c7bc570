"""The loss landscape against a naive evaluation with the engine's own loss."""

import numpy as np
import pytest

from playground.engine import ACTIVATIONS, LOSSES, Network
from playground.landscape import loss_grid


def _naive_grid(x, y, w_values, b_values, activation, loss):
    net = Network(1, (), activation, loss=loss)
    grid = np.empty((len(b_values), len(w_values)))
    for i, b in enumerate(b_values):
        for j, w in enumerate(w_values):
            net.params[:] = [w, b]
            grid[i, j] = net.loss_value(x[:, None], y)
    return grid


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_landscape_equals_the_naive_double_loop(activation, loss):
    rng = np.random.default_rng(0)
    x = rng.normal(1.0, 2.0, 50)
    y = (rng.random(50) < 0.5).astype(float) if loss == "bce" else 3.0 * x + 20 + rng.normal(size=50)
    w_values, b_values = np.linspace(-4, 6, 13), np.linspace(-30, 40, 11)
    expected = _naive_grid(x, y, w_values, b_values, activation, loss)
    np.testing.assert_allclose(loss_grid(x, y, w_values, b_values, activation, loss), expected,
                               rtol=1e-10, atol=1e-12)


def test_linear_mse_grid_is_exact_far_from_the_origin():
    # Large offsets are where expanding the square naively loses digits; centring keeps them.
    x = np.linspace(1e4, 1e4 + 1, 100)
    y = 2.0 * x + 1e5
    w_values, b_values = np.array([1.999, 2.0, 2.001]), np.array([1e5 - 1, 1e5, 1e5 + 1])
    expected = _naive_grid(x, y, w_values, b_values, "linear", "mse")
    np.testing.assert_allclose(loss_grid(x, y, w_values, b_values), expected, rtol=1e-9, atol=1e-9)
    assert loss_grid(x, y, w_values, b_values)[1, 1] == pytest.approx(0.0, abs=1e-12)
