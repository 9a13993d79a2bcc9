"""Inter-rater agreement for a reviewer pair: counts table, percent agreement, Cohen's kappa
with a 95% CI, and PABAK.

Why these: Cochrane and PRISMA ask reviews to report how consistently two people screened.
Kappa corrects percent agreement for chance; PABAK (prevalence- and bias-adjusted kappa,
Byrt, Bishop & Carlin 1993) shows how much of a low kappa is due to the very low prevalence
of includes typical of screening.

Standard error: the large-sample *non-null* SE of Fleiss, Cohen & Everitt (1969), the one
to use for a confidence interval (the null SE is only for testing kappa = 0)::

    SE^2 = [ sum_i p_ii (1 - (p_i. + p_.i)(1 - k))^2
             + (1 - k)^2 sum_{i != j} p_ij (p_.i + p_j.)^2
             - (k - p_e (1 - k))^2 ] / (n (1 - p_e)^2)

CI = kappa ± 1.959964 SE (Wald), cut to kappa's range [-1, 1] (with few records and high
agreement the Wald interval would otherwise run past 1, a value kappa cannot take). Only records
both reviewers decided (standing include / exclude / maybe / not_retrieved) count; 'maybe' and,
at full text, 'not_retrieved' become categories of their own when either reviewer used them
(one reviewer's 'not retrieved' against the other's 'include' is a disagreement like any other).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from screening.decisions.entries import standing_decisions

Z95 = 1.959963984540054
CATEGORIES = ("include", "exclude", "maybe", "not_retrieved")


@dataclass(frozen=True)
class Agreement:
    n: int
    percent_agreement: float     # 0..100
    p_expected: float
    kappa: float                 # nan when undefined (chance agreement = 1)
    se: float
    ci_low: float
    ci_high: float
    pabak: float

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def kappa_stats(table: np.ndarray | list[list[int]]) -> Agreement:
    """Agreement statistics of a square counts table (rows: rater A, columns: rater B)."""
    t = np.asarray(table, dtype=float)
    k = t.shape[0]
    n = float(t.sum())
    nan = float("nan")
    if n == 0:
        return Agreement(0, nan, nan, nan, nan, nan, nan, nan)
    p = t / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    po = float(np.trace(p))
    pe = float((row * col).sum())
    pabak = (k * po - 1) / (k - 1)
    if math.isclose(pe, 1.0):
        return Agreement(int(n), 100 * po, pe, nan, nan, nan, nan, pabak)
    kappa = (po - pe) / (1 - pe)
    a = sum(p[i, i] * (1 - (row[i] + col[i]) * (1 - kappa)) ** 2 for i in range(k))
    b = (1 - kappa) ** 2 * sum(p[i, j] * (col[i] + row[j]) ** 2
                              for i in range(k) for j in range(k) if i != j)
    c = (kappa - pe * (1 - kappa)) ** 2
    var = max(a + b - c, 0.0) / (n * (1 - pe) ** 2)
    se = math.sqrt(var)
    if n < 2 or (se == 0.0 and not math.isclose(kappa, 1.0)):
        # the large-sample SE says nothing here: one record, or a table the formula sends to a
        # zero variance while kappa is not 1; a CI of '0.000 to 0.000' would read as certainty
        return Agreement(int(n), 100 * po, pe, kappa, nan, nan, nan, pabak)
    return Agreement(int(n), 100 * po, pe, kappa, se, max(-1.0, kappa - Z95 * se), min(1.0, kappa + Z95 * se),
                     pabak)


@dataclass(frozen=True)
class PairAgreement:
    stage: str
    reviewer_a: str
    reviewer_b: str
    categories: tuple[str, ...]
    counts: pd.DataFrame          # index: A's decision, columns: B's decision
    stats: Agreement


def pair_table(entries: pd.DataFrame, stage: str, a: str, b: str,
               standing: dict | None = None) -> tuple[tuple[str, ...], pd.DataFrame]:
    """The counts table of reviewers ``a`` (rows) and ``b`` (columns) at ``stage``."""
    standing = standing_decisions(entries, stage) if standing is None else standing
    pairs = []
    for by in standing.values():
        da, db = _blind(by, a), _blind(by, b)
        if da and db and da.decision in CATEGORIES and db.decision in CATEGORIES:
            pairs.append((da.decision, db.decision))
    used = {x for pair in pairs for x in pair}
    cats = ("include", "exclude") + tuple(c for c in CATEGORIES[2:] if c in used)
    tally = Counter(pairs)
    counts = pd.DataFrame([[tally.get((x, y), 0) for y in cats] for x in cats],
                          index=list(cats), columns=list(cats), dtype="int64")
    return cats, counts


def _blind(by: dict, reviewer: str) -> Any:
    """``reviewer``'s standing screening decision on a record, unless they made it after
    adjudicating that record themselves: it was not blind, so it does not count towards
    agreement (such a decision is refused now; logs from before 0.13 may hold one)."""
    decision = by.get((reviewer, "screener"))
    adjudicated = by.get((reviewer, "adjudicator"))
    if decision is not None and adjudicated is not None and adjudicated.event_id < decision.event_id:
        return None
    return decision


def agreement_report(entries: pd.DataFrame) -> list[PairAgreement]:
    """Every stage x reviewer pair with at least one record both decided."""
    out = []
    for stage in ("title_abstract", "full_text"):
        standing = standing_decisions(entries, stage)
        reviewers = sorted({rev for by in standing.values() for rev, role in by if role == "screener"})
        for a, b in combinations(reviewers, 2):
            cats, counts = pair_table(entries, stage, a, b, standing)
            if int(counts.to_numpy().sum()) == 0:
                continue
            out.append(PairAgreement(stage, a, b, cats, counts, kappa_stats(counts.to_numpy())))
    return out
