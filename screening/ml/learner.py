"""The active-learning state: features once, a classifier refitted on the labels, a ranked pool.

Cost per update is what keeps screening interactive on 100k-record reviews, so:

* the TF-IDF matrix is computed once for the whole pool (:mod:`screening.ml.features`) and
  kept as CSR; an update never touches text again;
* the classifier is fitted on the *labelled rows only* (hundreds to a few thousand) and only
  on the vocabulary columns they use (:func:`screening.ml.classifiers._compact`), so a fit
  costs milliseconds whatever the vocabulary size. liblinear's dual solver has one variable
  per labelled row; a warm-started primal solver over 10^5-10^6 weights was far slower in our
  tests, so no warm start is used;
* re-scoring the pool is one sparse matrix-vector product over all rows (no copy of the pool
  sub-matrix) on the first fit; from the second fit on, large pools are re-scored from cached
  kernel columns (:mod:`screening.ml.scoring`), a small dense product instead of a pass over
  every non-zero; choosing the next record is an ``argmax``/``argpartition``, and a full sort
  (:func:`screening.ml.query.order_desc`, one integer-key sort) happens only when a complete
  ranking is asked for.

Before labels of both classes exist no classifier can be fitted; the learner then ranks by
similarity to the included priors (mean cosine similarity, TF-IDF rows are l2-normalised), or
keeps file order when there are none, and says so in :meth:`ActiveLearner.info`.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from screening.config import plain
from screening.errors import ConfigError, InputError
from screening.ml.query import MaxQuery
from screening.ml.registry import ModelSpec, parse_spec

if TYPE_CHECKING:
    from screening.ml.feature_cache import FeatureCache


class ActiveLearner:
    """One review's ranking model. Call :meth:`fit_features` once, then :meth:`update` per batch."""

    def __init__(self, spec: str | ModelSpec | None = None, seed: int = 0) -> None:
        self.spec = spec if isinstance(spec, ModelSpec) else parse_spec(spec)
        self.seed = check_seed(seed)
        self.features = self.spec.build("features")
        self.classifier = self.spec.build("classifier")
        self.balancer = self.spec.build("balance")
        self.querier = self.spec.build("query")
        self.rng = np.random.default_rng(self.seed)
        self.X: sp.csr_matrix | None = None
        self._has_text = np.zeros(0, dtype=bool)
        self.n_train = 0
        self.n_train_included = 0
        self.n_train_textless = 0     # labelled rows without any feature, left out of the fit
        self.training_set = ""        # digest of the labelled (record, label) pairs: see info()
        self.ids: np.ndarray | None = None      # record id of each feature row, when known
        self.mode = "unfitted"
        self._scores: np.ndarray | None = None
        # records handed out by next_batch (or screened before, see update): where a
        # positional query strategy ('mixed') stands in its cycle
        self.served = 0
        self._refitting = False       # fitted before: an iterative session (kernel scoring pays)
        self._kernel: Any = None

    # -- features ---------------------------------------------------------------------------
    def fit_features(self, records: pd.DataFrame | Sequence[str], cache: FeatureCache | None = None) -> sp.csr_matrix:
        """Vectorise the whole pool once (vocabulary + IDF from every record, no labels).

        ``cache``: where a matrix built for the same texts and extractor settings is read
        from (and this one is kept), instead of fitting again (:mod:`screening.ml.feature_cache`).
        The extractor is then not fitted: nothing after this call uses it."""
        ids = records["record_id"] if isinstance(records, pd.DataFrame) and "record_id" in records else None
        # an extractor that does not say which texts it reads cannot be keyed safely: fitted
        texts_of = getattr(self.features, "texts", None)
        if cache is None or texts_of is None:
            return self.use_features(self.features.fit_transform(records), ids=ids)
        # kept in record-id order: a session lists the records in play by rank, the rank stage
        # by table order, and a TF-IDF matrix of the same records in another order is the same
        # rows permuted (vocabulary, document frequencies and column order do not depend on it)
        perm = (np.argsort(np.asarray([str(i) for i in ids], dtype=object), kind="stable") if ids is not None
                else np.arange(len(records)))
        texts = texts_of(records)
        ordered = [texts[i] for i in perm]
        key = cache.key(self.features, ordered)
        X = cache.load(key, len(texts))
        if X is None:
            X = self.features.fit_transform(ordered)        # the texts, not read from the records again
            cache.save(key, X)
        back = np.empty_like(perm)
        back[perm] = np.arange(len(perm))
        return self.use_features(X[back] if (perm != np.arange(len(perm))).any() else X, ids=ids)

    def use_features(self, X: sp.csr_matrix, ids: Sequence[str] | None = None) -> sp.csr_matrix:
        """Rank over a feature matrix computed elsewhere (e.g. one TF-IDF fit shared by many
        simulations); caches that belong to the previous matrix are dropped. ``ids``: each
        row's record id, which the ranking's ``training_set`` digest names."""
        self.X = X
        self._has_text = np.asarray(X.getnnz(axis=1)) > 0      # once per matrix, not per update
        self.ids = None if ids is None else np.asarray([str(i) for i in ids], dtype=object)
        self._kernel, self._refitting = None, False
        return X

    # -- learning ---------------------------------------------------------------------------
    def update(self, idx: Sequence[int] | np.ndarray, y: Sequence[int] | np.ndarray) -> np.ndarray:
        """Learn from the labelled rows ``idx`` (labels ``y``) and return scores for all rows.

        With only one class labelled, scores are the mean cosine similarity to the included
        labelled rows (or all zero, i.e. file order, without any inclusion). Labelled rows
        without any feature are counted (``training_size``, ``training_textless``) but not
        learnt from.
        """
        if self.X is None:
            raise RuntimeError("call fit_features first")
        idx = np.asarray(idx, dtype=np.int64)
        y = np.asarray(y, dtype=np.int64)
        self.n_train, self.n_train_included = len(idx), int(y.sum())
        self.training_set = _training_digest(idx, y, self.ids)
        self.served = max(self.served, len(idx))      # a review resumed: its screened records count
        # A labelled record without a single feature (no title, abstract or keywords) tells a
        # text model nothing, yet fitted it would teach the SVM that an empty row is relevant:
        # with the class weights an included one shifts the intercept until every short or
        # abstract-less record outranks the topic's (acceptance testing: one textless include
        # put 72 irrelevant records in a row at the top). Such rows are left out of the fit.
        has_text = self._has_text[idx]
        self.n_train_textless = int((~has_text).sum())
        idx, y = idx[has_text], y[has_text]
        if len(np.unique(y)) == 2:
            Xt = self.X[idx]
            w = self.balancer.compute_sample_weight(y)
            self.classifier.fit(Xt, y, sample_weight=w)
            self._scores = self._score_pool(idx)
            self._refitting = True
            self.mode = "classifier"
        elif y.sum():
            centroid = np.asarray(self.X[idx[y == 1]].mean(axis=0)).ravel()
            self._scores = np.asarray(self.X @ centroid).ravel()
            self.mode = "prior-similarity"
        else:
            self._scores = np.zeros(self.X.shape[0])
            self.mode = "file-order"
        return self._scores

    def _score_pool(self, idx: np.ndarray) -> np.ndarray:
        """Decision values of the fitted classifier for every row of the pool.

        From the second fit on (an iterative session: simulation, screening loop), a linear
        liblinear model is scored from cached kernel columns (:mod:`screening.ml.scoring`)
        while that is cheaper; a one-shot ranking, other models and large label sets use the
        direct sparse product.
        """
        from screening.ml.scoring import KernelScorer

        clf = self.classifier
        if self._refitting and getattr(clf, "linear", False):
            if self._kernel is None:
                self._kernel = KernelScorer(self.X)
            if self._kernel.cheaper(idx):
                s = self._kernel.score(idx, clf.coef_, clf.intercept_)
                if s is not None:
                    return s
            else:
                self._kernel.drop()
        # our own matrix, checked where it was built: skip re-validating every non-zero per update
        return clf.score_rows(self.X) if hasattr(clf, "score_rows") else clf.decision_function(self.X)

    @property
    def scores(self) -> np.ndarray:
        if self._scores is None:
            raise RuntimeError("call update first")
        return self._scores

    def rank(self, pool_mask: np.ndarray | None = None) -> np.ndarray:
        """Row indices of the pool (``pool_mask`` True) in screening order, best first."""
        s = self.scores
        pool = np.arange(len(s)) if pool_mask is None else np.flatnonzero(pool_mask)
        # before a classifier exists the scores are similarities to the included records (or
        # zeros), with no decision boundary: 'uncertainty' or 'mixed' would serve the least
        # similar records first, so the most similar come first until both classes are labelled
        querier = self.querier if self.mode == "classifier" or not getattr(self.querier, "needs_boundary", False) \
            else MaxQuery()
        # offset: records served so far (where 'mixed' stands in its cycle; the others ignore it)
        return pool[querier.query(s[pool], rng=self.rng, offset=self.served)]

    def next_batch(self, pool_mask: np.ndarray, k: int) -> np.ndarray:
        """The ``k`` best pool rows (cheap: argpartition instead of a full sort for max query)."""
        from screening.ml.query import MaxQuery

        if not isinstance(self.querier, MaxQuery):
            out = self.rank(pool_mask)[:k]
            self.served += len(out)
            return out
        s = np.where(pool_mask, self.scores, -np.inf)
        if k == 1:   # the common case (one record at a time): no count of the pool needed
            best = int(np.argmax(s))
            return np.array([best]) if pool_mask[best] else np.array([], dtype=np.int64)
        k = min(k, int(pool_mask.sum()))
        part = np.argpartition(-s, k - 1)[:k]
        # stable order: by score desc, then index
        return part[np.lexsort((part, -s[part]))]

    # -- audit ------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """Components, parameters, training-set size, seed, and a model_id hashing all of them.

        ``training_set`` digests which records were labelled and how (by record id when the
        features came with ids, else by row): two rankings trained on the same number of
        different records got one id, so a decision's ``ranking_id`` could not tell them apart
        (acceptance testing, session 15)."""
        data = {
            "spec": self.spec.text,
            "components": {k: getattr(self.spec, k)[0] for k in ("features", "classifier", "balance", "query")},
            "parameters": {
                "features": plain(self.features.get_params()),
                "classifier": plain(self.classifier.get_params()),
                "balance": plain(self.balancer.get_params()),
                "query": plain(self.querier.get_params()),
            },
            "training_size": self.n_train,
            "training_included": self.n_train_included,
            "training_textless": self.n_train_textless,
            "training_set": self.training_set,
            "seed": self.seed,
            "mode": self.mode,
        }
        data["model_id"] = model_id(data)
        return data


def check_seed(seed: Any, error: type[ConfigError] | type[InputError] = ConfigError,
               hint: str = "e.g. seed = 1") -> int:
    """``seed`` as an int, or ``error``: numpy's generators refuse a negative seed with a traceback."""
    if isinstance(seed, bool) or not isinstance(seed, (int, float, np.integer)) or not float(seed).is_integer() \
            or seed < 0:
        raise error(f"the seed must be a whole number from 0 up, got {seed!r}", hint=hint)
    return int(seed)


def _training_digest(idx: np.ndarray, y: np.ndarray, ids: np.ndarray | None) -> str:
    """A short digest of the labelled set, the same whatever order the labels came in."""
    keys = [str(i) for i in (ids[idx] if ids is not None else idx)]
    pairs = sorted(zip(keys, (int(v) for v in y)))
    return hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:16]


# a ranking that is not a trained classifier's says so in its id, which every decision records
# (``ranking_id``): the methods paragraph can then tell screening in a relevance ranking's
# order from screening in file order without the model's full description
_MODE_PREFIX = {"classifier": "ranker-", "file-order": "file-order-", "prior-similarity": "similarity-"}


def model_id(info: dict[str, Any]) -> str:
    """Short stable hash of a model description (everything but the id itself), prefixed by
    the kind of ranking: 'ranker-' (a trained classifier), 'file-order-', 'similarity-'."""
    body = {k: v for k, v in info.items() if k != "model_id"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return _MODE_PREFIX.get(str(info.get("mode", "")), "") + digest
