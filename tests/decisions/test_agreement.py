"""Agreement statistics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from screening.decisions.agreement import kappa_stats


def test_textbook_2x2_by_hand() -> None:
    # 50 records; A includes 25, B includes 30; both include 20, both exclude 15.
    #   p11=.4 p12=.1 p21=.2 p22=.3; A: .5/.5, B: .6/.4
    #   po = .7; pe = .5*.6 + .5*.4 = .5; kappa = (.7-.5)/(1-.5) = .4
    # Fleiss, Cohen & Everitt (1969) SE:
    #   A = .4*(1-(.5+.6)*.6)^2 + .3*(1-(.5+.4)*.6)^2 = .04624 + .06348 = .10972
    #   B = .6^2 * (.1*(.6+.5)^2 + .2*(.4+.5)^2) = .36 * (.121 + .162) = .10188
    #   C = (.4 - .5*.6)^2 = .01
    #   SE^2 = (A + B - C) / (50 * .25) = .2016 / 12.5 = .016128 -> SE = .126996
    #   95% CI = .4 ± 1.959964*.126996 = (.151094, .648906); PABAK = 2*.7 - 1 = .4
    s = kappa_stats([[20, 5], [10, 15]])
    assert s.n == 50
    assert s.percent_agreement == pytest.approx(70.0)
    assert s.p_expected == pytest.approx(0.5)
    assert s.kappa == pytest.approx(0.4)
    assert s.se == pytest.approx(math.sqrt(0.016128), abs=1e-9)
    assert (s.ci_low, s.ci_high) == (pytest.approx(0.151094, abs=1e-5), pytest.approx(0.648906, abs=1e-5))
    assert s.pabak == pytest.approx(0.4)


def test_3x3_with_maybe_by_hand() -> None:
    # po = 40/50 = .8; rows .26/.5/.24, cols .28/.46/.26
    # pe = .0728 + .23 + .0624 = .3652; kappa = .4348/.6348; PABAK = (3*.8-1)/2 = .7
    s = kappa_stats([[10, 2, 1], [3, 20, 2], [1, 1, 10]])
    assert s.kappa == pytest.approx(0.4348 / 0.6348)
    assert s.pabak == pytest.approx(0.7)
    assert s.ci_low < s.kappa < s.ci_high


def test_kappa_matches_sklearn_on_paired_labels() -> None:
    rng = np.random.default_rng(7)
    a = rng.choice(["include", "exclude", "maybe"], size=300, p=[0.2, 0.7, 0.1])
    b = np.where(rng.random(300) < 0.8, a, rng.choice(["include", "exclude", "maybe"], size=300))
    cats = ["include", "exclude", "maybe"]
    table = [[int(((a == x) & (b == y)).sum()) for y in cats] for x in cats]
    assert kappa_stats(table).kappa == pytest.approx(cohen_kappa_score(a, b))


def test_undefined_kappa_when_everyone_excludes() -> None:
    s = kappa_stats([[0, 0], [0, 12]])
    assert math.isnan(s.kappa) and s.percent_agreement == 100.0 and s.pabak == 1.0
    assert kappa_stats([[0, 0], [0, 0]]).n == 0


def test_confidence_interval_stays_within_kappas_range() -> None:
    """Acceptance testing printed 'kappa=0.839 (95% CI 0.666 to 1.011)'; kappa cannot exceed 1."""
    a = kappa_stats([[6, 1], [0, 12]])
    assert a.kappa + 1.959964 * a.se > 1                      # the Wald interval would pass 1
    assert a.ci_high == 1.0 and a.ci_low == pytest.approx(a.kappa - 1.959964 * a.se)


def test_one_record_gives_no_confidence_interval():
    from screening.decisions.agreement import kappa_stats

    one = kappa_stats([[0, 1], [0, 0]])                  # one record, the two disagree
    assert one.n == 1 and one.kappa == 0.0
    assert one.se != one.se and one.ci_low != one.ci_low   # NaN, not a 0.000-0.000 interval


def test_agreement_says_why_there_is_no_interval(review, in_play, cli) -> None:
    """Acceptance testing: `agreement` said 'no CI: too few records' at n = 59, where one
    reviewer never included anything (the large-sample variance is 0 while kappa is 0)."""
    from screening.decisions import api

    for i, rid in enumerate(in_play[:4]):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include" if i < 2 else "exclude")
        api.record_decision(review, reviewer="bob", record_id=rid, action="exclude")
    code, out = cli("agreement", review, "--as-adjudicator")
    flat = " ".join(out.split())
    assert code == 0 and "n=4" in flat and "kappa=0.000" in flat
    assert "no CI: the standard error is degenerate here" in flat and "too few records" not in flat
