"""`screening status` shows where the stopping test stands, before any stop is recorded. Its
figures count only records no reviewer is still to decide, so every viewer sees them (as
`screening rank` and the `screen` status line show them)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from screening.decisions import api
from screening.decisions.stops import stop_screening
from screening.decisions.store import Event, SQLiteStore

from . import test_stops as shared
from .test_stops import SAMPLE, _cli, _decide_until_met

data, review = shared.data, shared.review      # the stop tests' fixtures: their trimmed real review

def _test(review: Path, **viewer) -> dict:
    return api.status(review, **viewer)[0]["stopping_test"]


def _ranked(review: Path, reviewer: str, decisions: list[tuple[str, str]]) -> None:
    """Decisions as a ranked `screen` session logs them (so they count toward the run)."""
    with SQLiteStore(review.parent.parent / "data" / "screened" / "t" / "decisions.sqlite") as store:
        store.append([Event(record_id=r, stage="title_abstract", reviewer=reviewer, action=a,
                            payload={"queue": "ranked"}) for r, a in decisions])


def test_status_shows_the_ranked_phase_with_the_figures_rank_reports(review: Path) -> None:
    from screening.ml.review import rank_review

    table, report = rank_review(review)
    order = table.dropna(subset=["rank"]).sort_values("rank")["record_id"].astype(str).tolist()
    _ranked(review, "alice", [(r, "exclude") for r in order[:7]])
    _, report = rank_review(review)
    ranked = report.details["stopping"]
    seen = _test(review, as_adjudicator=True)
    assert seen["phase"] == "ranked" and seen["rule"] == "hypergeometric" and seen["figures_scope"] == "all"
    assert seen["irrelevant_in_a_row"] == ranked["irrelevant_in_a_row"] == 7
    assert seen["switch_at"] == ranked["switch_at"] == 50 and seen["sample_size"] == 0
    assert seen["recommendation"] == ranked["recommendation"] and seen["target_recall"] == 0.8
    # the full-text stage has no stopping test
    assert api.status(review, as_adjudicator=True)[1]["stopping_test"] is None
    code, out = _cli("status", review, "--as-adjudicator")
    assert code == 0
    assert ("stopping test (hypergeometric: recall ≥ 80% with 95% confidence): ranked order — 7 of 50 "
            "irrelevant in a row before the switch to a random sample") in out, out
    assert "Keep screening in rank order" in out
    code, out = _cli("status", review, "--json")
    assert json.loads(out.split("} {")[0] + "}")["stopping_test"]["phase"] == "ranked"


def test_a_reviewer_cannot_learn_a_colleagues_decision_from_the_stopping_test(review: Path) -> None:
    """In a dual plan the figures do not move on a decision a colleague has still to match: the
    run of irrelevant records would drop to 0 on bob's inclusion and tell alice."""
    from screening.ml.review import rank_review

    table, _ = rank_review(review)
    order = table.dropna(subset=["rank"]).sort_values("rank")["record_id"].astype(str).tolist()
    api.assign(review, "alice,bob", fraction=1.0, seed=1)
    _ranked(review, "alice", [(r, "exclude") for r in order[:5]])
    _ranked(review, "bob", [(r, "exclude") for r in order[:5]])
    views = []
    for action in ("include", "exclude"):
        _ranked(review, "bob", [(order[5], action)])
        views.append((_test(review, reviewer="alice"), _test(review), _test(review, as_adjudicator=True)))
        _ranked(review, "bob", [(order[5], "undo")])
    (alice_inc, anon_inc, adj_inc), (alice_exc, anon_exc, adj_exc) = views
    assert alice_inc == alice_exc == anon_inc == anon_exc == adj_inc == adj_exc   # nothing tells them apart
    assert alice_inc["irrelevant_in_a_row"] == 5 and alice_inc["figures_scope"] == "all"
    assert alice_inc["phase"] == "ranked" and alice_inc["switch_at"] == 50
    code, out = _cli("status", review, "-r", "alice")
    assert code == 0 and "5 of 50 irrelevant in a row before the switch" in out, out
    # once alice decides it too, it is the team's: the run counts it
    _ranked(review, "bob", [(order[5], "exclude")])
    _ranked(review, "alice", [(order[5], "exclude")])
    assert _test(review, reviewer="alice")["irrelevant_in_a_row"] == 6


