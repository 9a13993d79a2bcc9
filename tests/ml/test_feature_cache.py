"""The pool's feature matrix is built once per set of texts (acceptance test 33: a screening
session on 56,000 records spent 28 of its 35 s to the first record re-fitting the TF-IDF that
`run` had just fitted)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from screening.ml.feature_cache import FeatureCache
from screening.ml.features import TfidfFeatures
from screening.ml.learner import ActiveLearner

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"


@pytest.fixture
def pool() -> pd.DataFrame:
    return pd.read_csv(FIXTURE, dtype=str, keep_default_na=False).head(120)


def _refuse_fit(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []

    def fit(self, X, y=None, **_):
        calls.append(1)
        return original(self, X)

    original = TfidfFeatures.fit_transform
    monkeypatch.setattr(TfidfFeatures, "fit_transform", fit)
    return calls


def test_a_second_fit_on_the_same_texts_reads_the_matrix_and_ranks_the_same(
        tmp_path: Path, pool: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _refuse_fit(monkeypatch)
    cache = FeatureCache(tmp_path / "cache")
    labels = ([3, 10, 11], [1, 0, 0])
    runs = []
    for _ in range(2):
        learner = ActiveLearner(None, seed=1)
        learner.fit_features(pool, cache=cache)
        learner.update(*labels)
        runs.append((learner.X, learner.rank(), learner.info()["model_id"]))
    assert len(calls) == 1                                  # fitted once, read the second time
    (X1, order1, id1), (X2, order2, id2) = runs
    assert (X1 != X2).nnz == 0 and X1.dtype == X2.dtype
    assert list(order1) == list(order2) and id1 == id2
    assert len(list((tmp_path / "cache").glob("features-*.npz"))) == 1


def test_the_same_records_in_another_order_read_the_same_matrix(tmp_path: Path, pool: pd.DataFrame,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A session lists the records in play by rank, the rank stage in table order (acceptance
    testing: the session missed the cache the run had just written)."""
    calls = _refuse_fit(monkeypatch)
    cache = FeatureCache(tmp_path)
    ActiveLearner(None, seed=1).fit_features(pool, cache=cache)
    shuffled = pool.sample(frac=1.0, random_state=3)
    X = ActiveLearner(None, seed=1).fit_features(shuffled, cache=cache)
    assert len(calls) == 1
    assert (X != TfidfFeatures().fit_transform(shuffled)).nnz == 0      # its own rows, in its order


def test_other_texts_or_settings_are_another_matrix(tmp_path: Path, pool: pd.DataFrame,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _refuse_fit(monkeypatch)
    cache = FeatureCache(tmp_path)
    ActiveLearner(None, seed=1).fit_features(pool, cache=cache)
    edited = pool.copy()
    edited.loc[5, "abstract"] += " corrected"
    X = ActiveLearner(None, seed=1).fit_features(edited, cache=cache)
    ActiveLearner("tfidf(ngram_range=[1,1])+svm+balanced+max", seed=1).fit_features(pool, cache=cache)
    assert len(calls) == 3
    assert (X != TfidfFeatures().fit_transform(edited)).nnz == 0
    assert len(list(tmp_path.glob("features-*.npz"))) == 2          # the newest two are kept
    assert FeatureCache.key(TfidfFeatures(), ["ab", "c"]) != FeatureCache.key(TfidfFeatures(), ["a", "bc"])


def test_a_damaged_or_unwritable_cache_is_only_a_miss(tmp_path: Path, pool: pd.DataFrame,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _refuse_fit(monkeypatch)
    cache = FeatureCache(tmp_path)
    ActiveLearner(None, seed=1).fit_features(pool, cache=cache)
    (stored,) = tmp_path.glob("features-*.npz")
    stored.write_bytes(stored.read_bytes()[:100])             # truncated
    X = ActiveLearner(None, seed=1).fit_features(pool, cache=cache)
    assert len(calls) == 2 and X.shape[0] == len(pool)
    # a folder that cannot be created (a file in its place): built, not stored, no error
    blocked = tmp_path / "file"
    blocked.write_text("x")
    ActiveLearner(None, seed=1).fit_features(pool, cache=FeatureCache(blocked / "cache"))
    assert len(calls) == 3
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_session_reads_the_matrix_the_rank_stage_built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from screening.decisions import api
    from screening.decisions.session import ScreeningSession
    from screening.runner import run_review

    (tmp_path / "pipelines").mkdir()
    (tmp_path / "data" / "raw").mkdir(parents=True)
    shutil.copy(FIXTURE, tmp_path / "data" / "raw" / "a.csv")
    toml = tmp_path / "pipelines" / "t.toml"
    toml.write_text('[review]\nname = "t"\n[[sources]]\nfile = "data/raw/a.csv"\ndatabase = "PubMed"\n[rank]\n')
    monkeypatch.chdir(tmp_path)
    run_review(toml)
    assert os.listdir(tmp_path / "data" / "screened" / "t" / "cache")
    calls = _refuse_fit(monkeypatch)
    s = ScreeningSession(api.Review.load(toml), "alice")
    assert s._queue.ranker is not None and not calls, s._queue.ranker_off
    s.press("i")                                            # ranks on the matrix it read
    assert s.current and not calls
