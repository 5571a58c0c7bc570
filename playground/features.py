"""Input features, as in TensorFlow Playground: what the network is fed, computed from the raw x1, x2.

A dataset with one or two raw inputs can feed the network x1, x2, x1², x2², x1·x2, sin x1, sin x2 (for
one raw input: x, x², sin x) in any combination. The pictures stay over the raw inputs; only the numbers
the first layer sees change. Pure NumPy.

    ids = ("x1", "x2", "x1sq", "x2sq")
    transform(raw, ids)            # (n, 4): the network's inputs for raw points (n, 2)
    names(("x1", "x2"), ids)       # ("x1", "x2", "x1²", "x2²")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


class InputFeature(NamedTuple):
    """One input the network can be fed: its name from the raw inputs' names, and how to compute it."""

    needs: tuple[int, ...]  # the raw columns it is computed from (0 = x1, 1 = x2)
    name: Callable[[str, str], str]  # (x1's name, x2's name) -> this input's name
    compute: Callable[[np.ndarray], np.ndarray]  # raw (n, 1 or 2) -> (n,)
    latex: Callable[[str, str], str]  # the same name in LaTeX, from the raw inputs' LaTeX names


INPUT_FEATURES: dict[str, InputFeature] = {
    "x1": InputFeature((0,), lambda a, b: a, lambda X: X[:, 0], lambda a, b: a),
    "x2": InputFeature((1,), lambda a, b: b, lambda X: X[:, 1], lambda a, b: b),
    "x1sq": InputFeature((0,), lambda a, b: f"{a}²", lambda X: X[:, 0] ** 2, lambda a, b: f"{a}^2"),
    "x2sq": InputFeature((1,), lambda a, b: f"{b}²", lambda X: X[:, 1] ** 2, lambda a, b: f"{b}^2"),
    "x1x2": InputFeature((0, 1), lambda a, b: f"{a}·{b}", lambda X: X[:, 0] * X[:, 1], lambda a, b: f"{a}{b}"),
    "sinx1": InputFeature((0,), lambda a, b: f"sin {a}", lambda X: np.sin(X[:, 0]), lambda a, b: rf"\sin {a}"),
    "sinx2": InputFeature((1,), lambda a, b: f"sin {b}", lambda X: np.sin(X[:, 1]), lambda a, b: rf"\sin {b}"),
}
RAW = ("x1", "x2")  # the default: the raw inputs themselves
LABELS = {key: f.name("x₁", "x₂") for key, f in INPUT_FEATURES.items()}  # how the sidebar lists them


def usable(ids, n_raw: int) -> tuple[str, ...]:
    """The ids (in the schema's order) that data with `n_raw` raw inputs can compute."""
    wanted = set(ids)
    return tuple(key for key, f in INPUT_FEATURES.items() if key in wanted and max(f.needs) < n_raw)


def transform(raw: np.ndarray, ids) -> np.ndarray:
    """The network's inputs (n, len(ids)) for raw points (n, 1 or 2)."""
    raw = np.asarray(raw, dtype=np.float64)
    return np.column_stack([INPUT_FEATURES[key].compute(raw) for key in ids]) if len(ids) else raw[:, :0]


def latex_names(n_raw: int, ids) -> list[str]:
    """Each input's name in LaTeX for an equation: x, x^2, \\sin x for one raw input; x_1, x_1^2, … for two."""
    first, second = ("x", "") if n_raw == 1 else ("x_1", "x_2")
    return [INPUT_FEATURES[key].latex(first, second) for key in ids]


def names(raw_names, ids) -> tuple[str, ...]:
    """Each input's name from the raw inputs' names, e.g. ("x1", "x2") -> "x1²", "x1·x2"."""
    first, second = (*raw_names, "")[:2]
    return tuple(INPUT_FEATURES[key].name(first, second) for key in ids)
