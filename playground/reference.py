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


MAX_ITERATIONS = 200  # Newton steps; well-posed problems here converge in a few dozen


class Solution(NamedTuple):
    """An exact answer (w (p,), b), or None with the reason in words for the page."""

    answer: tuple[np.ndarray, float] | None
    reason: str = ""


def logistic_solution(X: np.ndarray, y: np.ndarray) -> Solution:
    """Unpenalised logistic regression: the optimum of a sigmoid neuron with cross-entropy, or why there is none.

    Fitted by scikit-learn's Newton–Cholesky solver on standardized inputs (columns that never change are
    left out: their weight does not change the loss, and is reported as 0), then mapped back to the
    inputs as given, which unpenalised logistic regression allows exactly. There is no answer with only
    one class, on separable classes (the best weights are infinitely large), or without convergence.
    """
    if len(np.unique(y)) != 2:
        return Solution(None, "the training data holds only one class, so there is nothing to separate")
    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    varying = np.ptp(X, axis=0) > 0  # (p,)
    mean, scale = X[:, varying].mean(axis=0), X[:, varying].std(axis=0)
    Z = (X[:, varying] - mean) / scale  # (n, q) standardized
    # One BLAS thread: threaded BLAS stalls on a busy 2-core server (seen: 1.3 s becoming 30 s on digits).
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1), np.errstate(all="ignore"):
        warnings.simplefilter("always")
        model = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-10, max_iter=MAX_ITERATIONS).fit(Z, y)
    if model.score(Z, y) == 1.0:  # perfectly separable: the likelihood keeps growing with |w|
        return Solution(None, "the training classes can be separated perfectly (a line puts every training "
                              "point on its side), so the cross-entropy keeps falling as the weights grow and the "
                              "best weights are infinitely large")
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        return Solution(None, f"scikit-learn's logistic regression did not converge in {MAX_ITERATIONS} steps")
    w = np.zeros(X.shape[1])
    w[varying] = model.coef_[0] / scale
    b = float(model.intercept_[0] - np.dot(model.coef_[0], mean / scale))
    return Solution((w, b))


def logistic(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Unpenalised logistic-regression weights (p,) and intercept, or None (see `logistic_solution`)."""
    return logistic_solution(X, y).answer


def ols_solution(X: np.ndarray, y: np.ndarray) -> Solution:
    """Least squares always has an answer (the minimum-norm one when columns are collinear)."""
    return Solution(ols(X, y))


class Method(NamedTuple):
    """How the exact answer for one (activation, loss) pair is found."""

    name: str  # what the page calls it
    source: str  # where the numbers come from
    solve: Callable[[np.ndarray, np.ndarray], Solution]


# The single neurons with a known optimum: (activation, loss) -> its method.
METHODS: dict[tuple[str, str], Method] = {
    ("linear", "mse"): Method("least squares", "np.linalg.lstsq", ols_solution),
    ("sigmoid", "bce"): Method("logistic regression", "scikit-learn", logistic_solution),
}


def solve(X, y, activation: str, loss: str) -> Solution:
    """The exact optimum a single neuron should reach when one is known in closed form, or why there is none."""
    method = METHODS.get((activation, loss))
    if method is None:
        known = " and ".join(f"{a} + {ls} ({m.name})" for (a, ls), m in METHODS.items())
        return Solution(None, f"an exact answer is known only for a single neuron with {known}")
    return method.solve(X, y)


def reference_answer(X, y, activation: str, loss: str) -> tuple[np.ndarray, float] | None:
    """The exact optimum a single neuron should reach, when one is known in closed form."""
    return solve(X, y, activation, loss).answer
