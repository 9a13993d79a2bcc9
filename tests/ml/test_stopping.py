"""The stopping rule's statistics against values computed by hand, and the rules' behaviour."""

from math import comb

import numpy as np
import pandas as pd
import pytest
from scipy.stats import hypergeom

from screening.errors import ConfigError
from screening.ml import recall_test as T
from screening.ml import stopping as S
from screening.ml.stopping_status import stopping_status


def test_min_missing_under_h0():
    # 9 found, tau 0.95: recall < 0.95 needs a 10th relevant record somewhere
    assert T.min_missing_under_h0(0, 9, 0.95) == 1
    # 10 found, tau 0.9: total >= 12 -> at least 2 missing
    assert T.min_missing_under_h0(0, 10, 0.9) == 2
    # exact multiple: 19 / 0.95 = 20 -> recall 19/20 is not < 0.95, H0 needs 21 -> 2 missing
    assert T.min_missing_under_h0(0, 19, 0.95) == 2


def _mixture_pvalue(k: int, N: int, n: int, K0: int) -> float:
    """The anytime-valid p-value written out: the sample's likelihood at H0's most likely pool
    count (K >= K0) over its likelihood under the weights 1/((j+1)(j+2)) (the tail on N)."""
    def lik(j: int) -> float:
        return comb(j, k) * comb(N - j, n - k) / comb(N, n) if k <= j and n - k <= N - j else 0.0

    weights = [1 / ((j + 1) * (j + 2)) for j in range(N + 1)]
    weights[N] += 1 / (N + 2)
    mix = sum(w * lik(j) for j, w in enumerate(weights))
    return min(1.0, max(lik(j) for j in range(K0, N + 1)) / mix)


def test_hypergeometric_pvalue_by_hand():
    # N=10 unscreened, H0 needs K >= 1, sample 5 with none: P(0 | K=1) = C(9,5)/C(10,5) = 1/2,
    # over the mixture 1/2 * 1 + 1/6 * 1/2 + 1/12 * 56/252 + 1/20 * 21/252 + 1/30 * 6/252 + 1/42 * 1/252
    mix = 1 / 2 + 1 / 6 * 1 / 2 + 1 / 12 * 56 / 252 + 1 / 20 * 21 / 252 + 1 / 30 * 6 / 252 + 1 / 42 * 1 / 252
    assert T.hypergeom_pvalue(0, 10, 5, 9, 0.95) == pytest.approx(0.5 / mix)
    # 9 of the 10 sampled, none relevant: P(0 | 1) = 1/10 over 1/2 + 1/6 * 1/10
    assert T.hypergeom_pvalue(0, 10, 9, 9, 0.95) == pytest.approx(0.1 / (1 / 2 + 1 / 60))
    # H0 K >= 2: P(0 | 2) = 56/252
    assert T.hypergeom_pvalue(0, 10, 5, 10, 0.9) == pytest.approx(56 / 252 / mix)
    # one found in the sample: K >= floor(11/0.9)+1-10 = 3; P(1 | 3) = 3 * C(7,4) / C(10,5) = 105/252
    # is more than the mixture's likelihood: p = 1
    assert T.hypergeom_pvalue(1, 10, 5, 10, 0.9) == 1.0
    # written out on larger cases, and above the published (uncorrected) test's p
    for k, N, n, r in ((2, 500, 120, 40), (0, 300, 200, 30), (1, 200, 150, 60)):
        K0 = T.min_missing_under_h0(k, r, 0.95)
        p = T.hypergeom_pvalue(k, N, n, r, 0.95)
        assert p == pytest.approx(_mixture_pvalue(k, N, n, K0))
        assert p >= hypergeom.cdf(k, N, K0, n)


def test_pvalue_zero_when_h0_impossible():
    # H0 needs 3 missing among 2 unscreened records: impossible
    assert T.hypergeom_pvalue(0, 2, 1, 40, 0.95) == 0.0


def test_worst_settlement_of_unsettled_sample_records():
    """p is not monotone in the sample's relevant count (each one also raises the relevant
    records H0 puts in the pool): the worst case is the largest p, found by trying each count."""
    p = [T.hypergeom_pvalue(j, 40, 35, 25, 0.9) for j in range(8)]
    assert p[1] > p[2] and p[3] > p[1]                 # the dip that makes "all relevant" not the rule
    assert T.worst_settlement(0, 1, 40, 35, 25, 0.9) == 1
    assert T.worst_settlement(0, 2, 40, 35, 25, 0.9) == 1     # 2 relevant would give a smaller p
    assert T.worst_settlement(0, 3, 40, 35, 25, 0.9) == 3
    assert T.worst_settlement(3, 0, 40, 35, 25, 0.9) == 0     # nothing unsettled: nothing to choose
    # against trying every count one by one, ties to more relevant records, H0 impossible (p 0)
    for k, u, N, n, r, tau in ((0, 30, 40, 35, 3, 0.95), (2, 12, 68, 50, 15, 0.8), (1, 40, 2000, 400, 25, 0.95),
                               (0, 3, 2, 2, 40, 0.95)):
        ps = [T.hypergeom_pvalue(k + j, N, n, r, tau) for j in range(u + 1)]
        assert T.worst_settlement(k, u, N, n, r, tau) == max(range(u + 1), key=lambda j: (ps[j], j))


