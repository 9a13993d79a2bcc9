"""The statistical stopping rule's test: H0 "recall < target" against a random sample of the
records left unscreened when ranked screening stopped paying, and the recall bound it gives.

The test. Callaghan & Müller-Hansen compute ``p = HypergeomCDF(k; N, K, n)`` after every
sampled record and stop at the first ``p < 1 - confidence``. Testing after every record is
optional stopping, and the chance of stopping with recall below τ then exceeds the stated 5 %:
computed exactly over every sample path, 6-9 % with 1,000 records left and 6-40 relevant ones
among them (acceptance testing; ``tests/ml/test_stopping_sequential.py`` recomputes it). Here
the test is *anytime-valid*: for each candidate number ``K`` of relevant records in the pool,
the likelihood of the sample under a fixed mixture over ``K`` (weights ``1 / ((j + 1)(j + 2))``,
half on "none missing") divided by its likelihood under ``K`` is a test martingale (Ville's
inequality: under the true ``K`` it ever reaches ``1 / α`` with probability at most ``α``;
Waudby-Smith & Ramdas 2020, *Confidence sequences for sampling without replacement*). The
p-value is ``1 / ratio`` at the hypothesis' most likely ``K``, and the recall bound comes from
the ``K`` the sample has not rejected; both hold at whatever moment the team looks, so stopping
at the first ``p < 1 - confidence`` keeps the guarantee.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np


# recorded with a stop, so a stop made with the published test (before 0.14) is read as such
TEST = "anytime-valid"


def hypergeom_pvalue(k: int, N: int, n: int, r_before: int, target_recall: float, outside: int = 0) -> float:
    """Anytime-valid p-value of H0 "recall < target" after sampling ``n`` of ``N`` unscreened
    records, ``k`` relevant (valid however often it is computed; see the module's docstring).

    ``r_before`` relevant records were found outside the random sample. ``outside``: records
    nobody has screened that the sample was not drawn from (added while it was under way):
    the sample says nothing of them, so H0 takes them all as relevant (its worst case).
    """
    return float(_pvalues(np.array([k]), N, n, r_before, target_recall, outside)[0])


def published_pvalue(k: int, N: int, n: int, r_before: int, target_recall: float) -> float:
    """The test as Callaghan & Müller-Hansen publish it: ``HypergeomCDF(k; N, K, n)`` at H0's
    smallest pool count. Valid only when read once, at a sample size fixed in advance; read
    after every sampled record it stops below the target more often than it states (see the
    module's docstring). For comparison in simulation (``hypergeometric-published``)."""
    from scipy.stats import hypergeom

    K = int(_h0_missing(np.array([k]), r_before, target_recall)[0])
    return 0.0 if K > N else float(hypergeom.cdf(k, N, K, n))


def min_missing_under_h0(k: int, r_before: int, target_recall: float) -> int:
    """Smallest number of relevant records among the sampled-from pool under H0 (recall < τ)."""
    return int(_h0_missing(np.array([k]), r_before, target_recall)[0])


def recall_bound(k: int, N: int, n: int, r_before: int, confidence: float, outside: int = 0) -> tuple[float, float]:
    """(point estimate, one-sided lower confidence bound) for recall so far.

    The bound uses the largest number of relevant records in the sampled-from pool that the
    sample does not reject at level ``1 - confidence`` (the anytime-valid test's confidence
    sequence, see the module's docstring); ``outside`` records (see :func:`hypergeom_pvalue`)
    count as missed relevant records in the bound, not in the estimate.
    """
    est, bound = _bounds(np.array([k]), N, n, r_before, confidence, outside)
    return float(est[0]), float(bound[0])


def worst_settlement(k: int, unsettled: int, N: int, n: int, r_before: int, target_recall: float,
                     outside: int = 0) -> int:
    """How many of ``unsettled`` sample records, counted relevant, give the test its largest
    p-value (``k``: the sample's settled relevant records; ``n`` counts every drawn record).

    The worst case is not simply "all relevant": a relevant sample record raises the number of
    relevant records H0 puts in the pool as well as the count the sample saw, so p is not
    monotone in it (at N 68, n 50, 15 found before: p 0.048 with 4 relevant, 0.031 with 5).
    Ties go to more relevant records. One vectorised call: a dual plan's sample can wait for
    its second reviewer on hundreds of records."""
    p = _pvalues(k + np.arange(unsettled + 1), N, n, r_before, target_recall, outside)
    return int(np.flatnonzero(p == p.max())[-1])


def lowest_bound(k: int, unsettled: int, N: int, n: int, r_before: int, confidence: float,
                 outside: int = 0) -> tuple[float, float]:
    """:func:`recall_bound` at the settlement of ``unsettled`` sample records (0 to all of them
    relevant) that gives the lowest bound, with that settlement's estimate: what can be
    claimed whichever way they are settled."""
    est, bound = _bounds(k + np.arange(unsettled + 1), N, n, r_before, confidence, outside)
    j = int(np.argmin(bound))
    return float(est[j]), float(bound[j])


# The test's arithmetic, over an array of sample relevant counts ``seen`` (one per settlement of
# the sample's unsettled records; a single count for the scalar functions above).

def _h0_missing(seen: np.ndarray, r_before: int, target_recall: float) -> np.ndarray:
    # "recall < τ" ⇔ total > (r_before + k) / τ; the epsilon keeps an exact multiple (19/0.95 = 20)
    # from flooring to 19.999… and testing a weaker hypothesis than H0.
    return np.floor((r_before + seen) / target_recall + 1e-9).astype(int) + 1 - r_before


def _log_likelihoods(seen: np.ndarray, N: int, n: int) -> np.ndarray:
    """log P(k relevant in the n sampled | j relevant among the N), one row per count in
    ``seen``, one column per j = 0..N (-inf where impossible)."""
    from scipy.special import gammaln

    j = np.arange(N + 1)[None, :]
    k = seen[:, None]

    def log_comb(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        ok = (b >= 0) & (b <= a)
        a, b = np.where(ok, a, 0), np.where(ok, b, 0)
        return np.where(ok, gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1), -np.inf)

    return log_comb(j, k) + log_comb(N - j, n - k) - log_comb(np.array(N), np.array(n))


def _log_prior(N: int) -> np.ndarray:
    """The mixture's weights over j = 0..N relevant records in the pool: 1 / ((j + 1)(j + 2)),
    the tail beyond N on N. Fixed before the sample (it depends on N only): half the weight on
    "none missing", the case a team hopes to confirm, and some on every other count."""
    j = np.arange(N + 1, dtype=float)
    w = 1.0 / ((j + 1.0) * (j + 2.0))
    w[-1] += 1.0 / (N + 2.0)
    return np.log(w)


def _log_evidence(seen: np.ndarray, N: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(log-likelihoods per j, log of the mixture's likelihood), one row per count in ``seen``."""
    from scipy.special import logsumexp

    ll = _log_likelihoods(seen, N, n)
    return ll, logsumexp(ll + _log_prior(N)[None, :], axis=1)


# cells of the (counts x pool counts) likelihood matrix computed at once: a dual plan's sample
# may await its second reviewer on hundreds of records in a pool of 100,000
_CELLS = 2_000_000


def _by_rows(fn: Callable[[np.ndarray], np.ndarray], seen: np.ndarray, N: int) -> np.ndarray:
    """``fn`` over ``seen`` in slices of at most :data:`_CELLS` likelihood cells, joined."""
    step = max(1, _CELLS // (N + 1))
    return np.concatenate([fn(seen[i:i + step]) for i in range(0, len(seen), step)])


def _in_pool_under_h0(seen: np.ndarray, r_before: int, target_recall: float, outside: int) -> np.ndarray:
    # H0 puts at least _h0_missing relevant records outside what was found; at worst ``outside``
    # of them are among the records the sample was not drawn from, the rest in its pool
    return np.maximum(_h0_missing(seen, r_before, target_recall) - outside, 0)


def _pvalues(seen: np.ndarray, N: int, n: int, r_before: int, target_recall: float,
             outside: int = 0) -> np.ndarray:
    """Anytime-valid p-values of H0 "recall < τ" (see the module's docstring): the likelihood
    of the sample at H0's most likely pool count over the mixture's, capped at 1."""
    K = _in_pool_under_h0(seen, r_before, target_recall, outside)
    if N <= 0:
        return np.where(K > N, 0.0, 1.0)
    return _by_rows(lambda rows: _pvalue_rows(rows, N, n, r_before, target_recall, outside), seen, N)


def _pvalue_rows(seen: np.ndarray, N: int, n: int, r_before: int, target_recall: float,
                 outside: int) -> np.ndarray:
    K = _in_pool_under_h0(seen, r_before, target_recall, outside)
    ll, mix = _log_evidence(seen, N, n)
    j = np.arange(N + 1)[None, :]
    under_h0 = np.where(j >= K[:, None], ll, -np.inf).max(axis=1)
    with np.errstate(invalid="ignore"):      # a count no pool allows (more than were sampled): no evidence
        p = np.where(np.isfinite(mix), np.minimum(1.0, np.exp(under_h0 - mix)), 1.0)
    # 0 where H0 needs more relevant records than there were unscreened records
    return np.where(K > N, 0.0, p)


def _bounds(seen: np.ndarray, N: int, n: int, r_before: int, confidence: float,
            outside: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(point estimates, lower confidence bounds) of recall, one per count in ``seen``. The
    bound is over the largest pool count the sample has not rejected (the confidence
    sequence of :func:`_pvalues`' test, valid whenever it is read), plus every ``outside``
    record."""
    found = r_before + seen
    if N <= 0:
        return (np.where(found > 0, 1.0, 0.0),
                np.where(found > 0, found / np.maximum(found + outside, 1), 0.0))
    if n <= 0:
        # no sample yet: every record left may be relevant
        return np.where(found > 0, 1.0, 0.0), found / np.maximum(found + N + outside, 1)
    # point estimate: the maximum-likelihood number of relevant records in the pool,
    # floor(k (N + 1) / n) (integer, so it never falls below the bound's count; the
    # fractional k / n * (N - n) put the estimate under its own lower bound when only a
    # few records are left unsampled)
    est_missing = np.minimum(N, (seen * (N + 1)) // n) - seen
    est = np.where(found + est_missing > 0, found / np.maximum(found + est_missing, 1), 1.0)

    def largest_kept(rows: np.ndarray) -> np.ndarray:
        ll, mix = _log_evidence(rows, N, n)
        with np.errstate(invalid="ignore"):
            kept = (ll - mix[:, None]) > math.log(1 - confidence)        # not rejected
        return np.where(kept, np.arange(N + 1)[None, :], -1).max(axis=1)

    largest = _by_rows(largest_kept, seen, N)
    missing = np.maximum(largest, seen) - seen + outside
    return est, np.where(found + missing > 0, found / np.maximum(found + missing, 1), 1.0)
