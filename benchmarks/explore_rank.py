"""Ranker variants tried against ASReview's cached runs (issue #5), re-runnable.

The ranking benchmark (``bench_rank.py``) measures our *default* model. This script measures
the variants we tried while looking for a better one, with the same datasets, seeds and priors,
against the ASReview results that ``bench_rank.py`` cached (run it first). Nothing here is
used by the product; a variant would only be merged into ``screening.ml`` if it won.

Usage (from the repo root)::

    .venv/bin/python benchmarks/explore_rank.py pivot:0.3            # one variant, all datasets
    .venv/bin/python benchmarks/explore_rank.py select-loo --half 0  # smaller half of the datasets
    .venv/bin/python benchmarks/explore_rank.py --summary            # table of everything cached
    .venv/bin/python benchmarks/explore_rank.py --heldout            # choose on one half, test on the other

Variants:

* ``plain``            – the default (word uni+bigram TF-IDF, SVM C=0.11, balance 9.8, max);
* ``pivot:G``          – TF-IDF rows scaled by (non-zeros / median non-zeros) ** -G, so short
  records (no or a short abstract) are not out-scored by long ones just for having more terms;
* ``impute:linear`` / ``impute:quantile`` – records without an abstract get a title-only
  model's score mapped onto the full model's scale (linear fit, or quantile matching, over the
  records that have an abstract);
* ``fuse-pivot``       – z-score average of the plain and the ``pivot:0.3`` rankings;
* ``select-loo``       – after each new relevant record, rank with whichever of plain /
  ``pivot:0.3`` ranks the 5 most recently found relevant records higher when each is left out;
* ``select-cv``        – the same choice made by 5-fold cross-validated AUC on the labelled records;
* ``select-cv-logistic`` – that choice between the SVM and logistic regression (C=10);
* ``meta:W``           – journal and author-name tokens appended as extra TF-IDF columns at weight W;
* ``docexp:K:A``       – document expansion: each row plus A times the mean of its K most similar
  rows (cosine), re-normalised, so short records borrow their neighbours' vocabulary;
* ``smooth:K:B``       – scores plus B times the mean score of each record's K nearest neighbours;
* ``lsa:K:W``          – the TF-IDF with W times its K-dimensional truncated SVD (LSA) appended;
* ``fuse-views``       – z-score average of the full-text model and a title-only model;
* ``aug-title:pos`` / ``aug-title:all`` – trained on the labelled records plus a title-only copy
  of each relevant (or each labelled) one, in the same vocabulary;
* ``maxsim:W``         – z-scored SVM scores plus W times the z-scored cosine similarity to the
  nearest relevant record found so far (each find keeps its own voice in the ranking);
* ``year:W``           – publication year appended as a soft one-hot (the year 1, neighbours
  0.5; l2-normalised) at weight W: the only field besides title and abstract that every
  benchmark dataset has and ASReview does not use;
* ``bag:K:F``          – mean z-score of K SVMs, each on all relevant records and a random share
  F of the irrelevant ones (redrawn at every update);
* ``tailsim:N:W``      – after N irrelevant records in a row (until the next find), the SVM's
  z-score plus W times the z-scored similarity to the nearest relevant record;
* ``tfrf:A``           – supervised term weighting: columns scaled by log2(2 + a / max(1, c)) ** A
  before each fit (a, c: labelled relevant / irrelevant records with the term), rows re-normalised;
* ``pairwise:C``       – RankSVM (C): a linear SVM without intercept on differences of sampled
  (relevant, irrelevant) pairs, optimising the ranking (AUC) rather than the class boundary;
  ``pairwise-fuse:C`` adds the default SVM's z-scored scores;
* ``stem``             – Harman's S-stemmer on every word before the TF-IDF (plural forms share a column);
* ``numtok``           – every number replaced by one token;
* ``charmix:W``        – word TF-IDF with W times a char_wb(3-5) TF-IDF appended, rows re-normalised
  (``TfidfFeatures(char_weight=W)`` in the product);
* ``fuse-char:W``      – two SVMs, one on the word TF-IDF and one on a char_wb(3-5) TF-IDF alone,
  ranked by the word model's z-score plus W times the character model's (a view ensemble
  rather than ``charmix``'s one model on the concatenated columns);
* ``chartitle:W``      – the same with the character n-grams of the title only (far fewer non-zeros);
* ``combo:W``          – the three best-mean ideas together: stemmed text, ``charmix:W`` on it, and
  ``select-loo`` between that matrix and its ``pivot:0.3`` version (do small gains add up?);
* ``bigram:W``         – bigram columns scaled by W (rows re-normalised): W<1 trusts single words more;
* ``bm25:K1:B``        – Okapi BM25 term weights (saturation K1, length normalisation B) on the
  same uni+bigram vocabulary instead of sublinear TF-IDF, rows l2-normalised;
* ``cens``             – z-score average of three SVMs, C = 0.03, 0.11 and 0.3 (each C of the
  grid lost somewhere on its own; does their average?);
* ``fuse-logistic``    – z-score average of the SVM and logistic regression (C=10) on the same features
  (each won on datasets the other lost; ``select-cv-logistic`` chose between them instead);
* ``tf:K=V,...``       – the word TF-IDF with vectoriser parameters changed (``min_df=2`` drops
  words of one record, which let the SVM memorise a find instead of weighting shared words;
  ``stop_words=english``; ``max_df=0.5``; ``binary=1``: presence instead of sublinear counts);
* ``idfpow:P``         – every column's idf raised to the power P (rows re-normalised): P>1 trusts
  rare words more, P<1 less;
* ``hardneg:T:A``      – irrelevant records with cosine similarity >= T to the nearest labelled
  relevant record weigh A times their balanced weight (near misses, often excluded for a
  reason the words do not carry, stop pushing the topic's relevant records away);
* ``ridge`` (in a spec) – regularised least squares on +-1 targets, ``spec:tfidf+ridge(alpha=A)+balanced+max``;
* ``spec:SPEC``        – any model spec of ``screening.ml`` on the default features.
* ``prf:K:W``          – pseudo-relevance feedback (Rocchio-style): after each fit, the K
  top-ranked unscreened records are added as positives at W times a labelled relevant
  record's weight and the SVM is fitted again (pseudo-*negatives* were session 2's idea);
* ``csched:N:C0``      – a regularisation schedule: SVM C=C0 while fewer than N relevant
  records are labelled (priors included), the default C=0.11 from then on (early rankings
  from one or two finds overfit them);
* ``xprior:A``         – a cross-dataset prior, leave-one-dataset-out: a logistic regression
  ("included in some systematic review") trained on the *other* benchmark datasets' labels
  (each dataset weighing the same, its classes balanced; uni+bigrams found in at least 4 of
  those datasets, records whose title or PMID is also in the target dataset dropped), its
  z-scored score on the target appended as one extra column at weight A, so the SVM learns
  how far to trust it. Trained on the benchmark's own other datasets: a product would have to
  ship such a model. Scores cached in ``benchmarks/.cache/rank/explore/xprior/``;
* ``xtail:N:W``        – that prior in the tail only: the default SVM until N irrelevant records
  in a row, then, until the next find, its z-score plus W times the prior's z-score (as
  ``tailsim``, with the cross-dataset prior in place of the similarity to a find).

Results are cached per (variant, dataset, seed) in ``benchmarks/.cache/rank/explore/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bench_rank as br  # noqa: E402
from screening.ml.features import TfidfFeatures  # noqa: E402
from screening.ml.classifiers import _Linear  # noqa: E402
from screening.ml.learner import ActiveLearner  # noqa: E402
from screening.ml.registry import register  # noqa: E402
from screening.ml.simulate import choose_priors, simulate  # noqa: E402
from screening.record_marks import without_abstract  # noqa: E402

OUT = br.CACHE / "explore"
VS_PLAIN = False          # set by --vs-plain
PIVOT = 0.3
LOGISTIC = "tfidf+logistic(C=10)+balanced+max"


class Ridge(_Linear):
    """Regularised least squares on +-1 targets (RidgeClassifier): like the squared-hinge SVM,
    but irrelevant records already far on their side of the boundary still pull on the weights
    (for ``spec:tfidf+ridge(alpha=A)+balanced+max``)."""

    name = "ridge"

    def __init__(self, alpha: float = 4.5) -> None:
        self.alpha = alpha

    def _make(self) -> Any:
        from sklearn.linear_model import RidgeClassifier

        class _Ridge(RidgeClassifier):
            def fit(self, X, y, sample_weight=None):
                super().fit(X, y, sample_weight=sample_weight)
                self.n_iter_ = self.n_iter_ if self.n_iter_ is not None else 0
                return self

        return _Ridge(alpha=self.alpha, solver="sparse_cg", tol=1e-5)


register("classifier", "ridge", Ridge)


# -- feature views ---------------------------------------------------------------------------
def pivoted(X: sp.csr_matrix, g: float) -> sp.csr_matrix:
    """Rows scaled by (nnz / median nnz) ** -g: g=0 is plain l2 TF-IDF; larger g lifts short rows."""
    nnz = np.diff(X.indptr).astype(np.float64)
    med = np.median(nnz[nnz > 0]) if (nnz > 0).any() else 1.0
    f = np.where(nnz > 0, (np.maximum(nnz, 1) / med) ** (-g), 1.0).astype(X.dtype)
    return sp.csr_matrix(sp.diags(f) @ X)


def knn_graph(X: sp.csr_matrix, k: int) -> sp.csr_matrix:
    """Row-normalised graph of each record's k most cosine-similar other records."""
    S = (X @ X.T).toarray() if sp.issparse(X) else X @ X.T
    np.fill_diagonal(S, -np.inf)
    nn = np.argpartition(-S, k, axis=1)[:, :k]
    rows = np.repeat(np.arange(X.shape[0]), k)
    return sp.csr_matrix((np.full(rows.size, 1.0 / k, dtype=np.float32), (rows, nn.ravel())),
                         shape=(X.shape[0], X.shape[0]))


