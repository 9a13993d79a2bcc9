"""`decide --from` rows may carry a ``sampled`` column: the stopping test's random sample,
screened in another tool (ASReview LAB, Rayyan, a script), can feed the test.

Acceptance testing: sample decisions could only be recorded interactively (`screen --sample`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.progress import sampled_records, training_labels
from screening.errors import DecisionError
from screening.ml.stopping_status import stopping_status

from .conftest import write_csv


def test_a_sampled_column_marks_rows_of_the_random_sample(review: Path, db: Path, tmp_path: Path,
                                                         in_play: list[str]) -> None:
    api.record_decision(review, reviewer="alice", record_id=in_play[0], action="include")
    path = write_csv(tmp_path / "sample.csv", ["record_id", "decision", "sampled"],
                     [[in_play[1], "exclude", "false"], *[[r, "exclude", "true"] for r in in_play[2:12]],
                      [in_play[12], "include", "TRUE"], [in_play[13], "exclude", ""]])
    res = api.import_decisions(review, path, reviewer="bob")
    assert res["written"] == 13 and not res["warnings"]
    entries = load_entries(db)
    assert sampled_records(entries) == set(in_play[2:13])
    marked = entries.set_index("record_id").loc[in_play[2], "payload"]
    assert json.loads(marked)["sampled"] is True and json.loads(marked)["import"] == "native"
    status = stopping_status(api.Review.load(review).records, training_labels(entries))
    assert status["sample_size"] == 11 and status["sample_relevant"] == 1
    # the test's random sample in an ASReview LAB export, with the column added
    rows = [[r, "0", "yes"] for r in in_play[20:25]]
    path = write_csv(tmp_path / "asreview.csv", ["record_id", "included", "sampled"], rows)
    assert api.import_decisions(review, path, reviewer="bob")["format"] == "asreview"
    assert set(in_play[20:25]) <= sampled_records(load_entries(db))


def test_sampled_rows_the_test_cannot_read_as_sampled_are_said(review: Path, db: Path, tmp_path: Path,
                                                              in_play: list[str]) -> None:
    review.write_text(review.read_text(encoding="utf-8") + f'\n[rank]\nprior_included = ["{in_play[30]}"]\n',
                      encoding="utf-8")
    api.assign(review, "alice,bob", fraction=1.0, seed=1)
    api.record_decision(review, reviewer="alice", record_id=in_play[0], action="exclude")
    path = write_csv(tmp_path / "sample.csv", ["record_id", "decision", "sampled"],
                     [[in_play[0], "exclude", "true"], [in_play[30], "include", "true"], [in_play[5], "exclude", "1"]])
    res = api.import_decisions(review, path, reviewer="bob")
    said = " ".join(res["warnings"])
    assert "1 row(s) marked sampled are on records decided before" in said and in_play[0] in said
    assert "prior records of the rank section" in said and in_play[30] in said
    rv = api.Review.load(review)
    status = stopping_status(rv.records, training_labels(load_entries(db)), rv.config.stages["rank"])
    # both reviewers screen every record here: the shared test reads a sampled record once it
    # is settled (alice has yet to decide it; counting it would tell her bob's decision)
    assert status.get("sample_size", 0) == 0
    api.record_decision(review, reviewer="alice", record_id=in_play[5], action="exclude")
    status = stopping_status(rv.records, training_labels(load_entries(db)), rv.config.stages["rank"])
    assert status["sample_size"] == 1


def test_a_bad_sampled_value_or_stage_is_refused_at_its_line(review: Path, db: Path, tmp_path: Path,
                                                            in_play: list[str]) -> None:
    path = write_csv(tmp_path / "bad.csv", ["record_id", "decision", "sampled"], [[in_play[0], "exclude", "maybe"]])
    with pytest.raises(DecisionError, match="unknown sampled value 'maybe'") as err:
        api.import_decisions(review, path, reviewer="bob")
    assert err.value.line == 2
    path = write_csv(tmp_path / "ft.csv", ["record_id", "decision", "stage", "reason", "sampled"],
                     [[in_play[0], "exclude", "full_text", "wrong population", "true"]])
    with pytest.raises(DecisionError, match="drawn at title/abstract"):
        api.import_decisions(review, path, reviewer="bob")
    assert not db.exists() or len(load_entries(db)) == 0
