"""The loss over a grid of (w, b) for a one-feature neuron ŷ = g(w·x + b): the loss landscape.

For a linear neuron with MSE the loss is a quadratic in (w, b), so one O(n) pass over the data
(means and centred second moments) gives every grid point in O(1):
    L(w, b) = w²·var(x) − 2w·cov(x, y) + var(y) + (w·mean(x) + b − mean(y))²
Other activations and losses are evaluated point by point, in chunks that bound memory.

With a weight penalty the surface is the objective the optimizer descends: the data loss plus
λ·r(w) of each weight drawn (a bias has none) plus, for a slice, the constant λ·Σ r of the weights
held fixed. The penalty adds one row or column, so the fast path stays O(1) per grid point.
"""

from __future__ import annotations

import numpy as np

from .engine.activations import ACTIVATIONS
from .engine.losses import bce_logits_per_point, bce_per_point
from .engine.regularizers import REGULARIZERS, effective

CHUNK_ELEMENTS = 250_000  # grid points × samples evaluated at once in the general case (cache-sized)


def loss_grid(x, y, w_values, b_values, activation: str = "linear", loss: str = "mse",
              regularization: str = "none", regularization_rate: float = 0.0) -> np.ndarray:
    """L[i, j] = objective of ŷ = g(w_values[j]·x + b_values[i]) on (x, y) (+ λ·r(w)); (len(b), len(w))."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)  # (n,)
    y = np.asarray(y, dtype=np.float64).reshape(-1)  # (n,)
    w = np.asarray(w_values, dtype=np.float64).reshape(-1)  # (W,)
    b = np.asarray(b_values, dtype=np.float64).reshape(-1)  # (B,)
    if activation == "linear" and loss == "mse":
        grid = _linear_mse_grid(x, y, w, b)
    else:
        grid = _pointwise_grid(x, np.ones_like(x), np.zeros_like(x), y, w, b, activation, loss)
    return _add_penalty(grid, w, b, regularization, regularization_rate, (True, False), 0.0)


def loss_slice(u_input, v_input, offset, y, u_values, v_values, activation="linear", loss="mse",
               regularization="none", regularization_rate=0.0, weights=(True, False), fixed_penalty=0.0):
    """L[i, j] = objective of ŷ = g(u_values[j]·u_input + v_values[i]·v_input + offset); (len(v), len(u)).

    A slice of a bigger model's landscape through two parameters of its output neuron: u_input and
    v_input (n,) are what those parameters multiply (1 for a bias), offset (n,) the rest of z. With a
    penalty, `weights` says which of (u, v) are weights (penalised) and `fixed_penalty` is λ·Σ r of
    the weights held fixed.
    """
    u_input, v_input, offset, y = (
        np.asarray(a, dtype=np.float64).reshape(-1) for a in (u_input, v_input, offset, y)
    )
    u, v = np.asarray(u_values, dtype=np.float64), np.asarray(v_values, dtype=np.float64)
    if activation == "linear" and loss == "mse" and np.all(v_input == 1.0):
        grid = _linear_mse_grid(u_input, y - offset, u, v)
    else:
        grid = _pointwise_grid(u_input, v_input, offset, y, u, v, activation, loss)
    return _add_penalty(grid, u, v, regularization, regularization_rate, weights, fixed_penalty)


def _add_penalty(grid, u, v, regularization, rate, weights, fixed_penalty) -> np.ndarray:
    """grid (V, U) + λ·r(u) for a penalised u + λ·r(v) for a penalised v + the fixed weights' penalty."""
    regularization, rate = effective(regularization, rate)
    if regularization == "none":
        return grid
    r = REGULARIZERS[regularization].f
    if weights[0]:
        grid += rate * r(u)[None, :]
    if weights[1]:
        grid += rate * r(v)[:, None]
    return grid + fixed_penalty


def _linear_mse_grid(x, y, w, b) -> np.ndarray:
    x_mean, y_mean = x.mean(), y.mean()
    dx, dy = x - x_mean, y - y_mean
    # einsum's own loop rather than BLAS: threaded ddot stalls on a busy 2-core server.
    var_x, cov_xy, var_y = (np.einsum("i,i->", u, v) / x.size for u, v in ((dx, dx), (dx, dy), (dy, dy)))
    curvature = (w * w * var_x - 2.0 * w * cov_xy + var_y)[None, :]  # (1, W)
    offset = (w * x_mean)[None, :] + b[:, None] - y_mean  # (B, W)
    return curvature + offset * offset


def _pointwise_grid(x, x_b, offset, y, w, b, activation, loss) -> np.ndarray:
    g = ACTIVATIONS[activation]
    grid = np.empty((b.size, w.size))
    rows = max(1, CHUNK_ELEMENTS // max(1, w.size * x.size))
    wx = w[:, None] * x[None, :] + offset  # (W, n)
    with np.errstate(all="ignore"):
        for start in range(0, b.size, rows):
            z = wx[None, :, :] + b[start : start + rows, None, None] * x_b  # (r, W, n)
            if loss == "mse":
                per_point = (g.f(z) - y) ** 2
            elif activation == "sigmoid":  # the engine's exact from-logits cross-entropy
                per_point = bce_logits_per_point(z, y)
            else:
                per_point = bce_per_point(g.f(z), y)
            grid[start : start + rows] = per_point.mean(axis=-1)
    return grid