def expanded(X: sp.csr_matrix, k: int, a: float) -> sp.csr_matrix:
    """Document expansion: each row plus a times the mean of its k nearest rows, l2-normalised."""
    from sklearn.preprocessing import normalize

    return normalize(sp.csr_matrix(X + a * (knn_graph(X, k) @ X))).astype(np.float32)


def lsa(X: sp.csr_matrix, k: int, w: float, seed: int = 0) -> sp.csr_matrix:
    """TF-IDF with w times its l2-normalised k-dimensional truncated SVD (LSA) appended."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.preprocessing import normalize

    Z = normalize(TruncatedSVD(min(k, X.shape[0] - 1), random_state=seed).fit_transform(X))
    return sp.hstack([X, sp.csr_matrix(w * Z)]).tocsr().astype(np.float32)


def meta_matrix(df: pd.DataFrame) -> sp.csr_matrix:
    """One token per journal and per author surname, TF-IDF weighted."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = []
    for journal, authors in zip(df.get("journal", [""] * len(df)), df.get("authors", [""] * len(df))):
        toks = ["jrnl_" + "_".join(str(journal).lower().split())] if journal else []
        toks += ["au_" + a.split(",")[0].strip().lower().replace(" ", "_")
                 for a in str(authors).split(";") if a.strip()]
        docs.append(" ".join(toks))
    try:
        return TfidfVectorizer(token_pattern=r"\S+", lowercase=False, sublinear_tf=True,
                               dtype=np.float32).fit_transform(docs).tocsr()
    except ValueError:          # no journal or author anywhere
        return sp.csr_matrix((len(df), 1), dtype=np.float32)


def year_matrix(df: pd.DataFrame) -> sp.csr_matrix:
    """Publication year as a soft one-hot: the year 1, each neighbouring year 0.5, l2-normalised."""
    from sklearn.preprocessing import normalize

    years = pd.to_numeric(df.get("year", pd.Series([""] * len(df))).astype(str).str[:4], errors="coerce")
    ok = years.notna().to_numpy()
    if not ok.any():
        return sp.csr_matrix((len(df), 1), dtype=np.float32)
    y = np.where(ok, years.fillna(0).to_numpy(), 0).astype(int)
    lo, hi = y[ok].min() - 1, y[ok].max() + 1
    rows, cols, vals = [], [], []
    for i in np.flatnonzero(ok):
        for d, v in ((-1, 0.5), (0, 1.0), (1, 0.5)):
            rows.append(i), cols.append(y[i] + d - lo), vals.append(v)
    M = sp.csr_matrix((vals, (rows, cols)), shape=(len(df), hi - lo + 1), dtype=np.float32)
    return normalize(M).astype(np.float32)


