"""Query strategies: in which order to show the unscreened records.

All strategies return *positions into the given score vector*, best first, and break ties by
position (file order) so that the same scores always give the same order.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator


def _order(key: np.ndarray) -> np.ndarray:
    """Ascending by key, ties by index (one stable sort; float32 scores do tie)."""
    return np.argsort(key, kind="stable")


def order_desc(scores: np.ndarray) -> np.ndarray:
    """Positions by score descending, ties by position: the same result as a stable sort of
    ``-scores``, about 2x faster for float32 scores (the learner's) on 10^5 records.

    How: each float32 score is mapped to a 32-bit unsigned integer with the same order (sign
    bit flipped, negative values inverted), shifted into the high half of a 64-bit key whose
    low half is the position. The keys are distinct, so one unstable sort of plain integers
    gives the stable order, without the comparator and merge passes of a stable float sort.
    Other dtypes (and NaN) fall back to the stable sort.
    """
    s = np.asarray(scores)
    if s.dtype != np.float32 or len(s) >= 2**32 or np.isnan(s).any():
        return _order(-np.asarray(s, dtype=np.float64))
    neg = -s + np.float32(0.0)  # + 0.0 turns -0.0 into 0.0: equal scores must tie
    u = neg.view(np.uint32)
    u = np.where(u & np.uint32(0x80000000), ~u, u | np.uint32(0x80000000)).astype(np.uint64)
    key = (u << np.uint64(32)) | np.arange(len(s), dtype=np.uint64)
    key.sort()
    return (key & np.uint64(0xFFFFFFFF)).astype(np.int64)


class MaxQuery(BaseEstimator):
    """Most likely relevant first (certainty-based; the usual choice for screening)."""

    name = "max"

    def query(self, scores: np.ndarray, rng: np.random.Generator | None = None, offset: int = 0) -> np.ndarray:
        return order_desc(scores)


class UncertaintyQuery(BaseEstimator):
    """Closest to the decision boundary first (learns fastest, finds relevant records slower).

    ``scores`` are the classifier's decision values (a margin or log-odds: the learner never
    passes probabilities), whose boundary is 0. It used to be guessed from the scores' range,
    which took an SVM's margins, often all within [0, 1] early on, for probabilities and
    ranked them around 0.5 (acceptance testing, session 15).
    """

    name = "uncertainty"
    needs_boundary = True          # only a classifier's scores have one (see ActiveLearner.rank)

    def __init__(self, boundary: float = 0.0) -> None:
        self.boundary = boundary

    def query(self, scores: np.ndarray, rng: np.random.Generator | None = None, offset: int = 0) -> np.ndarray:
        return _order(np.abs(np.asarray(scores, dtype=np.float64) - float(self.boundary)))


class MixedQuery(BaseEstimator):
    """Mostly max relevance, with every ``every``-th record screened being the most uncertain.

    ``offset``: how many records were served before this ranking. The slots count from the
    start of screening, not of each ranking: re-ranked after every record, the 20th slot of
    each fresh ranking was never reached, and 'mixed' screened exactly as 'max' did.
    """

    name = "mixed"
    needs_boundary = True

    def __init__(self, every: int = 20) -> None:
        self.every = every

    def query(self, scores: np.ndarray, rng: np.random.Generator | None = None, offset: int = 0) -> np.ndarray:
        top = MaxQuery().query(scores)
        unc = UncertaintyQuery().query(scores)
        out, used = [], np.zeros(len(top), dtype=bool)
        it_top, it_unc = iter(top), iter(unc)
        for slot in range(offset, offset + len(top)):
            src = it_unc if (slot + 1) % self.every == 0 else it_top
            for i in src:
                if not used[i]:
                    used[i] = True
                    out.append(i)
                    break
            else:  # the chosen source is exhausted: fall back to the other
                for i in (it_top if src is it_unc else it_unc):
                    if not used[i]:
                        used[i] = True
                        out.append(i)
                        break
        return np.asarray(out, dtype=np.int64)


class RandomQuery(BaseEstimator):
    """Random order (the baseline a ranker must beat; seeded)."""

    name = "random"

    def query(self, scores: np.ndarray, rng: np.random.Generator | None = None, offset: int = 0) -> np.ndarray:
        rng = rng or np.random.default_rng(0)
        return rng.permutation(len(scores))


QUERIES: dict[str, type] = {"max": MaxQuery, "uncertainty": UncertaintyQuery, "mixed": MixedQuery,
                            "random": RandomQuery}
