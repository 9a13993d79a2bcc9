"""Classifiers that score records for relevance, all scikit-learn estimators.

Every classifier here exposes ``fit(X, y, sample_weight)``, ``decision_function(X)`` (a
monotone relevance score used for ranking), ``predict_proba(X)`` and ``predict(X)``. Ranking
only needs the order, so a linear model's raw decision value is enough and avoids calibration
fits. They are binary (relevant or not) and pass scikit-learn's ``check_estimator`` with that
tag (tests/ml/test_classifiers.py lists the few checks a design choice fails, and why).

Input validation: ``fit`` and the public methods validate their input as scikit-learn's own
estimators do. The learner scores its own feature matrix (validated where it was built) with
:meth:`score_rows`, which skips the check: on a 100,000-record pool, checking every non-zero
for NaN on each update costs about as much as the scoring product itself.

Why linear models: with a TF-IDF matrix of 10^5 columns and a few hundred labels, linear
models are both the most accurate and the cheapest to refit; scoring the whole pool is one
sparse matrix-vector product.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import ComplementNB, MultinomialNB
from sklearn.svm import LinearSVC
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from screening.errors import ConfigError

# float32 TF-IDF stays float32 (half the memory at 100k records); anything else becomes float64
_DTYPES = (np.float64, np.float32)


class _Binary(ClassifierMixin, BaseEstimator):
    """The scikit-learn contract shared by every classifier here: validated input, labels of
    any type (``classes_``, two of them), ``predict`` from the decision value's sign."""

    positive_only = False          # naive Bayes reads counts: no negative features

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = self.positive_only
        return tags

    def _validate_fit(self, X: Any, y: Any, sample_weight: Any) -> tuple[Any, np.ndarray, np.ndarray | None]:
        """(X, y as 0/1 with 1 = ``classes_[1]``, sample weights) after scikit-learn's checks."""
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=_DTYPES)
        check_classification_targets(y)
        kind = type_of_target(y, input_name="y")
        if kind not in ("binary", "unknown") and len(np.unique(y)) > 2:
            raise ValueError(f"Only binary classification is supported (relevant or not). The type of the "
                             f"target is {kind}.")
        self.classes_, y01 = np.unique(y, return_inverse=True)
        if len(self.classes_) != 2:
            raise ValueError(f"a classifier needs labels of exactly two classes (got {len(self.classes_)} "
                             f"class{'es' if len(self.classes_) != 1 else ''}: {self.classes_.tolist()[:5]})")
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        return X, y01.astype(np.int64), sample_weight

    def decision_function(self, X: Any) -> np.ndarray:
        """Relevance scores for ``X`` (> 0 leans to ``classes_[1]``), input validated."""
        check_is_fitted(self)
        return self.score_rows(validate_data(self, X, accept_sparse="csr", dtype=_DTYPES, reset=False))

    def score_rows(self, X: Any) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict_proba(self, X: Any) -> np.ndarray:
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        d = self.decision_function(X)         # first: an unfitted model says so (NotFittedError)
        return self.classes_[(d > 0).astype(int)]


def _compact(X: Any) -> tuple[Any, np.ndarray | None]:
    """Keep only the columns used by the training rows (sparse input), with their indices.

    A linear model's weight on a feature absent from every training row is zero, so fitting on
    the used columns gives the same model while costing O(used columns) instead of
    O(vocabulary): with a 10^6-term vocabulary and 200 labels that is most of the fit time.
    """
    if not sp.issparse(X):
        return X, None
    X = X.tocsr()
    n_features = X.shape[1]
    if X.nnz * 20 < n_features:
        # Few labelled non-zeros in a huge vocabulary (200 labels at 100k records): sorting
        # them beats touching vocabulary-sized arrays, which cost more than the fit itself.
        cols, inv = np.unique(X.indices, return_inverse=True)
    else:
        # Many labels (thousands, late in a review): sorting ~10^6 indices took half of an
        # update; a used-column mask and a lookup filled only at those columns are linear.
        used = np.zeros(n_features, dtype=bool)
        used[X.indices] = True
        cols = np.flatnonzero(used)
        lookup = np.empty(n_features, dtype=X.indices.dtype)
        lookup[cols] = np.arange(len(cols), dtype=X.indices.dtype)
        inv = lookup[X.indices]
    Xc = sp.csr_matrix((X.data, inv.astype(X.indices.dtype, copy=False), X.indptr),
                       shape=(X.shape[0], len(cols)))
    return Xc, cols


