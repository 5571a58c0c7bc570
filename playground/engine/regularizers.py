"""Weight penalties as (penalty, derivative) pairs, elementwise, in Keras's convention.

The objective a run minimises is data loss + λ·Σ r(w) over the weights of every layer (never the
biases), with λ = `regularization_rate`:
    l2: r(w) = w²,   dr/dw = 2w        (keras.regularizers.L2(λ); not PyTorch's weight_decay=λ,
                                         whose extra gradient λ·w is that of (λ/2)·Σw²)
    l1: r(w) = |w|,  dr/dw = sign(w)   with sign(0) = 0, the gradient TensorFlow and PyTorch give |w| at 0
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

import numpy as np


class Regularizer(NamedTuple):
    """A named elementwise weight penalty r and its derivative dr/dw."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]  # w -> r(w)
    df: Callable[[np.ndarray], np.ndarray]  # w -> dr/dw


REGULARIZERS: dict[str, Regularizer] = {
    r.name: r
    for r in (
        Regularizer("none", np.zeros_like, np.zeros_like),
        Regularizer("l1", np.abs, np.sign),
        Regularizer("l2", lambda w: w * w, lambda w: 2.0 * w),
    )
}


def effective(regularization: str, rate: float) -> tuple[str, float]:
    """(name, λ) of the penalty actually applied: ("none", 0.0) when either is off."""
    if regularization == "none" or rate == 0.0:
        return "none", 0.0
    return regularization, float(rate)


def weight_penalty(weights: Iterable[np.ndarray], regularization: str, rate: float) -> float:
    """λ·Σ r(w) over every weight matrix given (biases are not weights); 0.0 without a penalty."""
    regularization, rate = effective(regularization, rate)
    if regularization == "none":
        return 0.0
    r = REGULARIZERS[regularization].f
    return rate * sum(float(r(W).sum()) for W in weights)
