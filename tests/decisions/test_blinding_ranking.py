"""Blinding holds in what the shared ranking says, not only in the log's views.

Acceptance testing (dual plan): anyone may run `screening rank`; its printout and rank.json
gave the training set's size and inclusions, rank.csv left the trained-on records without a
score, and the stopping status counted the irrelevant records in a row. Each of these moved
when one reviewer decided a record the other had still to screen, so comparing two runs told
bob what alice had decided. The shared ranking now learns a record once it is no longer
pending; each reviewer's session still learns from their own decisions at once.

Built on the trimmed real screening dataset (Cohen 2006, antihistamines, 300 records).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.decisions import api
from screening.decisions.session import ScreeningSession
from screening.decisions.session_stopping import stopping_hook
from screening.ml.review import rank_review

from . import test_ranked_run as shared

data, review = shared.data, shared.review     # the ranked-run tests' real review (priors decided)


@pytest.fixture
def dual(review: Path) -> Path:
    """That review with every record dual-assigned to alice and bob."""
    api.assign(review, "alice,bob", fraction=1.0, seed=1)
    return review


def _ranked(review: Path) -> tuple[pd.DataFrame, dict]:
    table, report = rank_review(review)
    return table, {"counts": dict(report.counts), "stopping": dict(report.details["stopping"])}


def _ids(table: pd.DataFrame, data: pd.DataFrame, label: str, k: int) -> list[str]:
    """The first ``k`` ranked records of one label (so the stopping rule's run sees them)."""
    labels = dict(zip(data["record_id"], data["label_included"]))
    ranked = table[table["rank"].notna()].sort_values("rank")
    return [r for r in ranked["record_id"].astype(str) if labels.get(r) == label][:k]


def test_the_shared_ranking_does_not_learn_a_decision_a_colleague_has_still_to_make(
        dual: Path, data: pd.DataFrame) -> None:
    review = dual
    before_table, before = _ranked(review)
    picks = _ids(before_table, data, "1", 2) + _ids(before_table, data, "0", 3)
    for rid in picks:
        action = "include" if data.set_index("record_id").at[rid, "label_included"] == "1" else "exclude"
        api.record_decision(review, reviewer="alice", record_id=rid, action=action)
    after_table, after = _ranked(review)
    # nothing bob can read moved: training figures, the stopping rule's run, the scores
    for key in ("training_size", "training_included", "training_excluded"):
        assert after["counts"][key] == before["counts"][key], key
    for key in ("irrelevant_in_a_row", "relevant_found", "labelled"):
        if key in before["stopping"]:
            assert after["stopping"][key] == before["stopping"][key], key
    scored = after_table.set_index(after_table["record_id"].astype(str))["score"]
    assert scored.loc[picks].notna().all()       # no gap in rank.csv marks alice's records
    assert after_table["score"].equals(before_table["score"])

    # bob decides them too (agreeing): settled, so the shared ranking learns them now
    for rid in picks:
        action = "include" if data.set_index("record_id").at[rid, "label_included"] == "1" else "exclude"
        api.record_decision(review, reviewer="bob", record_id=rid, action=action)
    _, settled = _ranked(review)
    assert settled["counts"]["training_size"] == before["counts"]["training_size"] + len(picks)
    assert settled["counts"]["training_included"] == before["counts"]["training_included"] + 2


def test_a_session_status_line_does_not_count_a_colleagues_pending_exclusions(dual: Path) -> None:
    review = dual
    alice = ScreeningSession(api.Review.load(review), "alice", stopping=stopping_hook(api.Review.load(review)))
    for _ in range(3):                          # excluded as the ranking served them
        alice.press("e")
        alice.press("\r")
    assert len(alice.done_here) == 3
    rv = api.Review.load(review)
    bob = ScreeningSession(rv, "bob", stopping=stopping_hook(rv))
    # bob's status line (and the shared one) reads settled records only: alice's three are
    # still waiting for him, so his line must not say "3 irrelevant in a row"
    assert bob.view().stopping["irrelevant_in_a_row"] == 0
    assert stopping_hook(rv)(rv.records, rv.entries())["irrelevant_in_a_row"] == 0
    for _ in range(3):                          # bob agrees: now they are the team's
        bob.press("e")
        bob.press("\r")
    rv = api.Review.load(review)
    assert stopping_hook(rv)(rv.records, rv.entries())["irrelevant_in_a_row"] == 3