class _Linear(_Binary):
    """Shared plumbing: a wrapped sklearn model with a fast sparse decision function.

    ``linear``: the decision value is ``X @ coef_ + intercept_``, so the model is fitted on
    the training rows' used columns only (:func:`_compact`) and scored with one sparse product
    (an ensemble of linear members scores them all in one pass). Subclasses that are not
    (naive Bayes) set it False and override :meth:`decision_function`.
    """

    linear = True

    def _make(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X: Any, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "_Linear":
        X, y, sample_weight = self._validate_fit(X, y, sample_weight)
        self.model_ = self._make()
        Xc, cols = _compact(X) if self.linear else (X, None)
        self.model_.fit(Xc, y, sample_weight=sample_weight)
        self.n_iter_ = int(np.max(getattr(self.model_, "n_iter_", 0)))
        if cols is not None:
            coef = np.zeros(X.shape[1], dtype=X.dtype if X.dtype in (np.float32, np.float64) else np.float64)
            coef[cols] = self.model_.coef_.ravel()
            self.coef_ = coef
        else:
            self.coef_ = np.asarray(getattr(self.model_, "coef_", np.zeros((1, 0)))).ravel()
        self.intercept_ = float(np.ravel(getattr(self.model_, "intercept_", [0.0]))[0])
        return self

    def score_rows(self, X: Any) -> np.ndarray:
        """Decision values without input validation (see the module docstring)."""
        return np.asarray(X @ self.coef_.astype(X.dtype, copy=False)).ravel() + self.intercept_


class SVM(_Linear):
    """Linear SVM (liblinear, squared hinge). ``predict_proba`` is a logistic squash of the margin."""

    name = "svm"

    def __init__(self, C: float = 0.11, loss: str = "squared_hinge", max_iter: int = 1000) -> None:
        self.C = C
        self.loss = loss
        self.max_iter = max_iter

    def _make(self) -> Any:
        return LinearSVC(C=self.C, loss=self.loss, max_iter=self.max_iter, dual=True, random_state=0)


class Logistic(_Linear):
    """L2 logistic regression, fitted by liblinear's dual coordinate descent.

    Why not a warm-started primal solver: the training set is small (the labelled rows) while
    the feature space is huge, so the dual problem (one variable per labelled row) converges
    in milliseconds; a warm-started lbfgs over 10^5 coefficients was 100× slower in our tests.
    """

    name = "logistic"

    def __init__(self, C: float = 1.0, max_iter: int = 1000) -> None:
        self.C = C
        self.max_iter = max_iter

    def _make(self) -> Any:
        # random_state fixed: liblinear shuffles its coordinates, and a ranking must be reproducible
        return LogisticRegression(C=self.C, solver="liblinear", dual=True, max_iter=self.max_iter,
                                  random_state=0)


class NaiveBayes(_Linear):
    """Multinomial naive Bayes (ASReview's classic); ``complement=True`` for Complement NB."""

    name = "nb"
    linear = False           # log-likelihood ratio, not a product with coef_
    positive_only = True

    def __init__(self, alpha: float = 3.822, complement: bool = False) -> None:
        self.alpha = alpha
        self.complement = complement

    def _make(self) -> Any:
        return ComplementNB(alpha=self.alpha) if self.complement else MultinomialNB(alpha=self.alpha)

    def score_rows(self, X: Any) -> np.ndarray:
        jll = self.model_.predict_joint_log_proba(X) if hasattr(self.model_, "predict_joint_log_proba") \
            else self.model_._joint_log_likelihood(X)
        return np.asarray(jll[:, 1] - jll[:, 0]).ravel()


def _member(text: str) -> Any:
    """Build an ensemble member from ``"name"`` or ``"name(key=value, ...)"``, as in a model spec."""
    from screening.ml.registry import build_component   # the registry imports this module

    return build_component("classifier", text)


class Ensemble(_Binary):
    """Average of the members' standardised decision values (z-scores over the scored rows).

    Standardising makes a margin and a log-odds comparable; averaging smooths the errors of
    the individual models. The default members pair ASReview's tuned linear SVM with a weakly
    regularised logistic regression. In our benchmark (11 datasets × 3 seeds) it matched the
    SVM alone on average (WSS@95 −0.001) at 2.6× the cost per update, so it is not the default.
    """

    name = "ensemble"

    def __init__(self, members: tuple[str, ...] = ("svm", "logistic(C=10)"),
                 weights: tuple[float, ...] | None = None) -> None:
        self.members = members
        self.weights = weights

    def validate(self) -> None:
        """Members that build, and one positive weight per member (checked when a spec is read)."""
        if not self.members:
            raise ValueError("an ensemble needs at least one member")
        for m in self.members:
            try:
                _member(m)
            except ConfigError as err:     # say it is a member: the spec has no 'forest' of its own
                raise ConfigError(f"ensemble member {m!r}: {err.message}", hint=err.hint) from None
        if self.weights is not None and (len(self.weights) != len(self.members)
                                         or not all(float(w) >= 0 for w in self.weights) or not sum(self.weights)):
            raise ValueError(f"weights must be {len(self.members)} numbers, one per member, not all 0; "
                             f"got {tuple(self.weights)!r}")

    def fit(self, X: Any, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "Ensemble":
        X, y, sample_weight = self._validate_fit(X, y, sample_weight)
        # built afresh on every fit, as scikit-learn's contract has it: set_params(members=...)
        # after a fit must take effect (each member's own fit starts from scratch anyway)
        self.models_ = [_member(m) for m in self.members]
        for m in self.models_:
            m.fit(X, y, sample_weight=sample_weight)
        return self

    def score_rows(self, X: Any) -> np.ndarray:
        """The members' z-scored decision values over the rows of ``X``, averaged."""
        w = self.weights or (1.0,) * len(self.models_)
        linear = [m for m in self.models_ if getattr(m, "linear", False)]
        if len(linear) == len(self.models_):
            # one pass over the sparse matrix for all members: X @ [w1 w2 ...]
            W = np.column_stack([m.coef_ for m in linear]).astype(X.dtype, copy=False)
            D = np.asarray(X @ W) + np.array([m.intercept_ for m in linear])
        else:
            D = np.column_stack([m.score_rows(X) for m in self.models_])
        sd = D.std(axis=0)
        Z = (D - D.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        return Z @ np.asarray(w, dtype=np.float64) / sum(w)


class ComplementBayes(NaiveBayes):
    """Complement naive Bayes (more robust than multinomial NB under class imbalance)."""

    name = "cnb"

    def __init__(self, alpha: float = 1.0, complement: bool = True) -> None:
        super().__init__(alpha=alpha, complement=complement)


CLASSIFIERS: dict[str, type] = {"svm": SVM, "logistic": Logistic, "nb": NaiveBayes,
                                "cnb": ComplementBayes, "ensemble": Ensemble}
