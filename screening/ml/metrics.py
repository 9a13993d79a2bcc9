"""Recall-curve metrics for a screening order, with ASReview's definitions.

Why ASReview's: teams compare tools on these numbers, so ours must mean the same thing.
The definitions follow asreview-insights (``algorithms.py`` / ``metrics.py``) and
``asreview.metrics.loss``, re-implemented here:

* every metric takes ``labels``: the 0/1 labels in screening order **with the prior records
  removed** (``priors=False`` in insights), padded with 0 up to ``N - n_priors`` when a
  simulation stopped early (the padding is only ever irrelevant records);
* **recall at x** (RRF@10 = recall at x = 0.10): share of relevant records found after
  screening the first ``floor(x * N)`` records (``N`` = len(labels));
* **WSS at r**: ``(i_random(k) - i_model(k)) / N`` where ``k`` is the k-th relevant record
  with ``k / n_rel`` the last recall level ≤ r, ``i_model(k)`` the (0-based) position at which
  the ranking finds it, and ``i_random(k)`` the position where a random order would, given by
  the rounded straight line ``round(linspace(0, n_rel, N))``;
* **ATD** (average time to discovery): mean 1-based position of the relevant records;
* **loss** (ASReview 2.x ``metrics.loss``): normalised area between the recall curve and the
  perfect one: 0 = perfect ranking, 1 = all relevant records last.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np


def _arr(labels: Sequence[int] | np.ndarray) -> np.ndarray:
    a = np.asarray(labels, dtype=np.int64)
    if a.ndim != 1:
        raise ValueError("labels must be a 1-D sequence of 0/1")
    return a


def padded_labels(order: Sequence[int], labels: Sequence[int] | np.ndarray, n_priors: int) -> np.ndarray:
    """Labels in ``order`` (row indices) without the first ``n_priors``, 0-padded to N - n_priors."""
    lab = np.asarray(labels, dtype=np.int64)
    seq = lab[np.asarray(order[n_priors:], dtype=np.int64)]
    out = np.zeros(len(lab) - n_priors, dtype=np.int64)
    out[: len(seq)] = seq
    return out


def _slice(x: np.ndarray, y: np.ndarray, at: float) -> float:
    """Value of y at the last x ≤ ``at`` (insights' ``_slice_metric``)."""
    i = int(np.searchsorted(x, at, side="right"))
    return float(y[max(i - 1, 0)])


def recall_at(labels: Sequence[int], fraction: float) -> float:
    """Share of the relevant records found after screening ``fraction`` of the records."""
    a = _arr(labels)
    n, n_rel = len(a), int(a.sum())
    if n_rel == 0:
        raise ValueError("recall needs at least one relevant record")
    x = np.arange(1, n + 1) / n
    if fraction < x[0]:
        return 0.0
    return _slice(x, np.cumsum(a) / n_rel, fraction)


def rrf(labels: Sequence[int], fraction: float = 0.10) -> float:
    """Relevant records found after screening ``fraction`` (RRF@10 = ``rrf(labels, 0.10)``)."""
    return recall_at(labels, fraction)


def wss(labels: Sequence[int], recall: float = 0.95) -> float:
    """Work saved over sampling at a recall level (insights' definition)."""
    a = _arr(labels)
    n, n_rel = len(a), int(a.sum())
    if n_rel == 0:
        raise ValueError("WSS needs at least one relevant record")
    found = np.cumsum(a)
    found_random = np.round(np.linspace(0, n_rel, n))
    ks = np.arange(1, n_rel + 1)
    when = np.searchsorted(found, ks)
    when_random = np.searchsorted(found_random, ks)
    y = (when_random - when) / n
    return _slice(ks / n_rel, y, recall)


def time_to_discovery(labels: Sequence[int]) -> np.ndarray:
    """1-based positions at which each relevant record was screened."""
    a = _arr(labels)
    return np.flatnonzero(a == 1) + 1


def atd(labels: Sequence[int]) -> float:
    """Average time to discovery: mean 1-based position of the relevant records."""
    td = time_to_discovery(labels)
    if len(td) == 0:
        raise ValueError("ATD needs at least one relevant record")
    return float(td.mean())


def loss(labels: Sequence[int]) -> float:
    """ASReview's normalised loss: 0 for a perfect order, 1 for the worst one."""
    a = _arr(labels)
    ny, nx = int(a.sum()), len(a)
    if ny == 0 or ny == nx:
        raise ValueError("loss needs both relevant and irrelevant records")
    return float((ny * (nx - (ny - 1) / 2) - np.cumsum(a).sum()) / (ny * (nx - ny)))


def records_to_recall(labels: Sequence[int], recall: float) -> int:
    """Number of records screened (priors excluded) until ``ceil(recall * n_rel)`` are found."""
    a = _arr(labels)
    n_rel = int(a.sum())
    if n_rel == 0:
        return 0
    return int(np.searchsorted(np.cumsum(a), recall_need(n_rel, recall)) + 1)


def wss_level(n_relevant: int, recall: float) -> int:
    """How many relevant records WSS at ``recall`` is measured at: the last level ≤ ``recall``
    (insights' convention), e.g. 18 of 19 for WSS@95, since 19/19 is above 95 %."""
    ks = np.arange(1, n_relevant + 1)
    return int(_slice(ks / n_relevant, ks, recall))      # the same pick as wss()


def recall_need(n_relevant: int, recall: float) -> int:
    """How many relevant records reach *at least* ``recall``: 19 of 19 for 95 %."""
    return int(np.ceil(recall * n_relevant - 1e-9))


def undefined_reason(n_relevant: int, prior_relevant: int) -> str:
    """Why a run has no recall-curve metrics ('' when it has them): every metric is over the
    relevant records outside the priors (insights' ``priors=False``), so with none there is no
    recall to measure, not a recall of 0 or 1."""
    if n_relevant == 0:
        return "the dataset has no relevant record, so recall, and WSS, RRF, ATD and loss with it, are undefined"
    if n_relevant == prior_relevant:
        given = "records are all given as priors" if n_relevant != 1 else "record is given as a prior"
        return (f"no relevant record outside the priors (the dataset's {n_relevant} relevant {given}, and the "
                "metrics leave the priors out), so the recall curve, and WSS, RRF, ATD and loss with it, are undefined; give fewer "
                "--prior-included records, or use a dataset with more relevant records")
    return ""


def summary(labels: Sequence[int]) -> dict[str, float]:
    """All headline figures for one screening order (priors removed, padded).

    WSS follows insights (the last recall level ≤ r) while ``records_to_95`` counts the
    records read to reach at least 95 %; with few relevant records these are different
    records, so ``wss95_at`` / ``records_to_95_found`` say which (a printout showing both
    numbers without them looked contradictory).
    """
    a = _arr(labels)
    n_rel = int(a.sum())
    out: dict[str, float] = {"records": float(len(a)), "relevant": float(n_rel)}
    if n_rel == 0:
        return out
    out.update({
        "wss95": wss(a, 0.95), "wss100": wss(a, 1.0), "rrf10": rrf(a, 0.10), "atd": atd(a),
        "wss95_at": float(wss_level(n_rel, 0.95)),
        "records_to_95": float(records_to_recall(a, 0.95)),
        "records_to_95_found": float(recall_need(n_rel, 0.95)),
        "records_to_100": float(records_to_recall(a, 1.0)),
    })
    if a.sum() < len(a):
        out["loss"] = loss(a)
    return out
