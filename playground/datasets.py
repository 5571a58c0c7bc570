"""Built-in datasets: the seed notebooks' data, generated shapes, and scikit-learn's bundled sets.

Every dataset is made from (number of points, noise scale, seed, digits target); the same inputs
always give the same data. Nothing is downloaded: scikit-learn ships diabetes, digits and breast
cancer inside the package.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import numpy as np
from sklearn import datasets as sk_datasets

from .data import CLASSIFICATION, REGRESSION, Dataset

UPLOAD = "upload"  # the dataset key for a user's CSV file
XOR_GAP = 0.15  # XOR's points keep this far from the axes (before the noise), so its quadrants are clear
DIGIT_TARGETS = {"odd": "Odd vs even", **{str(k): f"{k} vs the rest" for k in range(10)}}


@dataclass(frozen=True)
class DatasetSpec:
    """How to make one dataset and what suits it."""

    label: str
    task: str
    make: Callable[[int, float, np.random.Generator, str], Dataset] | None
    generated: bool = False  # number of points and noise apply
    recommended: dict = field(default_factory=dict)  # settings applied when the user picks it
    raw_inputs: int = 0  # 1 or 2: the input features (x², x1·x2, sin x, …) can be computed from them; 0: not
    single_neuron: str = ""  # what one neuron can and cannot do here, in one line


def _line_000(n, noise, rng, _):
    x = np.linspace(0.0, 1.0, n)
    y = 1.35 * x + rng.standard_normal(n) * 0.33 * noise + 0.5
    return Dataset("Seed 000 line", x[:, None], y, ("x",), "y", REGRESSION,
                   "y = 1.35·x + 0.5 + N(0, 0.33): the Keras notebook's data.")


def _line_001(n, noise, rng, _):
    x = np.linspace(0.0, 100.0, n)
    y = 8.0 * x + rng.normal(x, 200.0 * noise, n)  # the notebook's np.random.normal(x, 200): mean x, not 0
    return Dataset("Seed 001 line", x[:, None], y, ("x",), "y", REGRESSION,
                   "y = 8·x + N(x, 200²) on [0, 100], as the NumPy neuron notebook draws it: the noise has mean x, "
                   "so the points follow y = 9x on average.")


def _logistic_six(n, noise, rng, _):
    x = np.arange(6.0)
    return Dataset("Six points, 0 or 1", x[:, None], np.array([0.0, 0, 0, 1, 1, 1]), ("x",), "y",
                   CLASSIFICATION, "x = 0…5 with labels 0, 0, 0, 1, 1, 1: the logistic neuron of notebook 003.")


def _house_prices(n, noise, rng, _):
    return Dataset("House prices", np.array([[1.0], [2.0]]), np.array([300.0, 500.0]),
                   ("size (1000 sqft)",), "price ($1000s)", REGRESSION,
                   "Two houses: 1000 sqft for $300k, 2000 sqft for $500k (notebook 003).")


def _two_groups(n, noise, rng, _):
    y = (np.arange(n) % 2).astype(float)
    x = np.where(y == 1, 1.0, -1.0) + rng.standard_normal(n) * noise
    return Dataset("Two groups on a line", x[:, None], y, ("x",), "class", CLASSIFICATION,
                   "Class 0 around x = −1, class 1 around x = +1, overlapping as noise grows.")


def _sine(n, noise, rng, _):
    x = np.sort(rng.uniform(-3.0, 3.0, n))
    y = np.sin(x) + rng.standard_normal(n) * 0.1 * noise
    return Dataset("Sine wave", x[:, None], y, ("x",), "y", REGRESSION,
                   "y = sin(x) + noise: one neuron draws a line; a hidden layer can bend it.")


def _quadratic(n, noise, rng, _):
    x = np.sort(rng.uniform(-2.0, 2.0, n))
    y = x * x + rng.standard_normal(n) * 0.3 * noise
    return Dataset("Parabola", x[:, None], y, ("x",), "y", REGRESSION,
                   "y = x² + noise: no straight line fits it; a hidden layer can.")


def _blobs(n, noise, rng, _):
    X, y = sk_datasets.make_blobs(n_samples=n, centers=[[-1.5, -1.0], [1.5, 1.0]],
                                  cluster_std=max(noise, 0.05) * 1.2, random_state=_state(rng))
    return Dataset("Two blobs (2-D)", X, y.astype(float), ("x1", "x2"), "class", CLASSIFICATION,
                   "Two clouds of points in the plane; a logistic neuron draws the line between them.")


def _plane(n, rng):
    return rng.uniform(-1.0, 1.0, size=(n, 2))


def _xor(n, noise, rng, _):
    X = _plane(n, rng)
    X += np.where(X >= 0, XOR_GAP, -XOR_GAP)  # a gap along both axes, as TensorFlow Playground's
    X += rng.uniform(-1.0, 1.0, X.shape) * 0.05 * noise
    y = (X[:, 0] * X[:, 1] > 0).astype(float)  # labelled where the point ends up: no point on the wrong side
    return Dataset("XOR", X, y, ("x1", "x2"), "class", CLASSIFICATION,
                   "Class 1 where x1 and x2 have the same sign (two opposite quadrants), class 0 in the other two.")


def _circles(n, noise, rng, _):
    X, y = sk_datasets.make_circles(n_samples=n, noise=0.05 * noise, factor=0.5, random_state=_state(rng))
    return Dataset("Circles", X, y.astype(float), ("x1", "x2"), "class", CLASSIFICATION,
                   "Class 1 on a small circle inside a big circle of class 0 (scikit-learn's make_circles).")


def _moons(n, noise, rng, _):
    X, y = sk_datasets.make_moons(n_samples=n, noise=0.1 * noise, random_state=_state(rng))
    return Dataset("Two moons", X, y.astype(float), ("x1", "x2"), "class", CLASSIFICATION,
                   "Two interleaved half circles (scikit-learn's make_moons).")


def _spiral(n, noise, rng, _):
    arms = []
    for label, size, turn in ((1.0, n - n // 2, 0.0), (0.0, n // 2, np.pi)):
        t = np.linspace(0.0, 1.0, size)  # along the arm, from the centre out
        angle = 3.5 * np.pi * t + turn  # 1¾ turns
        points = np.column_stack([t * np.sin(angle), t * np.cos(angle)])  # (size, 2)
        arms.append((points + rng.uniform(-1.0, 1.0, points.shape) * 0.05 * noise, np.full(size, label)))
    X, y = np.vstack([a[0] for a in arms]), np.concatenate([a[1] for a in arms])
    return Dataset("Spiral", X, y, ("x1", "x2"), "class", CLASSIFICATION,
                   "Two arms winding around each other 1¾ turns, as in TensorFlow Playground.")


def _saddle(n, noise, rng, _):
    X = _plane(n, rng)
    y = X[:, 0] * X[:, 1] + rng.standard_normal(n) * 0.05 * noise
    return Dataset("Saddle surface", X, y, ("x1", "x2"), "y", REGRESSION,
                   "y = x1·x2 + noise: up in two opposite quadrants, down in the other two.")


def _state(rng: np.random.Generator) -> int:
    """A scikit-learn random_state drawn from the dataset's seeded generator."""
    return int(rng.integers(2**31))


