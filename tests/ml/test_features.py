"""TF-IDF features on real records (Cohen et al. 2006, antihistamines: 300 of its records)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from screening.ml.features import TfidfFeatures

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)


def test_char_ngrams_join_word_forms_that_word_features_keep_apart() -> None:
    docs = ["antihistamines in rhinitis", "an antihistamine for urticaria", "surgery outcomes"]
    words = TfidfFeatures().fit_transform(docs)
    mixed = TfidfFeatures(char_weight=0.3).fit_transform(docs)
    assert (words[0] @ words[1].T).toarray()[0, 0] == 0          # no word in common
    assert (mixed[0] @ mixed[1].T).toarray()[0, 0] > 0.02          # "antihistamine" in both
    assert (mixed[0] @ mixed[1].T).toarray()[0, 0] > 10 * (mixed[0] @ mixed[2].T).toarray()[0, 0]
    assert np.allclose(np.asarray(mixed.multiply(mixed).sum(axis=1)).ravel(), 1.0, atol=1e-5)


def test_char_weight_zero_is_the_word_model_and_transform_matches_fit(records: pd.DataFrame) -> None:
    plain = TfidfFeatures().fit_transform(records)
    zero = TfidfFeatures(char_weight=0.0).fit_transform(records)
    assert (plain != zero).nnz == 0
    feats = TfidfFeatures(char_weight=0.3)
    X = feats.fit_transform(records)
    assert X.shape[0] == len(records) and X.shape[1] > plain.shape[1] and X.dtype == np.float32
    again = feats.transform(records)
    assert abs(again - X).max() < 1e-6
    names = feats.column_names()
    assert len(names) == X.shape[1]
    assert any(n.startswith("chars:") for n in names) and "antihistamine" in set(names)
    # the estimator contract: parameters round-trip through clone
    assert clone(feats).get_params()["char_weight"] == 0.3