def s_stem(text: str) -> str:
    """Harman's S-stemmer on every word: plural and singular forms share one column."""
    import re

    def one(m: "re.Match[str]") -> str:
        w = m.group(0)
        if len(w) <= 3:
            return w
        if w.endswith("ies") and not w.endswith(("eies", "aies")):
            return w[:-3] + "y"
        if w.endswith("es") and not w.endswith(("aes", "ees", "oes")):
            return w[:-1]
        if w.endswith("s") and not w.endswith(("us", "ss")):
            return w[:-1]
        return w

    return re.sub(r"\w+", one, text.lower())


def bm25(df: pd.DataFrame, k1: float, b: float) -> sp.csr_matrix:
    """Okapi BM25 weights on the default uni+bigram vocabulary, rows l2-normalised."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.preprocessing import normalize

    from screening.ml.features import record_texts

    C = CountVectorizer(ngram_range=(1, 2), max_df=0.95, dtype=np.float64).fit_transform(record_texts(df)).tocsr()
    n = C.shape[0]
    dfreq = np.bincount(C.indices, minlength=C.shape[1])
    idf = np.log((n - dfreq + 0.5) / (dfreq + 0.5) + 1.0)
    length = np.asarray(C.sum(axis=1)).ravel()
    norm = k1 * (1 - b + b * length / max(length.mean(), 1.0))
    rows = np.repeat(np.arange(n), np.diff(C.indptr))
    C.data = C.data * (k1 + 1) / (C.data + norm[rows]) * idf[C.indices]
    return normalize(C).astype(np.float32)


def _idf_columns(feats: TfidfFeatures, X: sp.csr_matrix) -> np.ndarray:
    """The idf of each column of ``X`` (the product reorders the vectoriser's columns)."""
    idf = np.asarray(feats.vectorizer_.idf_, dtype=np.float64)
    rank = getattr(feats, "column_rank_", None)
    if rank is None:
        return idf
    out = np.empty(X.shape[1])
    out[rank] = idf          # column_rank_[j]: where the vectoriser's column j went
    return out


def zscore(v: np.ndarray) -> np.ndarray:
    """Scores on one scale, so members of a combined learner can be added."""
    return (v - v.mean()) / (v.std() or 1.0)


def char_mix(df: pd.DataFrame, X: sp.csr_matrix, w: float,
             fields: tuple[str, ...] | None = None) -> sp.csr_matrix:
    """Word TF-IDF with w times a char_wb(3-5) TF-IDF (of ``fields``, default all text)
    appended, rows re-normalised."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import normalize

    from screening.ml.features import record_texts

    C = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, max_df=0.95,
                        dtype=np.float32).fit_transform(record_texts(df, *([fields] if fields else []))).tocsr()
    return normalize(sp.hstack([X, w * C]).tocsr()).astype(np.float32)


# -- learners with the ActiveLearner interface that simulate() drives -------------------------
class _Combined:
    """Base for learners made of several ActiveLearners; ranks by ``self._scores``."""

    def __init__(self, views: list[tuple[sp.csr_matrix, str | None]], seed: int) -> None:
        self.learners = []
        for X, spec in views:
            learner = ActiveLearner(spec, seed=seed)
            learner.use_features(X)
            self.learners.append(learner)
        self._scores: np.ndarray | None = None

    def next_batch(self, pool: np.ndarray, k: int) -> np.ndarray:
        return np.array([int(np.argmax(np.where(pool, self._scores, -np.inf)))])

    def info(self) -> dict[str, Any]:
        return self.learners[0].info()


class Fuse(_Combined):
    """Mean of the members' z-scored decision values."""

    def update(self, idx, y):
        total = 0.0
        for learner in self.learners:
            s = np.asarray(learner.update(idx, y), dtype=np.float64)
            total = total + zscore(s)
        self._scores = total / len(self.learners)
        return self._scores


class WeightedFuse(_Combined):
    """The first member's z-scored decision values plus ``w`` times the others'."""

    def __init__(self, views, seed: int, w: float) -> None:
        super().__init__(views, seed)
        self.w = w

    def update(self, idx, y):
        scores = [zscore(np.asarray(m.update(idx, y), dtype=np.float64)) for m in self.learners]
        self._scores = scores[0] + self.w * sum(scores[1:])
        return self._scores


class Impute(_Combined):
    """Full-text model; rows without an abstract take the title-only model's score on its scale."""

    def __init__(self, views, seed: int, no_abstract: np.ndarray, how: str) -> None:
        super().__init__(views, seed)
        self.no_abstract, self.how = no_abstract, how

    def update(self, idx, y):
        full, title = (np.asarray(lr.update(idx, y), dtype=np.float64).copy() for lr in self.learners)
        has = ~self.no_abstract
        if self.no_abstract.any() and has.sum() > 10:
            if self.how == "linear":
                b, a = np.polyfit(title[has], full[has], 1)
                full[self.no_abstract] = a + b * title[self.no_abstract]
            else:
                q = np.searchsorted(np.sort(title[has]), title[self.no_abstract]) / has.sum()
                full[self.no_abstract] = np.quantile(full[has], np.clip(q, 0, 1))
        self._scores = full
        return full


class Smooth(_Combined):
    """Scores plus b times the mean score of each record's nearest neighbours (graph smoothing)."""

    def __init__(self, views, seed: int, graph: sp.csr_matrix, b: float) -> None:
        super().__init__(views, seed)
        self.graph, self.b = graph, b

    def update(self, idx, y):
        s = np.asarray(self.learners[0].update(idx, y), dtype=np.float64)
        self._scores = s + self.b * (self.graph @ s)
        return self._scores


class Augment(_Combined):
    """Trains on the labelled records plus a title-only copy of each (of the relevant ones, or
    of all): short, title-like positives teach the model the terms a title alone carries."""

    def __init__(self, X_aug: sp.csr_matrix, n: int, seed: int, which: str) -> None:
        super().__init__([(X_aug, None)], seed)
        self.n, self.which = n, which

    def update(self, idx, y):
        idx, y = np.asarray(idx), np.asarray(y)
        extra = idx if self.which == "all" else idx[y == 1]
        ey = y if self.which == "all" else np.ones(len(extra), dtype=y.dtype)
        s = self.learners[0].update(np.concatenate([idx, self.n + extra]), np.concatenate([y, ey]))
        self._scores = np.asarray(s, dtype=np.float64)[: self.n]
        return self._scores


class MaxSim(_Combined):
    """z-scored SVM scores plus w times the z-scored cosine similarity to the nearest relevant
    record found so far: each find keeps its own voice, where the SVM averages them."""

    def __init__(self, views, seed: int, w: float) -> None:
        super().__init__(views, seed)
        self.w = w

    def update(self, idx, y):
        idx, y = np.asarray(idx), np.asarray(y)
        s = np.asarray(self.learners[0].update(idx, y), dtype=np.float64)
        X = self.learners[0].X
        pos = idx[y == 1]
        sim = np.asarray((X @ X[pos].T).max(axis=1).todense()).ravel().astype(np.float64)
        z = zscore
        self._scores = z(s) + self.w * z(sim)
        return self._scores


class Bag(_Combined):
    """Mean z-score of K SVMs, each fitted on every relevant record and a random share f of the
    irrelevant ones (drawn afresh at each update): no single irrelevant record steers the
    ranking, as in bagged/undersampled TAR classifiers."""

    def __init__(self, X: sp.csr_matrix, seed: int, k: int, f: float) -> None:
        super().__init__([(X, None)] * k, seed)
        self.f, self.rng = f, np.random.default_rng(seed)

    def update(self, idx, y):
        idx, y = np.asarray(idx), np.asarray(y)
        neg = np.flatnonzero(y == 0)
        total = 0.0
        for learner in self.learners:
            keep = np.sort(np.concatenate([np.flatnonzero(y == 1),
                                           self.rng.choice(neg, max(1, int(round(self.f * len(neg)))), replace=False)]))
            s = np.asarray(learner.update(idx[keep], y[keep]), dtype=np.float64)
            total = total + zscore(s)
        self._scores = total / len(self.learners)
        return self._scores


class TailSim(_Combined):
    """The default SVM until N irrelevant records in a row; then, until the next find, its
    z-score plus w times the z-scored similarity to the nearest relevant record (outlying
    relevant records resemble one earlier find, not the average of them)."""

    def __init__(self, views, seed: int, n: int, w: float) -> None:
        super().__init__(views, seed)
        self.n, self.w = n, w

    def update(self, idx, y):
        idx, y = np.asarray(idx), np.asarray(y)
        s = np.asarray(self.learners[0].update(idx, y), dtype=np.float64)
        last = np.flatnonzero(y == 1)
        run = len(y) - 1 - last[-1] if len(last) else 0
        if run >= self.n and len(last):
            X = self.learners[0].X
            sim = np.asarray((X @ X[idx[last]].T).max(axis=1).todense()).ravel().astype(np.float64)
            z = zscore
            s = z(s) + self.w * z(sim)
        self._scores = s
        return self._scores


class TfRf(_Combined):
    """Supervised term weighting (tf-rf, Lan et al. 2009): before each fit every column is
    scaled by log2(2 + a / max(1, c)) ** A, a and c being the labelled relevant and irrelevant
    records containing the term, rows re-normalised. Scaling a column by w loosens the SVM's
    L2 penalty on it by w², so terms of the finds are freer to weigh in."""

    def __init__(self, X: sp.csr_matrix, seed: int, power: float) -> None:
        super().__init__([(X, None)], seed)
        self.X0, self.power = X, power
        self.B = X.copy()
        self.B.data[:] = 1.0

    def update(self, idx, y):
        from sklearn.preprocessing import normalize

        idx, y = np.asarray(idx), np.asarray(y)
        a = np.asarray(self.B[idx[y == 1]].sum(axis=0)).ravel()
        c = np.asarray(self.B[idx[y == 0]].sum(axis=0)).ravel()
        w = np.log2(2.0 + a / np.maximum(1.0, c)) ** self.power
        learner = self.learners[0]
        learner.use_features(normalize(self.X0 @ sp.diags(w.astype(np.float32))).astype(np.float32).tocsr())
        self._scores = np.asarray(learner.update(idx, y), dtype=np.float64)
        return self._scores


class Pairwise:
    """RankSVM: a linear SVM without intercept on differences of (relevant, irrelevant) rows,
    i.e. it maximises the pairwise ranking margin (AUC) instead of separating classes, as
    BMI/CAL's AUC-loop does. At most ``cap`` pairs, sampled with every relevant record
    equally likely, so the fit stays small; ``fuse`` adds the default SVM's z-score."""

    def __init__(self, X: sp.csr_matrix, seed: int, C: float, fuse: bool, cap: int = 2000) -> None:
        self.X, self.C, self.cap, self.fuse = X, C, cap, fuse
        self.rng = np.random.default_rng(seed)
        self.base = ActiveLearner(None, seed=seed)
        self.base.use_features(X)
        self._scores: np.ndarray | None = None

    def next_batch(self, pool: np.ndarray, k: int) -> np.ndarray:
        return np.array([int(np.argmax(np.where(pool, self._scores, -np.inf)))])

    def info(self) -> dict[str, Any]:
        return self.base.info()

    def update(self, idx, y):
        from sklearn.svm import LinearSVC

        idx, y = np.asarray(idx), np.asarray(y)
        P, N = idx[y == 1], idx[y == 0]
        if len(P) * len(N) <= self.cap:
            p, n = np.repeat(P, len(N)), np.tile(N, len(P))
        else:
            p, n = self.rng.choice(P, self.cap), self.rng.choice(N, self.cap)
        if len(p) == 1:     # one pair: show it with both signs
            p, n = np.repeat(p, 2), np.repeat(n, 2)
        sign = np.where(np.arange(len(p)) % 2 == 0, 1.0, -1.0)
        from screening.ml.classifiers import _compact

        D, cols = _compact(sp.diags(sign) @ (self.X[p] - self.X[n]))
        w = np.zeros(self.X.shape[1], dtype=np.float32)
        w[cols] = LinearSVC(C=self.C, fit_intercept=False).fit(D, sign).coef_.ravel()
        z = zscore
        s = z(np.asarray(self.X @ w).ravel().astype(np.float64))
        if self.fuse:
            s = s + z(np.asarray(self.base.update(idx, y), dtype=np.float64))
        self._scores = s
        return self._scores


class Select(_Combined):
    """Rank with one member, re-chosen whenever a new relevant record has been found."""

    def __init__(self, views, seed: int, criterion: str, recent: int = 5) -> None:
        super().__init__(views, seed)
        self.criterion, self.recent = criterion, recent
        self.current, self.n_relevant, self.choices = 0, -1, []

    def _refit(self, learner, idx, y, rows):
        clf, bal = learner.spec.build("classifier"), learner.spec.build("balance")
        clf.fit(learner.X[idx[rows]], y[rows], sample_weight=bal.compute_sample_weight(y[rows]))
        return clf

    def _loo_error(self, learner, idx, y) -> float:
        """Mean share of the pool ranked above each of the last few relevant finds, left out."""
        relevant = idx[y == 1]
        if len(relevant) < 3:
            return 0.0
        pool = np.ones(learner.X.shape[0], dtype=bool)
        pool[idx] = False
        errors = []
        for r in relevant[-self.recent:]:
            s = self._refit(learner, idx, y, idx != r).decision_function(learner.X)
            errors.append(float((s[pool] > s[r]).mean()))
        return float(np.mean(errors))

    def _cv_error(self, learner, idx, y, folds: int = 5) -> float:
        """Minus the mean held-out AUC (relevant vs irrelevant labelled records), stratified folds."""
        if y.sum() < 3:
            return 0.0
        rng = np.random.default_rng(0)
        fold = np.empty(len(y), dtype=int)
        for c in (0, 1):
            where = np.flatnonzero(y == c)
            fold[where] = rng.permutation(len(where)) % folds
        aucs = []
        for f in range(folds):
            test = fold == f
            if len(np.unique(y[~test])) < 2 or len(np.unique(y[test])) < 2:
                continue
            s = self._refit(learner, idx, y, ~test).decision_function(learner.X[idx[test]])
            pos, neg = s[y[test] == 1], s[y[test] == 0]
            aucs.append(float((pos[:, None] > neg).mean() + 0.5 * (pos[:, None] == neg).mean()))
        return -float(np.mean(aucs)) if aucs else 0.0

    def update(self, idx, y):
        idx, y = np.asarray(idx), np.asarray(y)
        scores = [np.asarray(lr.update(idx, y), dtype=np.float64) for lr in self.learners]
        if int(y.sum()) != self.n_relevant:
            self.n_relevant = int(y.sum())
            error = self._loo_error if self.criterion == "loo" else self._cv_error
            errors = [error(lr, idx, y) for lr in self.learners]
            self.current = int(np.argmin(errors)) if len(set(errors)) > 1 else 0
            self.choices.append(self.current)
        self._scores = scores[self.current]
        return self._scores


# -- variants --------------------------------------------------------------------------------
class HardNeg(_Combined):
    """The default SVM with the irrelevant records most like a find down-weighted: those whose
    cosine similarity to the nearest labelled relevant record is at least t weigh a times
    their balanced weight. Such a record was often excluded for a reason the words do not
    carry (design, population), and at full weight it pushes away the topic's relevant records."""

    def __init__(self, X: sp.csr_matrix, seed: int, t: float, a: float) -> None:
        super().__init__([(X, None)], seed)
        learner = self.learners[0]
        base, outer = learner.balancer, self

        class _Weights:
            def get_params(self, deep: bool = True) -> dict[str, Any]:
                return base.get_params(deep)

            def compute_sample_weight(self, y: np.ndarray) -> np.ndarray:
                w = np.asarray(base.compute_sample_weight(y), dtype=np.float64).copy()
                idx = outer._idx
                pos, neg = idx[y == 1], np.flatnonzero(y == 0)
                if len(pos) and len(neg):
                    sim = np.asarray((learner.X[idx[neg]] @ learner.X[pos].T).max(axis=1).todense()).ravel()
                    w[neg[sim >= t]] *= a
                return w

        learner.balancer = _Weights()
        self._idx = np.zeros(0, dtype=np.int64)

    def update(self, idx, y):
        self._idx = np.asarray(idx, dtype=np.int64)
        self._scores = np.asarray(self.learners[0].update(idx, y), dtype=np.float64)
        return self._scores


class Prf(_Combined):
    """Pseudo-relevance feedback: fit the default SVM on the labels, take the K top-ranked
    unscreened records as extra positives at W times a labelled relevant record's weight, fit
    again and rank by that. Rocchio's query expansion: the ranking leans towards the
    vocabulary of what it already ranks highest, not only of the finds."""

    def __init__(self, X: sp.csr_matrix, seed: int, k: int, w: float) -> None:
        super().__init__([(X, None)], seed)
        self.X, self.k, self.w = X, k, w

    def update(self, idx, y):
        idx, y = np.asarray(idx), np.asarray(y)
        learner = self.learners[0]
        s = np.asarray(learner.update(idx, y), dtype=np.float64)
        if learner.mode == "classifier":
            unlabelled = np.ones(len(s), dtype=bool)
            unlabelled[idx] = False
            cand = np.flatnonzero(unlabelled)
            k = min(self.k, len(cand))
            if k:
                top = cand[np.argpartition(-s[cand], k - 1)[:k]]
                bw = np.asarray(learner.balancer.compute_sample_weight(y), dtype=np.float64)
                rows = np.concatenate([idx, top])
                yy = np.concatenate([y, np.ones(k, dtype=y.dtype)])
                ww = np.concatenate([bw, np.full(k, self.w * bw[y == 1].max())])
                clf = learner.spec.build("classifier")
                clf.fit(self.X[rows], yy, sample_weight=ww)
                s = np.asarray(clf.score_rows(self.X), dtype=np.float64)
        self._scores = s
        return s


class CSchedule(_Combined):
    """SVM C=C0 while fewer than N relevant records are labelled, the default from then on."""

    def __init__(self, X: sp.csr_matrix, seed: int, n: int, c0: float) -> None:
        super().__init__([(X, f"tfidf+svm(C={c0})+balanced+max"), (X, None)], seed)
        self.n = n

    def update(self, idx, y):
        learner = self.learners[0 if int(np.sum(y)) < self.n else 1]
        self._scores = np.asarray(learner.update(idx, y), dtype=np.float64)
        return self._scores


class XTail(_Combined):
    """The default SVM until N irrelevant records in a row; then, until the next find, its
    z-score plus w times the z-scored cross-dataset prior (:func:`cross_prior`)."""

    def __init__(self, X: sp.csr_matrix, seed: int, prior: np.ndarray, n: int, w: float) -> None:
        super().__init__([(X, None)], seed)
        self.prior, self.n, self.w = zscore(np.asarray(prior, dtype=np.float64)), n, w

    def update(self, idx, y):
        y = np.asarray(y)
        s = np.asarray(self.learners[0].update(idx, y), dtype=np.float64)
        last = np.flatnonzero(y == 1)
        if len(last) and len(y) - 1 - last[-1] >= self.n:
            s = zscore(s) + self.w * self.prior
        self._scores = s
        return s


def _title_key(t: Any) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "", str(t).lower())[:120]