@cache
def _bunch(name: str):
    return getattr(sk_datasets, f"load_{name}")()


def _diabetes(n, noise, rng, _):
    bunch = _bunch("diabetes")
    return Dataset("Diabetes (scikit-learn)", bunch.data, bunch.target.astype(float),
                   tuple(bunch.feature_names), "disease progression", REGRESSION,
                   "442 patients, 10 measurements, disease progression a year later. "
                   "Replaces the Boston data of notebook 001, which scikit-learn removed.")


def _breast_cancer(n, noise, rng, _):
    bunch = _bunch("breast_cancer")
    return Dataset("Breast cancer (scikit-learn)", bunch.data, bunch.target.astype(float),
                   tuple(bunch.feature_names), "benign", CLASSIFICATION,
                   "569 tumours, 30 measurements; target 1 = benign, 0 = malignant.")


def _digits(n, noise, rng, target):
    bunch = _bunch("digits")
    if target == "odd":
        y, what = bunch.target % 2, "odd (1) vs even (0)"
    else:
        y, what = bunch.target == int(target), f"the digit {target} (1) vs any other (0)"
    names = tuple(f"pixel r{r}c{c}" for r in range(8) for c in range(8))  # no commas: features are comma-separated
    return Dataset("Digits 8×8 (scikit-learn)", bunch.data, y.astype(float), names, "label",
                   CLASSIFICATION, f"1797 handwritten digits, 64 pixels each (0–16); target: {what}.")


_CLASSIFY = {"activation": "sigmoid", "loss": "auto"}
_REGRESS = {"activation": "linear", "loss": "auto"}