def test_recall_bound_by_hand():
    est, bound = T.recall_bound(0, 10, 9, 9, 0.95)
    assert est == 1.0
    assert bound == pytest.approx(0.9)   # one missing record is still compatible (p = 0.19)
    # 1 relevant in a sample of 49 of the last 50: K = 2 has likelihood 2/50 against the
    # mixture's 1/6 * 49/50 + 1/12 * 2/50 (ratio 0.24, not rejected): one more relevant record may
    # be missing; the estimate is the MLE floor(1 * 51 / 49) = 1, none missing
    est, bound = T.recall_bound(1, 50, 49, 20, 0.95)
    assert est == 1.0 and bound == pytest.approx(21 / 22)
    # with 300 of the last 301 sampled, K = 2 is rejected
    est, bound = T.recall_bound(1, 301, 300, 20, 0.95)
    assert est == bound == 1.0
    est, bound = T.recall_bound(3, 1000, 300, 40, 0.95)
    assert est == pytest.approx(43 / (43 + 7))          # MLE K = floor(3 * 1001 / 300) = 10
    for k, N, n in ((0, 5, 1), (1, 3, 2), (2, 40, 39), (5, 200, 60), (1, 900, 899), (7, 7, 7)):
        est, bound = T.recall_bound(k, N, n, 10, 0.95)
        assert 0.0 <= bound <= est <= 1.0, (k, N, n, est, bound)


def _replay(rule, labels, priors=2, seed=1):
    return S.replay_rule(rule, np.asarray(labels), priors, seed)


def test_consecutive_rule_fires_after_n_irrelevant():
    labels = [1, 0] + [1, 0, 1] + [0] * 60
    out = _replay(S.Consecutive(n=50), labels)
    assert out["fired"] and out["position"] == 5 + 50
    assert out["recall"] == 1.0


def test_hypergeometric_switches_to_random_sample_and_keeps_guarantee():
    rng = np.random.default_rng(3)
    n, target, fails = 2000, 0.95, 0
    runs = 60
    for seed in range(runs):
        # a ranking that finds 40 relevant early but leaves 4 scattered in the tail
        head = [1, 0] + [1] * 36 + [0] * 300
        tail = [0] * (n - len(head) - 4) + [1] * 4
        tail = list(rng.permutation(tail))
        out = _replay(S.Hypergeometric(target, 0.95), head + tail, seed=seed)
        assert out["switch_position"] is not None and out["sample_size"] > 0
        assert out["position"] > out["switch_position"]
        fails += out["recall"] < target
    # 37/41 = 0.90 < 0.95 before sampling; stopping below target must be rare (<= 5% expected)
    assert fails / runs <= 0.1


def test_unknown_stop_rule_lists_names():
    with pytest.raises(ConfigError) as err:
        S.get_stop_rule("magic")
    assert "hypergeometric" in str(err.value) and "safe" in str(err.value)


def test_stopping_status_not_yet_then_estimate():
    records = pd.DataFrame({"record_id": [str(i) for i in range(100)],
                            "duplicate_of": [""] * 99 + ["0"]})
    labels = pd.DataFrame({"record_id": ["0", "1", "2"], "label": [1, 0, 0]})
    st = stopping_status(records, labels, None)
    assert st["pool"] == 99 and st["screened"] == 3 and st["estimated_recall"] == "not yet"
    assert "rank order" in st["recommendation"]
    ranked = pd.DataFrame({"record_id": [str(i) for i in range(60)], "label": [1] * 5 + [0] * 55,
                           "sampled": [False] * 20 + [True] * 40})
    st = stopping_status(records, ranked, None)
    # 5 found before the sample; 79 unscreened at the switch; 40 sampled, none relevant
    assert st["p_value"] == pytest.approx(_mixture_pvalue(0, 79, 40, T.min_missing_under_h0(0, 5, 0.95)))
    assert isinstance(st["recall_bound"], float)


def test_stopping_status_names_records_awaiting_a_second_reviewer():
    """Acceptance testing: once one reviewer had screened everything the status said 'Every
    record is screened: nothing left to find' while 32 records waited for the second. A
    record whose only decision is 'maybe' has no label but is not unscreened either."""
    records = pd.DataFrame({"record_id": [str(i) for i in range(12)]})
    labels = pd.DataFrame({"record_id": [str(i) for i in range(10)], "label": [1] + [0] * 9})
    st = stopping_status(records, labels, None, open_ids=["7", "8", "9", "10", "not-in-play"])
    assert st["awaiting_settlement"] == 4 and st["unscreened"] == 1       # record 11 only
    assert not st["met"]
    st = stopping_status(records, labels, None, open_ids=["7", "8", "9", "10", "11"])
    assert st["met"] and st["unscreened"] == 0
    assert "5 screened records still await a second reviewer or an adjudicator" in st["recommendation"]
    st = stopping_status(records.iloc[:10], labels, None)
    assert st["awaiting_settlement"] == 0 and "await" not in st["recommendation"]


