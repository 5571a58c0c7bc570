"""Loss functions as (function, derivative) pairs over predictions a and targets y, both (m, 1).

mse: mean((a - y)²), dL/da = 2(a - y)/m — the convention of Keras and seed notebook 001.
bce: binary cross-entropy. From a probability it clips a to [EPS, 1 - EPS] like Keras (gradient 0
where clipped); when the output activation is sigmoid, `output_loss_and_delta` works from the
logit z instead, which is exact for any z and never takes log(0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .activations import Activation

EPS = 1e-7  # Keras's backend epsilon for clipping probabilities


class Loss(NamedTuple):
    """A named loss L(a, y) and its derivative dL/da."""

    name: str
    f: Callable[[np.ndarray, np.ndarray], float]
    df: Callable[[np.ndarray, np.ndarray], np.ndarray]


def _mse(a: np.ndarray, y: np.ndarray) -> float:
    err = a - y
    return float(np.vdot(err, err)) / err.size


def _mean(values: np.ndarray) -> float:
    """np.mean's result (the same pairwise sum, then / count) without its wrapper's cost per call."""
    return float(np.add.reduce(values, axis=None)) / values.size


def bce_per_point(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """-(y·log p + (1 - y)·log(1 - p)) with p = a clipped to [EPS, 1 - EPS], elementwise."""
    p = np.clip(a, EPS, 1.0 - EPS)
    return -(y * np.log(p) + (1.0 - y) * np.log1p(-p))


def bce_logits_per_point(z: np.ndarray, y: np.ndarray) -> np.ndarray:
    """max(z, 0) - y·z + log(1 + e^-|z|): cross-entropy of sigmoid(z), exact for any z, elementwise."""
    return np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))


def _bce_grad(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    p = np.clip(a, EPS, 1.0 - EPS)
    inside = (a > EPS) & (a < 1.0 - EPS)
    return np.where(inside, (p - y) / (p * (1.0 - p)), 0.0) / a.size


LOSSES: dict[str, Loss] = {
    "mse": Loss("mse", _mse, lambda a, y: (2.0 / a.size) * (a - y)),
    "bce": Loss("bce", lambda a, y: _mean(bce_per_point(a, y)), _bce_grad),
}


def output_loss_and_delta(
    z: np.ndarray, a: np.ndarray, y: np.ndarray, activation: Activation, loss: Loss
) -> tuple[float, np.ndarray]:
    """Loss value and dL/dz (m, 1) at the output neuron, fusing sigmoid with cross-entropy (a = sigmoid(z))."""
    if loss.name == "bce" and activation.name == "sigmoid":
        return _mean(bce_logits_per_point(z, y)), (a - y) / z.size
    return loss.f(a, y), loss.df(a, y) * activation.df(z, a)
