"""Fast re-scoring (#5): kernel-column scores, frequency-ordered columns, integer-key sort.

All on the trimmed real Cohen antihistamines dataset (300 records). Each test compares the
fast path with the plain computation it replaces, so a wrong shortcut fails here.
"""

from pathlib import Path

import numpy as np
import pytest

from screening.ml.classifiers import SVM, Logistic, NaiveBayes
from screening.ml.features import TfidfFeatures
from screening.ml.learner import ActiveLearner
from screening.ml.query import MaxQuery, order_desc
import screening.ml.scoring as scoring
from screening.ml.scoring import KernelScorer
from screening.ml.labelled_dataset import read_dataset
from screening.ml.simulate import simulate

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"


@pytest.fixture(scope="module")
def data():
    return read_dataset(str(FIX))


@pytest.fixture(scope="module")
def X(data):
    return TfidfFeatures().fit_transform(data)


def _labelled(data, n_excl=40):
    y = data["label"].to_numpy()
    return np.r_[np.flatnonzero(y == 1)[:6], np.flatnonzero(y == 0)[:n_excl]], y


@pytest.mark.parametrize("clf", [SVM(), Logistic(C=10)])
def test_kernel_scores_equal_direct_product(data, X, clf):
    idx, y = _labelled(data)
    clf.fit(X[idx], y[idx])
    direct = clf.decision_function(X)
    kern = KernelScorer(X).score(idx, clf.coef_, clf.intercept_)
    assert kern is not None and kern.dtype == np.float32
    np.testing.assert_allclose(kern, direct, atol=2e-5)
    # the ranking a reviewer sees is the same
    assert (order_desc(kern)[:30] == order_desc(direct)[:30]).all()


def test_kernel_cache_grows_incrementally_and_handles_duplicate_rows(data, X):
    idx, y = _labelled(data)
    ks = KernelScorer(X)
    clf = SVM().fit(X[idx], y[idx])
    ks.score(idx, clf.coef_, clf.intercept_)
    first = ks._K[:len(idx)].copy()
    more = np.r_[idx, idx[:3], np.flatnonzero(y == 0)[100:105]]   # repeats + 5 new labels
    clf = SVM().fit(X[more], y[more])
    s = ks.score(more, clf.coef_, clf.intercept_)
    assert len(ks._pos) == len(idx) + 5                         # only the new rows were added
    np.testing.assert_array_equal(ks._K[:len(idx)], first)      # old columns untouched
    np.testing.assert_allclose(s, clf.decision_function(X), atol=2e-5)


def test_weights_outside_the_labelled_span_are_refused(data, X):
    idx, y = _labelled(data)
    rng = np.random.default_rng(0)
    w = rng.standard_normal(X.shape[1]).astype(np.float32)      # not a combination of rows
    assert KernelScorer(X).score(idx, w, 0.0) is None


@pytest.fixture
def no_fixed_cost(monkeypatch):
    """The fixture pool (300 records) is below the size where the kernel path pays off."""
    monkeypatch.setattr(scoring, "FIXED_COST_NNZ", 0)


def test_small_pool_stays_on_direct_product(data, X):
    idx, _ = _labelled(data)
    assert not KernelScorer(X).cheaper(idx[:5])


def test_memory_cap_and_cost_model_switch_to_direct_product(data, X, no_fixed_cost):
    idx, _ = _labelled(data)
    assert KernelScorer(X).cheaper(idx[:5])
    assert not KernelScorer(X, max_bytes=4 * X.shape[0] * 3).cheaper(idx[:5])
    assert not KernelScorer(X).cheaper(np.arange(X.shape[0]))   # dense L x n beats nothing


def test_learner_uses_kernel_path_from_second_fit_and_matches_direct(data, no_fixed_cost):
    learner = ActiveLearner(seed=1)
    learner.fit_features(data)
    idx, y = _labelled(data)
    learner.update(idx, y[idx])
    assert learner._kernel is None                              # one-shot ranking: direct
    idx2 = np.r_[idx, np.flatnonzero(y == 0)[60:62]]
    s = learner.update(idx2, y[idx2])
    # kernel columns for the labelled rows the model learns from (those with any text)
    with_text = int((learner.X.getnnz(axis=1)[idx2] > 0).sum())
    assert learner._kernel is not None
    assert len(learner._kernel._pos) == with_text == learner.n_train - learner.n_train_textless
    np.testing.assert_allclose(s, learner.classifier.decision_function(learner.X), atol=2e-5)


def test_naive_bayes_never_uses_kernel_path(data):
    learner = ActiveLearner("tfidf+nb+balanced+max", seed=1)
    learner.fit_features(data)
    idx, y = _labelled(data)
    for k in (0, 2):
        learner.update(idx[: len(idx) - k], y[idx[: len(idx) - k]])
    assert learner._kernel is None
    assert isinstance(learner.classifier, NaiveBayes)


def test_columns_ordered_by_document_frequency_same_terms(data):
    f = TfidfFeatures()
    X = f.fit_transform(data)
    df = np.bincount(X.indices, minlength=X.shape[1])
    assert (np.diff(df) <= 0).all()                             # most frequent first
    plain = f.vectorizer_.transform(data["title"] + " " + data["abstract"])
    names = f.column_names()
    row = 17
    a = dict(zip(names[X[row].indices], X[row].data))
    b = dict(zip(f.vectorizer_.get_feature_names_out()[plain[row].indices], plain[row].data))
    assert a.keys() == b.keys() and all(abs(a[k] - b[k]) < 1e-6 for k in a)
    np.testing.assert_array_equal(f.transform(data[:20]).toarray(), X[:20].toarray())


def test_order_desc_equals_stable_sort_with_ties_and_signed_zero():
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(1, 2000))
        s = rng.choice(np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf], dtype=np.float32), n)
        s = np.where(rng.random(n) < 0.5, rng.standard_normal(n).astype(np.float32), s)
        assert (order_desc(s) == np.argsort(-s.astype(np.float64), kind="stable")).all()
    assert (MaxQuery().query(np.array([1.0, 3.0, 3.0])) == [1, 2, 0]).all()   # float64 path


def test_simulation_same_seed_same_order_with_kernel_path(data, no_fixed_cost):
    a = simulate(data, seed=2)
    b = simulate(data, seed=2)
    assert list(a.order) == list(b.order)
    y = data["label"].to_numpy()
    pos = {rid: i for i, rid in enumerate(data["record_id"])}
    found = np.cumsum(y[[pos[r] for r in a.order]])
    assert found[len(y) // 2] >= 0.7 * y.sum()                  # better than reading at random
