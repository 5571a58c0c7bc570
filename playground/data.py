"""Datasets: the shared `Dataset` type and the CSV loader (`load_csv`, `DataError`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

REGRESSION = "regression"
CLASSIFICATION = "classification"


class DataError(ValueError):
    """A dataset the playground cannot use; the message is shown to the user as plain text."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Features, target and what they mean; `X` (n, p) float64, `y` (n,) float64."""

    name: str
    X: np.ndarray  # (n, p) float64
    y: np.ndarray  # (n,) float64
    feature_names: tuple[str, ...]
    target_name: str
    task: str  # REGRESSION or CLASSIFICATION (y in {0, 1})
    description: str = ""
    # The whole numeric table a CSV came from, so the user can re-pick columns; None otherwise.
    table: object = field(default=None, repr=False)

    @property
    def n(self) -> int:
        """Number of rows."""
        return self.X.shape[0]

    @property
    def p(self) -> int:
        """Number of features."""
        return self.X.shape[1]