def test_an_undecided_prior_is_neither_screened_nor_unscreened_twice():
    """Acceptance testing: rank.json counted a prior nobody had decided as screened (it is a
    training label) and as unscreened (PRISMA's count), so screened + unscreened exceeded the pool."""
    records = pd.DataFrame({"record_id": [str(i) for i in range(50)]})
    # the prior first, as labels_with_priors gives them, then the logged decisions
    labels = pd.DataFrame({"record_id": ["4", "0", "1", "2", "3"], "label": [1, 1, 0, 0, 0]})
    st = stopping_status(records, labels, None, logged_ids={"0", "1", "2", "3"})   # "4": a prior only
    assert st["screened"] == 4 and st["unscreened"] == 46 and st["priors_undecided"] == 1
    assert st["screened"] + st["unscreened"] == st["pool"]
    # known relevant (the ranker and the test use it), but not found by screening: as "screened"
    assert st["relevant_found"] == 1


def test_a_sample_that_finds_nothing_after_nothing_gives_no_recall_figure():
    """Acceptance testing: with no relevant record found at all, the status read 'estimated
    recall 100%' (0 of 0) beside a bound of 0%."""
    records = pd.DataFrame({"record_id": [str(i) for i in range(100)]})
    labels = pd.DataFrame({"record_id": [str(i) for i in range(30)], "label": [0] * 30,
                           "sampled": [False] * 20 + [True] * 10})
    st = stopping_status(records, labels, None)
    assert st["estimated_recall"] == st["recall_bound"] == "none (no relevant record found yet)"
    assert not st["met"] and "recall cannot be estimated" in st["recommendation"]
    assert "100" not in st["recommendation"]
    # a sample of 79 of the 80 left that finds nothing: H0 (one relevant record left) is rejected
    labels = pd.DataFrame({"record_id": [str(i) for i in range(99)], "label": [0] * 99,
                           "sampled": [False] * 20 + [True] * 79})
    st = stopping_status(records, labels, None)
    assert st["met"] and "unlikely any is left" in st["recommendation"] and "100.0%" not in st["recommendation"]


def test_the_advice_to_sample_says_to_settle_records_awaiting_a_second_reviewer_first():
    """Ranked records awaiting a second reviewer or an adjudicator count as unscreened in the
    test, so a sample begun before they are settled needs more records to stop (up to a
    census); the advice to switch to the sample, and to keep sampling, did not say so."""
    records = pd.DataFrame({"record_id": [str(i) for i in range(300)]})
    ranked = pd.DataFrame({"record_id": [str(i) for i in range(61)], "label": [1] + [0] * 60})
    st = stopping_status(records, ranked, None, open_ids=["58", "59", "60"])
    assert st["awaiting_settlement"] == 3 and "switch to screening a random sample" in st["recommendation"]
    assert ("Settle the 3 screened records awaiting a second reviewer or an adjudicator first"
            in st["recommendation"])
    sampling = ranked.assign(sampled=[False] * 55 + [True] * 6)
    st = stopping_status(records, sampling, None, open_ids=["40"])
    assert "Keep screening the random sample" in st["recommendation"]
    assert "Settle the 1 screened record awaiting" in st["recommendation"] and "counts it as unscreened" in st["recommendation"]
    st = stopping_status(records, ranked, None)
    assert "switch to screening" in st["recommendation"] and "Settle" not in st["recommendation"]


def test_a_bound_of_a_hundred_percent_is_said_as_a_confidence_statement():
    """Acceptance testing: 'Stop: ... recall ≥ 100.0% at 95%' with records left unscreened (one
    of them relevant) read as a certainty that nothing was missed."""
    records = pd.DataFrame({"record_id": [str(i) for i in range(300)]})
    labels = pd.DataFrame({"record_id": [str(i) for i in range(299)], "label": [1] * 20 + [0] * 279,
                           "sampled": [False] * 70 + [True] * 229})
    st = stopping_status(records, labels, None)
    assert st["met"] and st["recall_bound"] == 1.0 and st["unscreened"] == 1
    assert "at 95% confidence the sample leaves no room for a missed relevant record" in st["recommendation"]
    assert "recall ≥ 100" not in st["recommendation"]
    fewer = stopping_status(records, labels.iloc[:275], None)      # 205 of the 230 sampled
    assert fewer["met"] and fewer["recall_bound"] < 1 and f"recall ≥ {fewer['recall_bound']:.1%} at 95%" in \
        fewer["recommendation"]
