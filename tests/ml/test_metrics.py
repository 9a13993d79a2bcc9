"""Metric functions on tiny orders computed by hand (ASReview-insights definitions)."""

import numpy as np
import pytest

from screening.ml import metrics as M

# 10 records, relevant at positions 1 and 3 (priors already removed)
LAB = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0]


def test_recall_after_ten_percent():
    # after 1 of 10 records: 1 of 2 relevant found
    assert M.rrf(LAB, 0.10) == 0.5
    assert M.recall_at(LAB, 0.3) == 1.0
    assert M.recall_at(LAB, 0.05) == 0.0   # less than one record screened


def test_wss_hand_computed():
    # random line round(linspace(0, 2, 10)) = 0,0,0,1,1,1,1,2,2,2: 1st relevant at index 3, 2nd at 7;
    # the ranking finds them at 0 and 2. WSS@95 is read at recall 0.5 (last level <= 0.95).
    assert M.wss(LAB, 0.95) == pytest.approx(0.3)
    assert M.wss(LAB, 1.0) == pytest.approx(0.5)


def test_atd_and_time_to_discovery():
    assert list(M.time_to_discovery(LAB)) == [1, 3]
    assert M.atd(LAB) == 2.0


def test_loss_perfect_worst_and_hand_case():
    assert M.loss([1, 1, 0, 0, 0, 0, 0, 0, 0, 0]) == 0.0
    assert M.loss([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]) == 1.0
    # (Ny*(Nx-(Ny-1)/2) - sum(cumsum)) / (Ny*(Nx-Ny)) = (2*9.5 - 18) / 16
    assert M.loss(LAB) == pytest.approx(1 / 16)
    with pytest.raises(ValueError):
        M.loss([1, 1])


def test_records_to_recall():
    assert M.records_to_recall(LAB, 0.95) == 3
    assert M.records_to_recall(LAB, 0.5) == 1
    assert M.records_to_recall([0, 0, 1, 0, 1, 1], 1.0) == 6


def test_padded_labels_drop_priors_and_pad():
    labels = np.array([0, 1, 0, 1, 0])
    # order stops early after the last relevant; priors are rows 1 and 0
    out = M.padded_labels([1, 0, 3], labels, 2)
    assert out.tolist() == [1, 0, 0]


def test_summary_has_every_headline_figure():
    s = M.summary(LAB)
    assert set(s) >= {"wss95", "wss100", "rrf10", "atd", "records_to_95", "records_to_100", "loss"}


def test_wss_and_records_to_95_say_which_relevant_record_they_measure():
    # 19 relevant: WSS@95 is taken at the 18th (18/19 = 0.947, the last level ≤ 0.95) while
    # "at least 95 %" needs the 19th, so the two figures are about different records
    labels = [1] * 17 + [0] * 10 + [1] + [0] * 20 + [1] + [0] * 30
    s = M.summary(labels)
    assert (s["wss95_at"], s["records_to_95_found"]) == (18, 19)
    assert s["records_to_95"] == 49 == s["records_to_100"]
    later = labels[:-31] + [0] * 30 + [1]                # the 19th found last instead: same WSS@95
    assert s["wss95"] == M.wss(later, 0.95) and M.summary(later)["records_to_95"] == len(labels)
    assert (M.wss_level(20, 0.95), M.recall_need(20, 0.95)) == (19, 19)          # exact: the same record
