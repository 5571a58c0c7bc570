"""Activation functions as (function, derivative) pairs.

Each derivative takes both the pre-activation z and the activation a = f(z), so that sigmoid and
tanh can use the textbook forms a(1 - a) and 1 - a² without recomputing f.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

LEAKY_RELU_SLOPE = 0.01  # as in PyTorch's LeakyReLU default


class Activation(NamedTuple):
    """A named activation g and its derivative dg/dz."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]  # z -> a
    df: Callable[[np.ndarray, np.ndarray], np.ndarray | float]  # (z, a) -> da/dz


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-z), computed without overflow for any z."""
    return np.exp(-np.logaddexp(0.0, -z))


def _leaky_relu(z: np.ndarray) -> np.ndarray:
    return np.where(z > 0, z, LEAKY_RELU_SLOPE * z)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", lambda z: z, lambda z, a: 1.0),
        Activation("sigmoid", sigmoid, lambda z, a: a * (1.0 - a)),
        Activation("tanh", np.tanh, lambda z, a: 1.0 - a * a),
        Activation("relu", lambda z: np.maximum(z, 0.0), lambda z, a: (z > 0).astype(z.dtype)),
        Activation("leaky_relu", _leaky_relu, lambda z, a: np.where(z > 0, 1.0, LEAKY_RELU_SLOPE)),
    )
}
