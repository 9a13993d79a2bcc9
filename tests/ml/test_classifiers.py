"""The linear classifiers fit on the labelled rows' used columns only (``_compact``)."""

import numpy as np
import scipy.sparse as sp
import pytest

from screening.errors import ConfigError
from screening.ml.classifiers import SVM, _compact


def _sparse(rows: int, cols: int, density: float, seed: int) -> sp.csr_matrix:
    return sp.random(rows, cols, density=density, format="csr", dtype=np.float32, random_state=seed)


@pytest.mark.parametrize("rows, cols, density", [
    (5, 100_000, 0.0001),   # few non-zeros in a huge vocabulary: the sorting branch
    (400, 2_000, 0.05),     # many labelled non-zeros: the used-column mask branch
])
def test_compact_keeps_exactly_the_used_columns(rows, cols, density):
    X = _sparse(rows, cols, density, seed=3)
    Xc, used = _compact(X)
    assert np.array_equal(used, np.unique(X.indices))
    assert Xc.shape == (rows, len(used))
    assert (Xc != X[:, used]).nnz == 0             # same values, same rows, columns renumbered


def test_both_compaction_branches_give_the_same_model():
    X = _sparse(300, 3_000, 0.02, seed=5)
    y = (np.arange(300) % 7 == 0).astype(int)
    dense_branch = SVM().fit(X, y)                   # nnz * 20 >= 3,000 columns: mask branch
    wide = sp.hstack([X, sp.csr_matrix((300, X.nnz * 20))]).tocsr()   # same rows, huge vocabulary
    sparse_branch = SVM().fit(wide, y)
    assert np.allclose(dense_branch.decision_function(X), sparse_branch.decision_function(wide), atol=1e-6)
    assert not np.any(sparse_branch.coef_[3_000:])  # unused columns get no weight


def test_the_model_id_tells_apart_rankings_trained_on_different_records():
    """Acceptance testing (session 15): one id for two training sets of the same size."""
    from screening.ml.learner import ActiveLearner

    texts = ["aspirin stroke trial", "aspirin heart trial", "rat liver enzyme", "mouse kidney enzyme",
             "stroke prevention aspirin", "enzyme kinetics rat"]
    ids = []
    for rows, labels in (([0, 2], [1, 0]), ([1, 3], [1, 0]), ([2, 0], [0, 1])):
        learner = ActiveLearner(seed=1)
        learner.fit_features(texts)
        learner.update(rows, labels)
        info = learner.info()
        assert info["training_size"] == 2
        ids.append(info["model_id"])
    assert ids[0] != ids[1] and ids[0] == ids[2]            # the same records in another order: the same
    # by record id, not row: the same rows of a table in another order are other records
    import pandas as pd

    table = pd.DataFrame({"record_id": [f"r{i}" for i in range(6)], "title": texts, "abstract": ""})
    named = []
    for frame in (table, table.iloc[::-1].reset_index(drop=True)):
        learner = ActiveLearner(seed=1)
        learner.fit_features(frame)
        learner.update([0, 2], [1, 0])
        named.append(learner.info()["training_set"])
    assert named[0] != named[1]
    with pytest.raises(ConfigError, match="the seed must be a whole number from 0 up, got -1"):
        ActiveLearner(seed=-1)


def test_uncertainty_serves_the_most_similar_records_before_a_classifier_exists():
    """Second-round review (session 15): with only inclusions labelled the scores are
    similarities, and ranking them around 0 served the least similar records first."""
    from screening.ml.learner import ActiveLearner

    texts = ["aspirin stroke trial", "rat liver enzyme", "aspirin stroke prevention trial", "mouse kidney"]
    for query in ("uncertainty", "mixed"):
        learner = ActiveLearner(f"tfidf+svm+balanced+{query}", seed=1)
        learner.fit_features(texts)
        learner.update([0], [1])
        assert learner.mode == "prior-similarity"
        assert list(learner.rank(np.array([False, True, True, True])))[0] == 2


# scikit-learn's own LinearSVC and LogisticRegression (liblinear) expect the same two failures
_LIBLINEAR = {c: "liblinear: weighting a row is not the same as repeating it (scikit-learn xfails "
                 "these for LinearSVC and LogisticRegression too)"
              for c in ("check_sample_weight_equivalence_on_dense_data",
                        "check_sample_weight_equivalence_on_sparse_data")}
_EXPECTED_FAILURES = {
    "svm": _LIBLINEAR,
    "logistic": _LIBLINEAR,
    # naive Bayes reads term counts; the check's data has negative values
    "nb": {"check_decision_proba_consistency": "counts only: negative features are refused"},
    "cnb": {"check_decision_proba_consistency": "counts only: negative features are refused"},
    # z-scores are taken over the rows scored together (the pool), by design
    "ensemble": {**_LIBLINEAR, "check_methods_subset_invariance": "scores are standardised over the rows scored"},
}


@pytest.mark.parametrize("name", sorted(_EXPECTED_FAILURES))
def test_classifiers_pass_scikit_learns_estimator_checks(name):
    """The estimator contract, checked by scikit-learn itself (acceptance testing, session 15:
    the classifiers were binary 0/1 only, unvalidated, and failed 24 of its checks)."""
    import warnings

    from sklearn.utils.estimator_checks import check_estimator

    from screening.ml.classifiers import CLASSIFIERS

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = check_estimator(CLASSIFIERS[name](), on_fail=None, expected_failed_checks=_EXPECTED_FAILURES[name])
    failed = [(r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"]
    assert failed == []
    xfailed = {r["check_name"] for r in results if r["status"] == "xfail"}
    assert xfailed == set(_EXPECTED_FAILURES[name])          # each listed failure still happens
