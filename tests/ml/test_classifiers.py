"""The linear classifiers fit on the labelled rows' used columns only (``_compact``)."""

import numpy as np
import scipy.sparse as sp
import pytest

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
