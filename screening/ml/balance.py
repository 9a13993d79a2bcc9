"""Class balancing: sample weights that keep 1% inclusions from being drowned out.

Why weights, not resampling: weights give the same effect as duplicating the included
records without copying rows, are deterministic, and work with every classifier that takes
``sample_weight``. All balancers return weights whose mean is 1, so a classifier's ``C`` /
``alpha`` means the same thing whatever the class mix.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator


class Balanced(BaseEstimator):
    """Weigh the classes so the included records carry ``ratio`` times the excluded ones' total.

    ``ratio=1`` is classical class balancing; ASReview's tuned default (9.8) makes the few
    included records together ten times as heavy as all the excluded ones.
    """

    name = "balanced"

    def __init__(self, ratio: float = 9.8) -> None:
        self.ratio = ratio

    def compute_sample_weight(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y)
        n1, n0 = int((y == 1).sum()), int((y == 0).sum())
        w = np.ones(len(y), dtype=np.float64)
        if n1 and n0:
            w[y == 0] = n1 / (self.ratio * n0)
        return w * (len(y) / w.sum())


class DynamicBalanced(BaseEstimator):
    """Balanced weights whose ratio grows with the training set (``base * n_labelled ** power``).

    Early on (few labels) the included class needs a lot of weight; once hundreds of
    exclusions are known they carry real information about what to skip.
    """

    name = "dynamic"

    def __init__(self, base: float = 2.0, power: float = 0.3) -> None:
        self.base = base
        self.power = power

    def compute_sample_weight(self, y: np.ndarray) -> np.ndarray:
        ratio = self.base * max(len(y), 1) ** self.power
        return Balanced(ratio=ratio).compute_sample_weight(y)


class NoBalance(BaseEstimator):
    """Unit weights (no balancing)."""

    name = "none"

    def compute_sample_weight(self, y: np.ndarray) -> np.ndarray:
        return np.ones(len(y), dtype=np.float64)


BALANCERS: dict[str, type] = {"balanced": Balanced, "dynamic": DynamicBalanced, "none": NoBalance}
