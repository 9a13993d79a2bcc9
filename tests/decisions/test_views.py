"""Finals, conflicts, undo, training labels, progress and full-text eligibility, via the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.outcomes import conflicts, final_decisions
from screening.decisions.progress import stage_progress, training_labels
from screening.decisions.visibility import Viewer, visible_entries
from screening.errors import DecisionError
from screening.last_run import latest_table
from screening.config import load_review


def decide(review: Path, who: str, rid: str, action: str, **kw) -> api.DecisionResult:
    return api.record_decision(review, reviewer=who, record_id=rid, action=action, **kw)


def finals(db: Path, stage: str = "title_abstract") -> dict[str, tuple[str, str, str]]:
    df = final_decisions(load_entries(db), stage)
    return {r.record_id: (r.decision, r.reason, r.resolved_by) for r in df.itertuples()}


def test_single_dual_conflict_adjudication(review: Path, db: Path) -> None:
    api.assign(review, "alice,bob", fraction=1.0)
    decide(review, "alice", "1", "include")
    assert finals(db) == {}                      # dual-assigned: waiting for bob
    decide(review, "bob", "1", "include")
    decide(review, "alice", "2", "include")
    decide(review, "bob", "2", "exclude", reason="wrong outcome")
    decide(review, "alice", "3", "maybe")
    decide(review, "bob", "3", "maybe")
    got = finals(db)
    assert got == {"1": ("include", "", "agreement")}
    c = conflicts(load_entries(db), "title_abstract")
    assert sorted(set(c["record_id"])) == ["2", "3"]     # maybe+maybe also needs a tie-breaker
    api.adjudicate(review, reviewer="carol", record_id="2", decision="exclude", reason="wrong outcome")
    assert finals(db)["2"] == ("exclude", "wrong outcome", "adjudication")
    with pytest.raises(DecisionError, match="no open conflict"):
        api.adjudicate(review, reviewer="carol", record_id="1", decision="exclude")


def test_undo_stacks_and_changes_are_new_events(review: Path, db: Path) -> None:
    decide(review, "alice", "5", "include")
    decide(review, "alice", "5", "exclude")
    assert finals(db)["5"] == ("exclude", "", "single")
    decide(review, "alice", "5", "undo")
    assert finals(db)["5"] == ("include", "", "single")
    decide(review, "alice", "5", "undo")
    assert "5" not in finals(db)
    with pytest.raises(DecisionError, match="no decision to undo"):
        decide(review, "alice", "5", "undo")
    assert load_entries(db)["action"].tolist() == ["include", "exclude", "undo", "undo"]


def test_errors_name_the_record(review: Path) -> None:
    with pytest.raises(DecisionError) as err:
        decide(review, "alice", "999999", "include")
    assert err.value.record == "999999" and err.value.exit_code == 6
    with pytest.raises(DecisionError, match="duplicate of 53"):
        decide(review, "alice", "54", "include")
    with pytest.raises(DecisionError, match="excluded by the inclusion rules"):
        decide(review, "alice", "55", "include")
    with pytest.raises(DecisionError, match="unknown stage"):
        decide(review, "alice", "1", "include", stage="fulltext")


def test_full_text_stage(review: Path, db: Path) -> None:
    with pytest.raises(DecisionError, match="not in full-text review"):
        decide(review, "alice", "1", "include", stage="full_text")
    for rid in ("1", "2", "3", "4"):
        decide(review, "alice", rid, "include")
    decide(review, "alice", "5", "exclude")
    with pytest.raises(DecisionError, match="need a reason"):
        decide(review, "bob", "1", "exclude", stage="full_text")
    with pytest.raises(DecisionError, match="unknown exclusion reason"):
        decide(review, "bob", "1", "exclude", stage="full_text", reason="boring")
    decide(review, "bob", "1", "exclude", stage="full_text", reason="wrong study design")
    decide(review, "bob", "2", "not_retrieved", stage="full_text")
    decide(review, "bob", "3", "attach_report", stage="full_text", report="https://example.org/3.pdf")
    decide(review, "bob", "3", "include", stage="full_text")
    assert finals(db, "full_text") == {
        "1": ("exclude", "wrong study design", "single"),
        "2": ("not_retrieved", "", "single"),
        "3": ("include", "", "single"),
    }
    with pytest.raises(DecisionError, match="full-text reports only"):
        decide(review, "bob", "9", "not_retrieved")
    records = latest_table(load_review(review))
    ft = stage_progress(load_entries(db), records, "full_text")
    assert (ft["total"], ft["screened"], ft["remaining"], ft["reports_attached"]) == (4, 3, 1, 1)
    assert ft["final"] == {"include": 1, "exclude": 1, "not_retrieved": 1}
    ta = stage_progress(load_entries(db), records, "title_abstract")
    assert (ta["total"], ta["screened"], ta["remaining"]) == (50, 5, 45)
    assert ta["per_reviewer"]["alice"]["include"] == 4


def test_training_labels_use_every_decision_no_reviewer_is_still_to_make(review: Path, db: Path) -> None:
    api.assign(review, "alice,bob")
    decide(review, "alice", "1", "include")            # awaiting bob: not the shared ranking's yet
    decide(review, "alice", "2", "include")
    decide(review, "bob", "2", "exclude")              # conflict: a possible inclusion, so include
    decide(review, "alice", "3", "exclude")
    decide(review, "bob", "3", "include")
    api.adjudicate(review, reviewer="carol", record_id="3", decision="exclude")   # final wins
    decide(review, "alice", "4", "maybe")              # no label
    frame = training_labels(load_entries(db))
    assert dict(zip(frame["record_id"], frame["label"])) == {"2": 1, "3": 0}
    decide(review, "bob", "1", "include")              # settled: now it is
    frame = training_labels(load_entries(db))
    assert dict(zip(frame["record_id"], frame["label"])) == {"1": 1, "2": 1, "3": 0}
    assert not frame["sampled"].any()                   # ranked screening, not the stopping sample


def test_ranking_id_and_demo_flag_are_recorded(review: Path, db: Path) -> None:
    decide(review, "alice", "1", "include", is_demo=True)
    e = load_entries(db).iloc[0]
    # a command-line decision: no ranking put the record in front of the reviewer
    assert e["ranking_id"] == "" and e["is_demo"] == 1
    assert e["created_at"].endswith("+00:00")
    from screening.decisions.session import ScreeningSession

    s = ScreeningSession(api.Review.load(review), "bob")
    s.press("i")                                        # a session without [rank]: the table's ranking, static
    assert load_entries(db)["ranking_id"].iloc[-1] == "static-tfidf-lr-test"
    # nor did any ranking put a conflict before its adjudicator, or a row of an imported file
    # before its reviewer (UAT: both recorded the table's model id, the command line "")
    decide(review, "alice", "2", "include")
    decide(review, "bob", "2", "exclude", reason="wrong outcome")
    api.adjudicate(review, reviewer="carol", record_id="2", decision="include")
    csv_path = db.parent / "imported.csv"
    csv_path.write_text("record_id,decision,reviewer\n3,include,alice\n", encoding="utf-8")
    api.import_decisions(review, csv_path)
    e = load_entries(db)
    assert e.loc[e["reviewer"] == "carol", "ranking_id"].tolist() == [""]
    assert e.loc[e["record_id"] == "3", "ranking_id"].tolist() == [""]
    import hashlib
    import json
    payload = json.loads(e.loc[e["record_id"] == "3", "payload"].iloc[0])
    assert payload["sha256"] == hashlib.sha256(csv_path.read_bytes()).hexdigest() and payload["line"] == 2


def test_visible_entries_blind_until_decided(review: Path, db: Path) -> None:
    decide(review, "bob", "1", "include", note="bob-secret")
    decide(review, "bob", "2", "exclude")
    decide(review, "alice", "2", "include")
    e = load_entries(db)
    alice = visible_entries(e, Viewer("alice"))
    assert set(zip(alice["reviewer"], alice["record_id"])) == {("bob", "2"), ("alice", "2")}
    assert visible_entries(e, Viewer()).empty
    assert len(visible_entries(e, Viewer("zoe", adjudicator=True))) == 3


def test_full_text_finals_follow_title_abstract(review: Path, db: Path) -> None:
    decide(review, "alice", "1", "include")
    decide(review, "alice", "1", "include", stage="full_text")
    assert finals(db, "full_text") == {"1": ("include", "", "single")}
    # no longer included at title/abstract (refused through the API while the full-text decision
    # stands; an older log can hold it): the full-text final no longer counts
    from screening.decisions.store import Event, open_store
    with open_store(db) as store:
        store.append([Event(record_id="1", stage="title_abstract", reviewer="alice", action="undo")])
    assert finals(db, "full_text") == {}


def test_not_retrieved_counts_in_full_text_agreement(review: Path, db: Path) -> None:
    """One reviewer's 'not retrieved' against the other's 'include' is a disagreement: it is a
    category of the full-text agreement table, not left out of n and kappa."""
    from screening.decisions.agreement import agreement_report

    for rid in ("1", "2", "3", "4"):
        decide(review, "alice", rid, "include")
    for rid, a, b in (("1", "include", "include"), ("2", "not_retrieved", "include"),
                      ("3", "exclude", "exclude"), ("4", "not_retrieved", "not_retrieved")):
        for who, action in (("alice", a), ("bob", b)):
            decide(review, who, rid, action, stage="full_text",
                   reason="wrong study design" if action == "exclude" else "")
    (ft,) = [p for p in agreement_report(load_entries(db)) if p.stage == "full_text"]
    assert ft.categories == ("include", "exclude", "not_retrieved")
    assert ft.stats.n == 4
    assert ft.counts.loc["not_retrieved", "include"] == 1 and ft.counts.loc["not_retrieved", "not_retrieved"] == 1
    # po = 3/4; alice .25/.25/.5, bob .5/.25/.25 -> pe = .125 + .0625 + .125 = .3125
    assert ft.stats.kappa == pytest.approx((0.75 - 0.3125) / (1 - 0.3125))


def test_attaching_a_report_to_a_record_marked_not_retrieved_says_the_decision_stands(review: Path, db: Path) -> None:
    decide(review, "alice", "1", "include")
    decide(review, "alice", "1", "not_retrieved", stage="full_text")
    res = decide(review, "alice", "1", "attach_report", stage="full_text", report="https://example.org/1.pdf")
    assert any("not retrieved" in w and "decide again" in w for w in res.warnings), res.warnings
    assert finals(db, "full_text")["1"][0] == "not_retrieved"
    decide(review, "alice", "1", "include", stage="full_text")
    assert finals(db, "full_text")["1"][0] == "include"
    res = decide(review, "alice", "1", "attach_report", stage="full_text", report="https://example.org/1b.pdf")
    assert not any("not retrieved" in w for w in res.warnings)


def test_full_text_exclusions_with_different_reasons_go_to_the_adjudicator(review: Path, db: Path) -> None:
    """UAT: alice excluded for one reason, bob for another, and PRISMA silently used alice's.
    PRISMA reports one reason per excluded report, so a reason disagreement is a conflict at
    full text (as in Covidence); at title/abstract reasons are optional and never conflict."""
    from screening.decisions.agreement import agreement_report

    for rid in ("1", "2", "3"):
        decide(review, "alice", rid, "include")
    for rid, ra, rb in (("1", "wrong outcome", "wrong study design"),
                        ("2", "wrong outcome", "wrong outcome"),
                        ("3", "wrong population", "wrong population")):
        decide(review, "alice", rid, "exclude", stage="full_text", reason=ra)
        decide(review, "bob", rid, "exclude", stage="full_text", reason=rb)
    assert finals(db, "full_text") == {"2": ("exclude", "wrong outcome", "agreement"),
                                       "3": ("exclude", "wrong population", "agreement")}
    c = conflicts(load_entries(db), "full_text")
    assert set(c["record_id"]) == {"1"} and sorted(c["reason"]) == ["wrong outcome", "wrong study design"]
    # both excluded: the decisions agree, so kappa counts it as agreement
    (ft,) = [p for p in agreement_report(load_entries(db)) if p.stage == "full_text"]
    assert ft.counts.loc["exclude", "exclude"] == 3
    api.adjudicate(review, reviewer="carol", record_id="1", decision="exclude", reason="wrong study design",
                   stage="full_text")
    assert finals(db, "full_text")["1"] == ("exclude", "wrong study design", "adjudication")
    # title/abstract: different (optional) reasons on two exclusions are still agreement
    decide(review, "alice", "4", "exclude", reason="wrong outcome")
    decide(review, "bob", "4", "exclude", reason="wrong study design")
    assert finals(db)["4"][2] == "agreement"
