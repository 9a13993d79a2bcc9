"""A labelled record without any text is counted but not learnt from.

Acceptance testing: one included record with an empty title and abstract (real: record 2191
of Cohen et al.'s ACE-inhibitor review) put 72 irrelevant records in a row at the top of the
ranking, every one of the top 10 without an abstract: fitted, the empty row taught the SVM that
having no text is a sign of relevance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from screening.ml.learner import ActiveLearner
from screening.ml.labelled_dataset import read_dataset

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "ml" / "cohen_antihistamines_300.csv"


def _with_a_textless_include() -> tuple[pd.DataFrame, int]:
    data = read_dataset(str(FIX))
    blank = data[data["label"] == 1].iloc[[0]].copy()
    blank["record_id"] = "textless"
    for column in ("title", "abstract", "keywords"):
        if column in blank.columns:
            blank[column] = ""
    data = pd.concat([data, blank], ignore_index=True)
    return data, len(data) - 1


def test_a_textless_include_does_not_change_the_ranking() -> None:
    data, empty = _with_a_textless_include()
    y = data["label"].to_numpy().astype(int)
    # the first few records of each class, as a team's first decisions
    seen = np.r_[np.flatnonzero(y == 1)[:3], np.flatnonzero(y == 0)[:120]]
    plain, blank = ActiveLearner(seed=1), ActiveLearner(seed=1)
    plain.fit_features(data)
    blank.fit_features(data)
    assert plain.X[empty].nnz == 0
    s_plain = plain.update(seen, y[seen])
    s_blank = blank.update(np.r_[seen, empty], y[np.r_[seen, empty]])
    np.testing.assert_allclose(s_blank, s_plain)
    info = blank.info()
    # (the real set has textless excluded records too: each is counted, none learnt from)
    assert info["training_size"] == len(seen) + 1 and info["training_textless"] == plain.info()["training_textless"] + 1
    assert info["training_included"] == 4 and info["model_id"] != plain.info()["model_id"]


def test_only_textless_includes_leave_the_ranker_in_file_order() -> None:
    data, empty = _with_a_textless_include()
    y = data["label"].to_numpy().astype(int)
    excluded = np.flatnonzero(y == 0)[:50]
    learner = ActiveLearner(seed=1)
    learner.fit_features(data)
    scores = learner.update(np.r_[excluded, empty], np.r_[np.zeros(50, int), 1])
    assert learner.info()["mode"] == "file-order" and not scores.any()
