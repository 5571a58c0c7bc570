"""Optimizers with PyTorch's update rules and defaults; each updates a flat parameter vector in place.

sgd:      θ -= lr·g
momentum: v = μ·v + g;  θ -= lr·v                                   (μ = 0.9, PyTorch's SGD momentum)
rmsprop:  v = α·v + (1-α)·g²;  θ -= lr·g / (√v + ε)                  (α = 0.99, ε = 1e-8)
adam:     m = β1·m + (1-β1)·g;  v = β2·v + (1-β2)·g²;
          θ -= lr·m̂ / (√v̂ + ε), m̂ = m/(1-β1^t), v̂ = v/(1-β2^t)     (β1 0.9, β2 0.999, ε 1e-8)
Adam is Kingma & Ba's Algorithm 1 with ε added to √v̂, as PyTorch does. Keras adds its ε
(1e-7) to √v before the bias correction, so its steps differ slightly at the start of training.

Each step writes its intermediate arrays into scratch arrays allocated once (`out=`), in the order
the formulas read, so the numbers are those of the formulas written out with temporaries.
"""

from __future__ import annotations

import numpy as np


class SGD:
    """Plain (stochastic) gradient descent."""

    def __init__(self, n_params: int, learning_rate: float):
        self.lr = learning_rate
        self._step = np.empty(n_params)  # scratch: lr·g

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Apply one update to `params` in place."""
        params -= np.multiply(self.lr, grads, out=self._step)


class Momentum:
    """SGD with heavy-ball momentum (PyTorch convention: the velocity is not scaled by lr)."""

    def __init__(self, n_params: int, learning_rate: float, momentum: float = 0.9):
        self.lr, self.mu = learning_rate, momentum
        self.velocity = np.zeros(n_params)
        self._step = np.empty(n_params)  # scratch: lr·v

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Apply one update to `params` in place."""
        self.velocity *= self.mu
        self.velocity += grads
        params -= np.multiply(self.lr, self.velocity, out=self._step)


class RMSProp:
    """RMSProp: divide the gradient by a running root-mean-square of recent gradients."""

    def __init__(self, n_params: int, learning_rate: float, alpha: float = 0.99, eps: float = 1e-8):
        self.lr, self.alpha, self.eps = learning_rate, alpha, eps
        self.square_avg = np.zeros(n_params)
        self._scratch = np.empty(n_params), np.empty(n_params)

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Apply one update to `params` in place."""
        term, denominator = self._scratch
        self.square_avg *= self.alpha
        np.multiply(1.0 - self.alpha, grads, out=term)
        self.square_avg += np.multiply(term, grads, out=term)  # (1-α)·g·g
        np.sqrt(self.square_avg, out=denominator)
        denominator += self.eps  # √v + ε
        np.multiply(self.lr, grads, out=term)
        params -= np.divide(term, denominator, out=term)  # lr·g / (√v + ε)


class Adam:
    """Adam (Kingma & Ba 2015, Algorithm 1) with bias-corrected first and second moments."""

    def __init__(
        self,
        n_params: int,
        learning_rate: float,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ):
        self.lr, self.beta1, self.beta2, self.eps = learning_rate, beta1, beta2, eps
        self.m = np.zeros(n_params)
        self.v = np.zeros(n_params)
        self.t = 0
        self._scratch = np.empty(n_params), np.empty(n_params)

    def step(self, params: np.ndarray, grads: np.ndarray) -> None:
        """Apply one update to `params` in place."""
        self.t += 1
        m, v, (term, denominator) = self.m, self.v, self._scratch
        m *= self.beta1
        m += np.multiply(1.0 - self.beta1, grads, out=term)  # (1-β1)·g
        v *= self.beta2
        np.multiply(1.0 - self.beta2, grads, out=term)
        v += np.multiply(term, grads, out=term)  # (1-β2)·g·g
        np.divide(v, 1.0 - self.beta2**self.t, out=denominator)  # v̂
        np.sqrt(denominator, out=denominator)
        denominator += self.eps  # √v̂ + ε
        np.divide(m, 1.0 - self.beta1**self.t, out=term)  # m̂
        term *= self.lr
        params -= np.divide(term, denominator, out=term)  # lr·m̂ / (√v̂ + ε)


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "rmsprop": RMSProp, "adam": Adam}