def cross_prior(target: str, min_datasets: int = 4, C: float = 1.0) -> np.ndarray:
    """Leave-one-dataset-out prior: a logistic regression on the other benchmark datasets'
    labels (uni+bigrams in at least ``min_datasets`` of them, each dataset weighing the same
    with its classes balanced; records whose title or PMID is in ``target`` dropped), scored
    on ``target``'s records. Cached per dataset."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    from screening.ml.features import record_texts

    cache = OUT / "xprior" / f"{target}__md{min_datasets}_C{C}.npy"
    if cache.exists():
        return np.load(cache)
    frames = {p.stem: br.load(p) for p in br.datasets()}
    tgt = frames.pop(target)
    t_titles = {_title_key(t) for t in tgt["title"]} - {""}
    t_pmids = ({str(v) for v in tgt["pmid"].dropna()} if "pmid" in tgt else set()) - {"", "nan"}
    texts, labels, weights, which = [], [], [], []
    for d, (name, df) in enumerate(frames.items()):
        keep = ~df["title"].map(_title_key).isin(t_titles).to_numpy()
        if "pmid" in df and t_pmids:
            keep &= ~df["pmid"].astype(str).isin(t_pmids).to_numpy()
        df = df[keep]
        y = df["label"].to_numpy()
        n1, n0 = max(int(y.sum()), 1), max(int((y == 0).sum()), 1)
        texts += record_texts(df)
        labels.append(y)
        weights.append(np.where(y == 1, 0.5 / n1, 0.5 / n0))
        which.append(np.full(len(df), d))
    y, w, which = np.concatenate(labels), np.concatenate(weights), np.concatenate(which)
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=5, max_df=0.5, dtype=np.float32)
    Xt = vec.fit_transform(texts).tocsr()
    # columns used in at least min_datasets datasets: generic wording, not one review's topic
    B = Xt.copy()
    B.data[:] = 1.0
    per = sp.csr_matrix((np.ones(len(which), dtype=np.float32), (which, np.arange(len(which)))),
                        shape=(which.max() + 1, len(which))) @ B
    spread = np.asarray((per > 0).sum(axis=0)).ravel()
    cols = np.flatnonzero(spread >= min_datasets)
    clf = LogisticRegression(C=C, solver="liblinear", max_iter=1000, random_state=0)
    clf.fit(Xt[:, cols], y, sample_weight=w * len(w) / w.sum())
    out = np.asarray(vec.transform(record_texts(tgt))[:, cols] @ clf.coef_.ravel()).ravel()
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, out)
    return out


def setup(variant: str, df: pd.DataFrame) -> tuple[sp.csr_matrix, Callable[[int], Any] | None]:
    """The feature matrix for ``simulate`` and, for combined learners, a factory per seed."""
    kind, _, arg = variant.partition(":")
    feats = TfidfFeatures()
    X = feats.fit_transform(df)
    if kind == "plain":
        return X, None
    if kind == "stem":
        from screening.ml.features import record_texts

        return TfidfFeatures().fit_transform([s_stem(t) for t in record_texts(df)]), None
    if kind == "numtok":        # every number one token: doses and years stop splitting the vocabulary
        import re

        from screening.ml.features import record_texts

        return TfidfFeatures().fit_transform([re.sub(r"\d+(?:[.,]\d+)?", " nnum ", t)
                                              for t in record_texts(df)]), None
    if kind == "charmix":
        return TfidfFeatures(char_weight=float(arg)).fit_transform(df), None    # as the product ships it
    if kind == "fuse-char":
        from sklearn.feature_extraction.text import TfidfVectorizer

        from screening.ml.features import record_texts

        C = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, max_df=0.95,
                            dtype=np.float32).fit_transform(record_texts(df)).tocsr()
        return X, lambda seed: WeightedFuse([(X, None), (C, None)], seed, float(arg))
    if kind == "chartitle":     # char n-grams of the title only: a fraction of the non-zeros
        return char_mix(df, X, float(arg), fields=("title",)), None
    if kind == "pivot":
        return pivoted(X, float(arg)), None
    if kind == "docexp":
        k, a = arg.split(":")
        return expanded(X, int(k), float(a)), None
    if kind == "lsa":
        k, w = arg.split(":")
        return lsa(X, int(k), float(w)), None
    if kind == "smooth":
        k, b = arg.split(":")
        graph = knn_graph(X, int(k))
        return X, lambda seed: Smooth([(X, None)], seed, graph, float(b))
    if kind == "fuse-views":
        titles = TfidfFeatures(fields=("title",)).fit_transform(df)
        return X, lambda seed: Fuse([(X, None), (titles, None)], seed)
    if kind == "aug-title":
        from sklearn.preprocessing import normalize

        T = normalize(feats.transform(df.assign(abstract="", keywords=""))).astype(np.float32)
        X_aug = sp.vstack([X, T]).tocsr()
        return X, lambda seed: Augment(X_aug, len(df), seed, arg)
    if kind == "bigram":
        from sklearn.preprocessing import normalize

        feats_b = TfidfFeatures()
        Xb = feats_b.fit_transform(df)
        is_bigram = np.char.find(feats_b.column_names().astype(str), " ") >= 0
        scale = np.where(is_bigram, float(arg), 1.0).astype(np.float32)
        return normalize(sp.csr_matrix(Xb @ sp.diags(scale))).astype(np.float32), None
    if kind == "bm25":
        k1, b = (float(v) for v in arg.split(":"))
        return bm25(df, k1, b), None
    if kind == "cens":
        views = [(X, "tfidf+svm(C=0.03)+balanced+max"), (X, None), (X, "tfidf+svm(C=0.3)+balanced+max")]
        return X, lambda seed: Fuse(views, seed)
    if kind == "fuse-logistic":
        return X, lambda seed: Fuse([(X, None), (X, LOGISTIC)], seed)
    if kind == "tf":
        from sklearn.feature_extraction.text import TfidfVectorizer

        from screening.ml.features import record_texts

        params: dict[str, Any] = {"ngram_range": (1, 2), "sublinear_tf": True, "max_df": 0.95}
        for item in arg.split(","):
            k, v = item.split("=")
            params[k] = (v if k == "stop_words" else bool(int(v)) if k in ("binary", "sublinear_tf")
                         else tuple(int(n) for n in v.split("-")) if k == "ngram_range"
                         else float(v) if "." in v else int(v))
        return TfidfVectorizer(dtype=np.float32, **params).fit_transform(record_texts(df)).tocsr(), None
    if kind == "idfpow":
        from sklearn.preprocessing import normalize

        feats_i = TfidfFeatures()
        Xi = feats_i.fit_transform(df)
        return normalize(sp.csr_matrix(Xi @ sp.diags(_idf_columns(feats_i, Xi) ** (float(arg) - 1)))
                         ).astype(np.float32), None
    if kind == "spec":      # run() passes the spec to simulate() as its model
        return X, None
    if kind == "meta":
        return sp.hstack([X, float(arg) * meta_matrix(df)]).tocsr().astype(np.float32), None
    if kind == "impute":
        titles = TfidfFeatures(fields=("title",)).fit_transform(df)
        no_abstract = without_abstract(df).to_numpy()
        return X, lambda seed: Impute([(X, None), (titles, None)], seed, no_abstract, arg)
    if kind == "year":
        return sp.hstack([X, float(arg) * year_matrix(df)]).tocsr().astype(np.float32), None
    if kind == "bag":
        k, f = arg.split(":")
        return X, lambda seed: Bag(X, seed, int(k), float(f))
    if kind == "tailsim":
        n, w = arg.split(":")
        return X, lambda seed: TailSim([(X, None)], seed, int(n), float(w))
    if kind == "tfrf":
        return X, lambda seed: TfRf(X, seed, float(arg))
    if kind == "hardneg":
        t, a = arg.split(":")
        return X, lambda seed: HardNeg(X, seed, float(t), float(a))
    if kind == "prf":
        k, w = arg.split(":")
        return X, lambda seed: Prf(X, seed, int(k), float(w))
    if kind == "csched":
        n, c0 = arg.split(":")
        return X, lambda seed: CSchedule(X, seed, int(n), float(c0))
    if kind == "xprior":
        z = zscore(cross_prior(df.attrs["dataset"]))
        return sp.hstack([X, sp.csr_matrix(float(arg) * z[:, None])]).tocsr().astype(np.float32), None
    if kind == "xtail":
        n, w = arg.split(":")
        prior = cross_prior(df.attrs["dataset"])
        return X, lambda seed: XTail(X, seed, prior, int(n), float(w))
    if kind == "maxsim":
        return X, lambda seed: MaxSim([(X, None)], seed, float(arg))
    if kind in ("pairwise", "pairwise-fuse"):
        return X, lambda seed: Pairwise(X, seed, float(arg), kind.endswith("fuse"))
    if kind == "fuse-pivot":
        return X, lambda seed: Fuse([(X, None), (pivoted(X, PIVOT), None)], seed)
    if kind == "combo":
        from screening.ml.features import record_texts

        S = TfidfFeatures(char_weight=float(arg)).fit_transform([s_stem(t) for t in record_texts(df)])
        views = [(S, None), (pivoted(S, PIVOT), None)]
        return S, lambda seed: Select(views, seed, "loo")
    if kind in ("select-loo", "select-cv"):
        views = [(X, None), (pivoted(X, PIVOT), None)]
        return X, lambda seed: Select(views, seed, kind.split("-")[1])
    if kind == "select-cv-logistic":
        return X, lambda seed: Select([(X, None), (X, LOGISTIC)], seed, "cv")
    raise SystemExit(f"unknown variant {variant!r} (see the module docstring)")


def run(variant: str, half: int | None) -> None:
    out = OUT / f"{variant.replace(':', '_')}.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["dataset"], r["seed"]) for r in map(json.loads, out.open())} if out.exists() else set()
    paths = br.datasets()[half::2] if half is not None else br.datasets()
    for path in paths:
        df = br.load(path)
        df.attrs["dataset"] = path.stem       # for variants that need to know which one (xprior)
        labels = df["label"].to_numpy()
        # without ASReview's cached runs (a fresh machine), record the variant alone and
        # compare it with the `plain` variant's rows (`--vs-plain`)
        todo = [s for s in br.SEEDS if (path.stem, s) not in done
                and (VS_PLAIN or br.cache_path("asreview", path.stem, s).exists())]
        if labels.sum() < 3 or not todo:
            continue
        X, factory = setup(variant, df)
        for seed in todo:
            inc, exc = choose_priors(labels, seed)
            t0 = time.perf_counter()
            res = simulate(df, prior_included=[df.record_id.iloc[i] for i in inc],
                           prior_excluded=[df.record_id.iloc[i] for i in exc], seed=seed,
                           stop_at_last_relevant=True, features=X,
                           learner=factory(seed) if factory is not None else None,
                           model=variant[len("spec:"):] if variant.startswith("spec:") else None)
            pos = {rid: i for i, rid in enumerate(df["record_id"])}
            ours = br.metrics_for([pos[r] for r in res.order], labels, 2)
            cached = br.cache_path("asreview", path.stem, seed)
            asr = (br.metrics_for(json.loads(cached.read_text())["order"], labels, 2)["wss95"]
                   if cached.exists() else None)
            row = {"dataset": path.stem, "seed": seed, "wss95": ours["wss95"], "asr_wss95": asr,
                   "seconds": round(time.perf_counter() - t0, 2)}
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


def _cached() -> dict[str, tuple[int, pd.DataFrame]]:
    """Per variant: number of runs, and per dataset our and ASReview's WSS@95 (mean over seeds)."""
    out = {}
    for f in sorted(OUT.glob("*.jsonl")):
        d = pd.DataFrame([json.loads(x) for x in f.open()])
        out[f.stem] = (len(d), d.groupby("dataset")[["wss95", "asr_wss95"]].mean())
    return out