_PLANE = {"n_points": 300, "noise": 1.0, "validation_split": 0.5, "standardize": False}  # TF Playground's 50 %

DATASETS: dict[str, DatasetSpec] = {
    "line": DatasetSpec("Seed 000 line: y = 1.35x + 0.5", REGRESSION, _line_000, True,
                        {**_REGRESS, "n_points": 100, "standardize": False}, 1,
                        "One linear neuron is exactly a line: it can match least squares."),
    "line800": DatasetSpec("Seed 001 line: y = 8x + N(x, 200) (800 points)", REGRESSION, _line_001, True,
                           {**_REGRESS, "n_points": 800, "standardize": True}, 1,
                           "One linear neuron is exactly a line: it can match least squares."),
    "logistic6": DatasetSpec("Six points, 0 or 1 (notebook 003)", CLASSIFICATION, _logistic_six, False,
                             {**_CLASSIFY, "validation_split": 0.0}, 1,
                             "One sigmoid neuron separates them; the best weights are infinitely large."),
    "groups": DatasetSpec("Two groups on a line", CLASSIFICATION, _two_groups, True, _CLASSIFY, 1,
                          "One sigmoid neuron puts its threshold between the groups; overlap it cannot undo."),
    "house": DatasetSpec("House prices (notebook 003)", REGRESSION, _house_prices, False,
                         {**_REGRESS, "validation_split": 0.0}, 1,
                         "Two points: one linear neuron fits both exactly."),
    "sine": DatasetSpec("Sine wave", REGRESSION, _sine, True, _REGRESS, 1,
                        "One neuron on x draws a line; with the sin x input it fits the wave, or use a hidden layer."),
    "quadratic": DatasetSpec("Parabola", REGRESSION, _quadratic, True, _REGRESS, 1,
                             "One neuron on x draws a line; with the x² input it fits the parabola, or use a hidden "
                             "layer."),
    "blobs": DatasetSpec("Two blobs in 2-D", CLASSIFICATION, _blobs, True, _CLASSIFY, 2,
                         "One sigmoid neuron draws a straight boundary: enough for two blobs."),
    "xor": DatasetSpec("XOR (2-D)", CLASSIFICATION, _xor, True, {**_CLASSIFY, **_PLANE}, 2,
                       "No straight line separates XOR: one neuron fails on x1, x2; with the x1·x2 input it "
                       "succeeds, and so does a hidden layer."),
    "circles": DatasetSpec("Circles (2-D)", CLASSIFICATION, _circles, True, {**_CLASSIFY, **_PLANE}, 2,
                           "A circle is no straight line: one neuron fails on x1, x2; with x1² and x2² it "
                           "separates them, and so does a hidden layer."),
    "moons": DatasetSpec("Two moons (2-D)", CLASSIFICATION, _moons, True, {**_CLASSIFY, **_PLANE}, 2,
                         "One neuron's straight boundary gets most points; the curved gap needs a hidden layer."),
    "spiral": DatasetSpec("Spiral (2-D)", CLASSIFICATION, _spiral, True, {**_CLASSIFY, **_PLANE},
                          2, "Hard: one neuron is at chance; it takes hidden layers (and sin x1, sin x2 help)."),
    "saddle": DatasetSpec("Saddle surface y = x1·x2 (2-D)", REGRESSION, _saddle, True, {**_REGRESS, **_PLANE}, 2,
                          "One linear neuron fits a flat plane, useless here; with the x1·x2 input it fits exactly."),
    "diabetes": DatasetSpec("Diabetes (10 features)", REGRESSION, _diabetes, False,
                            {**_REGRESS, "standardize": True}),
    "breast_cancer": DatasetSpec("Breast cancer (30 features)", CLASSIFICATION, _breast_cancer, False,
                                 {**_CLASSIFY, "standardize": True}),
    "digits": DatasetSpec("Digits 8×8 (64 pixels)", CLASSIFICATION, _digits, False,
                          {**_CLASSIFY, "standardize": True}),
    UPLOAD: DatasetSpec("Your CSV file…", REGRESSION, None, False, {"standardize": True}),
}


def make_dataset(key: str, n_points: int, noise: float, seed: int, digit_target: str = "odd") -> Dataset:
    """The built-in dataset `key`, reproducible from its arguments."""
    spec = DATASETS[key]
    if spec.make is None:
        raise ValueError(f"dataset {key!r} comes from an uploaded file")
    return spec.make(n_points, noise, np.random.default_rng(seed), digit_target)