def test_status_follows_the_test_through_the_sample_to_the_stop(review: Path, data: pd.DataFrame) -> None:
    _decide_until_met(review, data)
    seen = _test(review, as_adjudicator=True)
    assert seen["phase"] == "met" and seen["met"] is True and seen["sample_size"] == SAMPLE
    assert seen["p_value"] < 0.05 and seen["recall_bound"] >= 0.8 and "Record the stop" in seen["recommendation"]
    code, out = _cli("status", review, "--as-adjudicator")
    assert (f"test met — {SAMPLE} sampled, {seen['sample_relevant']} relevant; p = {seen['p_value']:.3g}, "
            f"recall ≥ {seen['recall_bound']:.1%}") in out, out
    # a reviewer sees the same standing (the decisions here are settled: one reviewer each)
    assert _test(review, reviewer="alice") == seen
    res = stop_screening(review, "bob")
    assert _test(review, as_adjudicator=True)["phase"] == _test(review)["phase"] == "stopped"
    code, out = _cli("status", review, "--as-adjudicator")
    assert f"Screening was stopped by bob on {res.event.created_at[:10]}" in out


def test_no_stopping_test_without_a_rank_section(review: Path) -> None:
    review.write_text(review.read_text().split("[rank]")[0])
    assert [s["stopping_test"] for s in api.status(review, as_adjudicator=True)] == [None, None]
    code, out = _cli("status", review, "--as-adjudicator")
    assert code == 0 and "stopping test" not in out


def test_the_older_stopped_flag_reads_as_stopped(review: Path) -> None:
    review.write_text(review.read_text() + "stopped = true\n")
    seen = _test(review, as_adjudicator=True)
    assert seen["phase"] == "stopped"
    assert seen["recommendation"].startswith("Screening is stopped by the rank section's stopped = true, but the "
                                             "stopping test has not been met")
    assert _test(review)["recommendation"] == seen["recommendation"]


def test_an_undecided_prior_is_not_counted_as_found_and_status_says_so(review: Path) -> None:
    """`relevant_found` counted a prior_included record nobody had decided, while `screened`
    left it out (so more relevant records could be 'found' than were screened); `status` now
    names the undecided priors instead."""
    cfg = api.Review.load(review).config.stages["rank"]
    inc, exc = cfg.prior_included[0], cfg.prior_excluded[0]
    seen = _test(review, as_adjudicator=True)
    assert (seen["screened"], seen["relevant_found"], seen["priors_undecided"]) == (0, 0, 2)
    code, out = _cli("status", review, "--as-adjudicator")
    assert code == 0 and "2 prior records ([rank] prior_included / prior_excluded) have no decision yet" in out, out
    api.record_decision(review, reviewer="alice", record_id=inc, action="include")
    seen = _test(review, as_adjudicator=True)
    assert (seen["screened"], seen["relevant_found"], seen["priors_undecided"]) == (1, 1, 1)
    assert "1 prior record ([rank] prior_included / prior_excluded) has no decision yet" in _cli(
        "status", review, "--as-adjudicator")[1]
    api.record_decision(review, reviewer="alice", record_id=exc, action="exclude")
    seen = _test(review, as_adjudicator=True)
    assert (seen["screened"], seen["relevant_found"], seen["priors_undecided"]) == (2, 1, 0)
    assert "prior record" not in _cli("status", review, "--as-adjudicator")[1]


def test_a_run_past_the_switch_point_is_not_read_as_a_count_of_it():
    """Acceptance testing: `status` said '89 of 50 irrelevant in a row before the switch'."""
    from screening.cli.progress import _stopping_lines

    t = {"rule": "hypergeometric", "target_recall": 0.95, "confidence": 0.95, "phase": "ranked",
         "sample_size": 0, "switch_at": 50, "recommendation": ""}
    assert "— 7 of 50 irrelevant in a row before the switch" in _stopping_lines({**t, "irrelevant_in_a_row": 7})[0]
    line = _stopping_lines({**t, "irrelevant_in_a_row": 89})[0]
    assert "89 of 50" not in line and "89 irrelevant in a row: the switch point (50) is reached" in line