def summary(cached: dict[str, tuple[int, pd.DataFrame]] | None = None) -> str:
    lines = ["| variant | datasets | runs | mean WSS@95 | ASReview | Δ | worst Δ (dataset) | best Δ (dataset) |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for variant, (runs, g) in (cached or _cached()).items():
        diff = (g["wss95"] - g["asr_wss95"]).dropna()
        if diff.empty:      # runs made without ASReview's cached orders: nothing to compare
            continue
        lines.append(f"| `{variant}` | {len(g)} | {runs} | {g['wss95'].mean():.3f} | {g['asr_wss95'].mean():.3f} "
                     f"| {diff.mean():+.3f} | {diff.min():+.3f} ({diff.idxmin()}) | {diff.max():+.3f} ({diff.idxmax()}) |")
    return "\n".join(lines)


def heldout(cached: dict[str, tuple[int, pd.DataFrame]] | None = None) -> str:
    """Choose a variant on one half of the datasets, measure it on the other (and vice versa).

    Only variants run on every dataset with the cached ASReview runs compete (the default too).
    This is how a variant would have to be chosen so as not to be tuned on the benchmark itself.
    """
    # runs made while ASReview's per-run cache was absent hold no comparison: left out, not NaN
    table = {v: (g["wss95"] - g["asr_wss95"]).dropna() for v, (_, g) in (cached or _cached()).items()}
    names = [p.stem for p in br.datasets()
             if br.cache_path("asreview", p.stem, br.SEEDS[0]).exists()]
    full = {v: d for v, d in table.items() if set(names) <= set(d.index)}
    if not full:
        return "no variant has been run on every dataset"
    lines = ["| chosen on | variant chosen | Δ there | Δ on the other half | worst Δ on the other half |",
             "|---|---|---:|---:|---|"]
    for h in (0, 1):
        pick, other = names[h::2], names[1 - h::2]
        best = max(full, key=lambda v: full[v][pick].mean())
        o = full[best][other]
        lines.append(f"| half {h} ({len(pick)} datasets) | `{best}` | {full[best][pick].mean():+.3f} "
                     f"| {o.mean():+.3f} | {o.min():+.3f} ({o.idxmin()}) |")
    return (f"{len(full)} variants run on all {len(names)} datasets compete.\n\n" + "\n".join(lines))


def _with_plain(variant: str) -> pd.DataFrame:
    """The variant's cached runs beside `plain`'s on the same (dataset, seed): ``wss95`` and
    ``wss95_plain`` (empty when either has none)."""
    def rows(name: str) -> pd.DataFrame:
        path = OUT / f"{name.replace(':', '_')}.jsonl"
        return pd.read_json(path, lines=True) if path.exists() else pd.DataFrame(columns=["dataset", "seed", "wss95"])

    return rows(variant).merge(rows("plain"), on=["dataset", "seed"], suffixes=("", "_plain"))


def vs_plain(variant: str) -> str:
    """The variant's mean WSS@95 difference from the `plain` variant on the (dataset, seed)
    runs both have: a proxy for the difference from ASReview when its runs are not cached
    (plain reproduces ASReview within 0.01 on every dataset)."""
    both = _with_plain(variant)
    if not len(both):
        return f"{variant}: no runs in common with `plain` (run both with --vs-plain)"
    per = both.assign(d=both["wss95"] - both["wss95_plain"]).groupby("dataset")["d"].mean()
    return (f"{variant} vs plain: {per.size} datasets, {len(both)} runs, mean Δ WSS@95 {per.mean():+.3f}, "
            f"worst {per.min():+.3f} ({per.idxmin()}), best {per.max():+.3f} ({per.idxmax()})")


def recorded_asreview(path: Path = HERE / "results" / "rank.md") -> dict[str, float]:
    """ASReview's per-dataset mean WSS@95 as the last full quality run recorded it (the quality
    table of ``results/rank.md``): its runs are deterministic for the same priors and version,
    so these stand for them where its per-run cache is not on this machine."""
    out: dict[str, float] = {}
    if not path.exists():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0] and not cells[0].startswith(("**", "dataset", "---")):
            try:
                out.setdefault(cells[0], float(cells[5]))
            except ValueError:
                continue
    return out


