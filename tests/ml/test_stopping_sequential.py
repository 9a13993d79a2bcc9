"""The statistical stopping rule keeps its stated confidence although it is tested after every
sampled record.

Acceptance testing (session 25): Callaghan & Müller-Hansen's test, computed after every sampled
record and stopping at the first p < 0.05, stopped with recall below 95 % in 6-9 % of sample
paths when ~1,000 records were left with 6-40 relevant among them. These tests compute that
probability exactly, by dynamic programming over every sample path (the number of relevant
records drawn after each draw), for the rule as `screen`, `status` and `simulate` apply it.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import hypergeom

from screening.ml import recall_test as T
from screening.ml import stopping as S


def _stop_table(N: int, r: int, K: int, tau: float, alpha: float, pvalue) -> list[np.ndarray]:
    """For each sample size n = 0..N, which relevant counts k = 0..K would make the rule stop."""
    out = []
    for n in range(N + 1):
        ks = np.arange(min(K, n) + 1)
        out.append(np.array([pvalue(int(k), n) < alpha for k in ks]))
    return out


def failure_probability(N: int, r: int, K: int, tau: float = 0.95, alpha: float = 0.05, pvalue=None) -> float:
    """P(the rule stops with recall below tau), K relevant records among the N sampled from
    at random without replacement after r were found in ranked order."""
    if pvalue is None:
        def pvalue(k: int, n: int) -> float:
            return T.hypergeom_pvalue(k, N, n, r, tau)
    stops = _stop_table(N, r, K, tau, alpha, pvalue)
    failed = 0.0
    alive = np.zeros(K + 1)
    alive[0] = 1.0
    if stops[0][0]:
        return 1.0 if r < tau * (r + K) else 0.0
    for n in range(1, N + 1):
        left = N - (n - 1)
        k = np.arange(K + 1)
        p_rel = np.clip((K - k) / left, 0.0, 1.0)
        nxt = alive * (1 - p_rel)
        nxt[1:] += (alive * p_rel)[:-1]
        stop = np.zeros(K + 1, dtype=bool)
        stop[:len(stops[n])] = stops[n]
        bad = (r + k) < tau * (r + K)
        failed += float(nxt[stop & bad].sum())
        alive = np.where(stop, 0.0, nxt)
    return failed


def _uncorrected(N: int, r: int, tau: float = 0.95):
    """The test as published: the hypergeometric CDF at H0's smallest pool count."""
    def pvalue(k: int, n: int) -> float:
        K0 = T.min_missing_under_h0(k, r, tau)
        return 0.0 if K0 > N else float(hypergeom.cdf(k, N, K0, n))
    return pvalue


def test_the_published_test_run_after_every_record_misses_its_confidence():
    """The reference the acceptance test found: N 1,000, 180 found before the sample, 12 left."""
    assert failure_probability(1000, 180, 12, pvalue=_uncorrected(1000, 180)) == pytest.approx(0.073, abs=0.002)


@pytest.mark.parametrize("N, r, K", [(1000, 180, 10), (1000, 180, 12), (1000, 180, 20), (1000, 90, 6),
                                     (300, 40, 3), (300, 100, 8), (120, 15, 1)])
def test_the_rule_stops_below_the_target_recall_at_most_one_time_in_twenty(N, r, K):
    assert failure_probability(N, r, K) <= 0.05


def test_the_rule_still_stops_when_nothing_is_missing():
    """The price of the guarantee: with nothing left to find, the sample needed to stop is a
    little larger than the published test's, not a census."""
    N, r = 1000, 180

    def first_stop(pvalue) -> int:
        return next(n for n in range(N + 1) if pvalue(0, n) < 0.05)

    ours = first_stop(lambda k, n: T.hypergeom_pvalue(k, N, n, r, 0.95))
    published = first_stop(_uncorrected(N, r))
    assert published < ours < 1.3 * published < N


def test_the_recall_bound_agrees_with_the_test():
    """A stop (p < 1 - confidence) is a bound at or above the target, and the reverse."""
    for N, n, r in ((1000, 300, 180), (1000, 238, 180), (500, 200, 60), (200, 150, 30)):
        for k in range(4):
            p = T.hypergeom_pvalue(k, N, n, r, 0.95)
            _, bound = T.recall_bound(k, N, n, r, 0.95)
            assert (p < 0.05) == (bound >= 0.95), (N, n, r, k, p, bound)


def test_no_sample_bounds_recall_by_every_record_left_being_relevant():
    """Acceptance testing: a rule that stops at the switch (fewer records left than H0 needs)
    reported a recall bound of 0 beside its stop; with no sample the bound is the worst case."""
    est, bound = T.recall_bound(0, 3, 0, 100, 0.95)
    assert (est, bound) == (1.0, pytest.approx(100 / 103))


def test_the_published_rule_is_offered_to_compare_without_a_guarantee():
    rule = S.get_stop_rule("hypergeometric-published")
    assert rule.guarantee is False and rule.samples is True
    reference = _uncorrected(1000, 180)
    for k, n in ((0, 250), (1, 400), (3, 700)):
        assert T.published_pvalue(k, 1000, n, 180, 0.95) == pytest.approx(reference(k, n))
