"""Closed-form or library answers to compare the neuron with: OLS and logistic regression."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits


def ols(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares weights (p,) and intercept via np.linalg.lstsq: the optimum of a linear neuron + MSE."""
    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    design = np.column_stack([X, np.ones(len(y))])  # (n, p + 1)
    coef = np.linalg.lstsq(design, np.asarray(y, dtype=np.float64), rcond=None)[0]
    return coef[:-1], float(coef[-1])


MAX_ITERATIONS = 500  # L-BFGS steps; well-posed problems here converge in far fewer


def logistic(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Unpenalised logistic-regression weights (p,) and intercept: the optimum of sigmoid + cross-entropy.

    None unless y holds exactly two classes, on separable classes (their best weights are infinite), or
    when scikit-learn does not converge.
    """
    if len(np.unique(y)) != 2:
        return None
    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    # One BLAS thread: threaded BLAS stalls on a busy 2-core server (seen: 1.3 s becoming 30 s on digits).
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            model = LogisticRegression(C=np.inf, tol=1e-12, max_iter=MAX_ITERATIONS).fit(X, y)
        except ConvergenceWarning:
            return None
    if model.score(X, y) == 1.0:  # perfectly separable: the likelihood keeps growing with |w|
        return None
    return model.coef_[0], float(model.intercept_[0])


class Method(NamedTuple):
    """How the exact answer for one (activation, loss) pair is found."""

    name: str  # what the page calls it
    source: str  # where the numbers come from
    solve: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, float] | None]


# The single neurons with a known optimum: (activation, loss) -> its method.
METHODS: dict[tuple[str, str], Method] = {
    ("linear", "mse"): Method("least squares", "np.linalg.lstsq", ols),
    ("sigmoid", "bce"): Method("logistic regression", "scikit-learn", logistic),
}


def reference_answer(X, y, activation: str, loss: str) -> tuple[np.ndarray, float] | None:
    """The exact optimum a single neuron should reach, when one is known in closed form."""
    method = METHODS.get((activation, loss))
    return None if method is None else method.solve(X, y)