def vs_plain_table(variant: str) -> str:
    """Per dataset: the variant's mean WSS@95 over seeds, `plain`'s, and ASReview's recorded
    mean (:func:`recorded_asreview`), with the differences and their means."""
    both = _with_plain(variant)
    per = both.groupby("dataset", sort=False)[["wss95", "wss95_plain"]].mean()
    asr = recorded_asreview()
    per["asr"] = [asr.get(d, np.nan) for d in per.index]
    lines = [f"| dataset | WSS@95 `{variant}` | WSS@95 `plain` | ASReview (recorded) | Δ vs plain | Δ vs ASReview |",
             "|---|---:|---:|---:|---:|---:|"]
    for name, r in per.iterrows():
        lines.append(f"| {name} | {r.wss95:.3f} | {r.wss95_plain:.3f} | {r.asr:.3f} | "
                     f"{r.wss95 - r.wss95_plain:+.3f} | {r.wss95 - r.asr:+.3f} |")
    m = per.mean()
    d_asr = per["wss95"] - per["asr"]
    lines.append(f"| **mean ({len(per)} datasets)** | {m.wss95:.3f} | {m.wss95_plain:.3f} | {m.asr:.3f} | "
                 f"{m.wss95 - m.wss95_plain:+.3f} | {d_asr.mean():+.3f} |")
    lines += ["", f"Worst dataset vs ASReview: {d_asr.idxmin()} {d_asr.min():+.3f}; worst vs plain: "
              f"{(per.wss95 - per.wss95_plain).idxmin()} {(per.wss95 - per.wss95_plain).min():+.3f}."]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("variant", nargs="?")
    ap.add_argument("--half", type=int, choices=(0, 1), help="every other dataset by size (to run two in parallel)")
    ap.add_argument("--summary", action="store_true")
    ap.add_argument("--vs-plain", action="store_true",
                    help="run without ASReview's cached runs; compare with the `plain` variant's rows")
    ap.add_argument("--heldout", action="store_true", help="choose on one half of the datasets, test on the other")
    ap.add_argument("--table", action="store_true",
                    help="with --vs-plain: per dataset, the variant vs `plain` and ASReview's recorded means")
    args = ap.parse_args()
    global VS_PLAIN
    VS_PLAIN = args.vs_plain
    if args.variant:
        run(args.variant, args.half)
        if VS_PLAIN:
            print(vs_plain_table(args.variant) if args.table else vs_plain(args.variant))
            return
    if args.heldout:
        print(heldout())
    elif args.summary or not args.variant:
        print(summary())


if __name__ == "__main__":
    main()
