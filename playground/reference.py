"""Closed-form or library answers to compare the neuron with: OLS, ridge, lasso and logistic regression.

With a weight penalty (engine/regularizers.py) the answer is the optimum of the same objective the
engine descends, the intercept unpenalised: mean loss + λ·Σw² (l2) or + λ·Σ|w| (l1). Each library's
own objective is converted to it:
    ridge      mean((Xw + b − y)²) + λ‖w‖²    solved in closed form on centred data
    lasso      sklearn's 1/(2n)‖y − Xw − b‖² + α‖w‖₁ is half ours with α = λ/2
    logistic   sklearn's C·Σ log-loss + ½‖w‖² (l2) or + ‖w‖₁ (l1) is n·C times ours with
               C = 1/(2nλ) (l2) or C = 1/(nλ) (l1)

Every solver returns a `Solution`: the answer, or None with the reason in words for the page.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from scipy.optimize import linprog
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, LogisticRegression

from .engine.regularizers import effective
from .engine.threads import one_thread

NEWTON_STEPS = 200  # unpenalised logistic regression: Newton steps; well-posed problems take a few dozen
PENALISED_MAX_ITERATIONS = 5000  # an l2 penalty makes the optimum finite and unique; raw digits take ~1,500
PASS_BUDGET = 1e8  # data elements visited by coordinate descent (lasso) or SAGA (l1 logistic): ≈ 1 s at most
MAX_PASSES = 100_000
SEPARATION_TOLERANCE = 1e-7  # sum of margins per point above which a linear program's direction separates
OPTIMALITY_TOLERANCE = 1e-6  # largest |subgradient| of the objective accepted at an l1 logistic optimum
NOT_CONVERGED = "scikit-learn's {} did not converge within its budget of steps"


class Solution(NamedTuple):
    """An exact answer (w (p,), b), or None with the reason in words for the page."""

    answer: tuple[np.ndarray, float] | None
    reason: str = ""


def ols(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares weights (p,) and intercept via np.linalg.lstsq: the optimum of a linear neuron + MSE."""
    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    design = np.column_stack([X, np.ones(len(y))])  # (n, p + 1)
    coef = np.linalg.lstsq(design, np.asarray(y, dtype=np.float64), rcond=None)[0]
    return coef[:-1], float(coef[-1])


def ridge(X: np.ndarray, y: np.ndarray, rate: float) -> tuple[np.ndarray, float]:
    """Weights (p,) and intercept minimising mean((Xw + b − y)²) + λ‖w‖²: (XcᵀXc/n + λI) w = Xcᵀyc/n."""
    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    y = np.asarray(y, dtype=np.float64)
    x_mean, y_mean = X.mean(axis=0), y.mean()  # (p,), float: centring leaves the intercept unpenalised
    Xc, yc = X - x_mean, y - y_mean  # (n, p), (n,)
    with one_thread():
        w = np.linalg.solve(Xc.T @ Xc / len(y) + rate * np.eye(X.shape[1]), Xc.T @ yc / len(y))  # (p,)
    return w, float(y_mean - x_mean @ w)


def _passes(X: np.ndarray) -> int:
    """How many passes over X an iterative solver may make within PASS_BUDGET (digits: ≈ 1,000)."""
    return int(min(MAX_PASSES, PASS_BUDGET // max(X.size, 1)))


def lasso(X: np.ndarray, y: np.ndarray, rate: float) -> Solution:
    """Weights (p,) and intercept minimising mean((Xw + b − y)²) + λ‖w‖₁, by scikit-learn's Lasso (α = λ/2)."""
    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    with warnings.catch_warnings(), one_thread():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            model = Lasso(alpha=rate / 2.0, tol=1e-12, max_iter=_passes(X)).fit(X, y)
        except ConvergenceWarning:
            return Solution(None, NOT_CONVERGED.format("lasso"))
    return Solution((model.coef_.copy(), float(model.intercept_)))


SEPARABLE = ("the training classes can be separated perfectly (the neuron's boundary, where w·x + b = 0 for the "
             "inputs it is fed, puts every training point on its side), so the cross-entropy keeps falling as the "
             "weights grow and the best weights are infinitely large")
QUASI_SEPARABLE = ("some training points can be split from all the others perfectly (the neuron's boundary can put "
                   "them alone on their side and the rest on it or beyond), so the cross-entropy keeps falling as "
                   "some weights grow and the best weights are infinitely large")


def separation(Z: np.ndarray, y: np.ndarray) -> str | None:
    """SEPARABLE, QUASI_SEPARABLE or None: whether a direction of the inputs Z (n, q) (standardized) and a bias puts
    every point on its class's side of a boundary or on it, at least one strictly (Albert & Anderson, 1984). Then
    the unpenalised optimum is at infinity along that direction. Found by a linear program (Konis, 2007): maximise
    the sum of the margins over directions in a box, every margin ≥ 0; complete separation when margins ≥ 1 are
    feasible too."""
    signed = np.column_stack([Z, np.ones(len(y))]) * (2.0 * y - 1.0)[:, None]  # (n, q + 1): margin per unit direction
    with one_thread():
        best = linprog(-signed.sum(axis=0), A_ub=-signed, b_ub=np.zeros(len(y)), bounds=(-1.0, 1.0), method="highs")
        if best.status != 0 or -best.fun <= SEPARATION_TOLERANCE * len(y):
            return None
        complete = linprog(np.zeros(signed.shape[1]), A_ub=-signed, b_ub=-np.ones(len(y)), bounds=(None, None),
                           method="highs")
    return SEPARABLE if complete.status == 0 else QUASI_SEPARABLE


def logistic_solution(X: np.ndarray, y: np.ndarray) -> Solution:
    """Unpenalised logistic regression: the optimum of a sigmoid neuron with cross-entropy, or why there is none.

    Fitted by scikit-learn's Newton–Cholesky solver on standardized inputs (columns that never change are
    left out: their weight makes no difference of its own, and is reported as 0), then mapped back to the
    inputs as given, which unpenalised logistic regression allows exactly. There is no answer with only
    one class, on (quasi-)separable classes (some best weights are infinitely large), or without convergence.
    """
    if len(np.unique(y)) != 2:
        return Solution(None, "the training data holds only one class, so there is nothing to separate")
    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    varying = np.ptp(X, axis=0) > 0  # (p,)
    mean, scale = X[:, varying].mean(axis=0), X[:, varying].std(axis=0)
    Z = (X[:, varying] - mean) / scale  # (n, q) standardized
    separated = separation(Z, y)
    if separated:  # the likelihood keeps growing along a direction: no finite optimum, whatever a solver stops at
        return Solution(None, separated)
    # One BLAS thread: threaded BLAS stalls on a busy 2-core server (seen: 1.3 s becoming 30 s on digits).
    with warnings.catch_warnings(record=True) as caught, one_thread(), np.errstate(all="ignore"):
        warnings.simplefilter("always")
        model = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-10, max_iter=NEWTON_STEPS).fit(Z, y)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        return Solution(None, NOT_CONVERGED.format("logistic regression"))
    w = np.zeros(X.shape[1])
    w[varying] = model.coef_[0] / scale
    b = float(model.intercept_[0] - np.dot(model.coef_[0], mean / scale))
    return Solution((w, b))


def penalised_logistic(X: np.ndarray, y: np.ndarray, regularization: str, rate: float) -> Solution:
    """Logistic regression + λ·Σw² (l2, L-BFGS) or + λ·Σ|w| (l1, SAGA): finite even on separable classes."""
    if len(np.unique(y)) != 2:
        return Solution(None, "the training data holds only one class, so there is nothing to separate")
    X = np.asarray(X, dtype=np.float64).reshape(len(y), -1)
    n = len(y)
    if regularization == "l2":
        options = dict(C=1.0 / (2.0 * n * rate), l1_ratio=0.0, tol=1e-12, max_iter=PENALISED_MAX_ITERATIONS)
    else:  # l1: only SAGA has both an l1 penalty and an unpenalised intercept (slow on unscaled features)
        options = dict(C=1.0 / (n * rate), l1_ratio=1.0, solver="saga", tol=1e-10, max_iter=_passes(X))
    name = f"{regularization.upper()}-penalised logistic regression"
    with warnings.catch_warnings(), one_thread():
        warnings.simplefilter("error", ConvergenceWarning)
        try:
            model = LogisticRegression(**options).fit(X, y)
        except ConvergenceWarning:
            return Solution(None, NOT_CONVERGED.format(name))
    w, b = model.coef_[0].copy(), float(model.intercept_[0])
    if regularization == "l1":
        if not w.any():  # SAGA stops once w stays 0, before b settles: b of the intercept-only model
            b = float(np.log(y.mean() / (1.0 - y.mean())))
        if _l1_logistic_optimality_gap(X, y, w, b, rate) > OPTIMALITY_TOLERANCE:
            return Solution(None, NOT_CONVERGED.format(name))
    return Solution((w, b))


def logistic(X: np.ndarray, y: np.ndarray, regularization: str = "none",
             rate: float = 0.0) -> tuple[np.ndarray, float] | None:
    """Logistic-regression weights (p,) and intercept (of the penalised objective), or None (see the solvers)."""
    regularization, rate = effective(regularization, rate)
    if regularization == "none":
        return logistic_solution(X, y).answer
    return penalised_logistic(X, y, regularization, rate).answer


def _l1_logistic_optimality_gap(X, y, w, b, rate) -> float:
    """Largest violation of the optimality conditions of mean log-loss + λ‖w‖₁ at (w, b)."""
    residual = expit(X @ w + b) - y  # (n,)
    gradient = X.T @ residual / len(y)  # (p,) of the mean log-loss
    free = np.where(w != 0, np.abs(gradient + rate * np.sign(w)), np.maximum(np.abs(gradient) - rate, 0.0))
    return float(max(free.max(initial=0.0), abs(residual.mean())))


class Method(NamedTuple):
    """How the exact answer for one (activation, loss) pair is found, without and with a weight penalty."""

    name: str  # what the page calls it
    source: str  # where the numbers come from
    solve: Callable[..., Solution]  # (X, y), or (X, y, λ) for a penalised method
    penalized: dict[str, Method] = {}  # regularization ("l1", "l2") -> its method


# The single neurons with a known optimum: (activation, loss) -> its method, and with each penalty.
METHODS: dict[tuple[str, str], Method] = {
    ("linear", "mse"): Method("least squares", "np.linalg.lstsq", lambda X, y: Solution(ols(X, y)), {
        "l2": Method("ridge", "closed form", lambda X, y, rate: Solution(ridge(X, y, rate))),
        "l1": Method("lasso", "scikit-learn", lasso),
    }),
    ("sigmoid", "bce"): Method("logistic regression", "scikit-learn", logistic_solution, {
        "l2": Method("L2-penalised logistic regression", "scikit-learn",
                     lambda X, y, rate: penalised_logistic(X, y, "l2", rate)),
        "l1": Method("L1-penalised logistic regression", "scikit-learn",
                     lambda X, y, rate: penalised_logistic(X, y, "l1", rate)),
    }),
}


def method_for(activation: str, loss: str, regularization: str = "none",
               regularization_rate: float = 0.0) -> Method | None:
    """How the exact answer of this single neuron and penalty is found; None when there is no method."""
    method = METHODS.get((activation, loss))
    regularization, _ = effective(regularization, regularization_rate)
    return method if method is None or regularization == "none" else method.penalized[regularization]


def solve(X, y, activation: str, loss: str, regularization: str = "none",
          regularization_rate: float = 0.0) -> Solution:
    """The exact optimum a single neuron should reach (of its penalised objective), or why there is none."""
    method = method_for(activation, loss, regularization, regularization_rate)
    if method is None:
        known = " and ".join(f"{a} + {ls} ({m.name})" for (a, ls), m in METHODS.items())
        return Solution(None, f"an exact answer is known only for a single neuron with {known}")
    regularization, rate = effective(regularization, regularization_rate)
    return method.solve(X, y) if regularization == "none" else method.solve(X, y, rate)


def reference_answer(X, y, activation: str, loss: str, regularization: str = "none",
                     regularization_rate: float = 0.0) -> tuple[np.ndarray, float] | None:
    """The exact optimum a single neuron should reach (of its penalised objective), when one is known."""
    return solve(X, y, activation, loss, regularization, regularization_rate).answer
