"""generate(): all outputs from a review state given as frames (records marked by hand + finals)."""

from __future__ import annotations

import dataclasses
import json

import pandas as pd
import pytest

from screening.config import load_review
from screening.errors import ReportError
from screening.prisma import generate
from screening.prisma.state import load_searches, searches_frame
from screening.prisma.stopping_state import stopping_state
from screening.prisma.context import ReportContext
from screening.prisma.methods import methods_paragraph

TOML = """
[review]
name = "wild"
title = "Wildfire impacts"
output_dir = "out"

[[sources]]
file = "wos.ris"
database = "Web of Science Core Collection"
date_searched = "2023-03-09"

[screening]
reviewers = ["ana", "ben"]
dual_fraction = 0.5
"""


@pytest.fixture()
def review(tmp_path):
    path = tmp_path / "wild.toml"
    path.write_text(TOML, encoding="utf-8")
    return load_review(path)


def test_generate_writes_consistent_outputs(review, records, finals, tmp_path):
    ta, ft = finals
    res = generate(review, tmp_path / "p", records=records, ta_finals=ta, ft_finals=ft)
    assert sorted(p.name for p in res.files.values()) == sorted(
        ["prisma.json", "prisma.csv", "prisma_flow.svg", "prisma_flow.png", "prisma_flow.pdf",
         "report.md", "report.html"])
    doc = json.loads(res.files["json"].read_text())
    assert doc["funnel"] == "25 → 16 → 10 → 9 → 5"
    assert doc["time"] == "2023-03-09" and doc["tool_version"]
    assert len(doc["state_hash"]) == 64
    md = res.files["md"].read_text()
    assert "**Funnel:** 25 → 16 → 10 → 9 → 5" in md
    assert "| Duplicate records removed | 7 |" in md and "| – Lens.org | 9 |" in md
    assert "7 duplicate records were removed (matched by doi, n = 7)" in md
    assert "marked 2 records as ineligible before screening (off-topic: not about fire, n = 1; " \
           "publication type: book chapter, n = 1)" in md
    # how records were screened comes from the decisions, not from the TOML's plan (dual_fraction 0.5)
    assert ("Titles and abstracts of 16 records were screened by the review team; all 16 settled records were "
            "screened independently by two reviewers, with no disagreement to resolve.") in md
    assert "50%" not in md
    assert md.rstrip().endswith(f"(full hash {doc['state_hash']}).")
    html = res.files["html"].read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and "<?xml" not in html
    assert "Reports excluded (n = 4):" in html


def test_same_state_same_bytes_and_hash_follows_state(review, records, finals, tmp_path):
    ta, ft = finals
    a = generate(review, tmp_path / "a", records=records, ta_finals=ta, ft_finals=ft)
    b = generate(review, tmp_path / "b", records=records, ta_finals=ta, ft_finals=ft)
    for key, path in a.files.items():
        assert path.read_bytes() == b.files[key].read_bytes(), key
    c = generate(review, tmp_path / "c", records=records, ta_finals=ta.iloc[:-1], ft_finals=ft)
    assert c.state.state_hash != a.state.state_hash
    assert c.counts.screening_in_progress


def test_invariant_violation_writes_nothing(review, records, finals, tmp_path):
    ta, ft = finals
    bad = ta.copy()
    bad.loc[0, "decision"] = "not_retrieved"
    with pytest.raises(ReportError):
        generate(review, tmp_path / "x", records=records, ta_finals=bad, ft_finals=ft)
    assert not (tmp_path / "x").exists()


def test_exports_and_logged_searches_are_both_reported(review):
    """Acceptance testing: once an API search was logged, the methods paragraph named only it
    and dropped every export listed in [[sources]] ('We searched PubMed, OpenAlex...')."""
    assert list(load_searches(review)["database"]) == ["Web of Science Core Collection"]
    log = review.output_dir / "search_log.jsonl"
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps({"database": "PubMed", "interface": "E-utilities", "query": "wildfire[tiab]",
                               "date_run": "2024-02-01T10:00:00Z", "records": 12,
                               "limits": {"years": "2000-2024"}}) + "\n", encoding="utf-8")
    s = load_searches(review)
    assert list(s["database"]) == ["Web of Science Core Collection", "PubMed"]
    assert s.loc[1, "limits"] == '{"years": "2000-2024"}'


def test_methods_paragraph_quotes_searches_and_stopping(records, finals):
    from screening.prisma.counts import compute_counts

    ta, ft = finals
    c = compute_counts(records, ta.iloc[:12], ft.iloc[:5], stopped=True)
    ctx = ReportContext(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64,
                        searches=searches_frame([{"database": "PubMed", "query": "fire", "date_run": "2024-01-02",
                                                  "records": 12}]),
                        models=("tfidf-logreg@1",), stopping_rule="SAFE", recall_estimate=0.95)
    text = methods_paragraph(c, ctx)
    assert 'We searched PubMed using “fire” (searched 2024-01-02; 12 records).' in text
    assert "Screening stopped by a stopping rule (SAFE) at an estimated recall of 95%; the 4 records" in text
    assert "relevance ranking (tfidf-logreg@1)" in text


def test_stopping_state_from_rank_report(review):
    rep = {"rank": {"details": {"stopping": {"stopped": True, "rule": "buscar", "recall_estimate": 0.96}}}}
    s = stopping_state(review, rep)
    assert (s.stopped, s.rule, s.recall_estimate, s.source) == (True, "buscar", 0.96, "rank.json")
    assert s.met is None
    assert not stopping_state(review, {}).stopped
    rep["rank"]["details"]["stopping"].update(met=False, p_value=0.472)
    s = stopping_state(review, rep)
    assert (s.met, s.p_value) == (False, 0.472)


def test_methods_paragraph_says_when_the_stop_came_before_the_test_was_met(records, finals):
    """Acceptance testing: `stopped = true` set before the test was met produced 'Screening
    stopped by a stopping rule at an estimated recall of 96%', as if the guarantee held."""
    from screening.prisma.counts import compute_counts

    ta, ft = finals
    c = compute_counts(records, ta.iloc[:12], ft.iloc[:5], stopped=True)
    ctx = ReportContext(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64,
                        stopping_rule="hypergeometric", recall_estimate=0.96, stopping_met=False,
                        stopping_p=0.472)
    text = methods_paragraph(c, ctx)
    assert "stopped before the stopping rule's test (hypergeometric) was met (p = 0.47)" in text
    assert "target recall is not assured (estimated recall 96%)" in text
    assert "Screening stopped by a stopping rule" not in text


def test_funnel_line_stops_at_the_unfinished_stage(records, finals):
    from screening.prisma.counts import compute_counts
    from screening.prisma.report import funnel_line

    ta, ft = finals
    assert funnel_line(compute_counts(records, ta, ft)) == "25 → 16 → 10 → 9 → 5"
    assert funnel_line(compute_counts(records, ta.iloc[:3], None)) == \
        "25 → 16 → title/abstract screening in progress (3 of 16 screened)"
    assert funnel_line(compute_counts(records, ta, ft.iloc[:4])) == \
        "25 → 16 → 10 → 10 → full-text assessment in progress (4 of 10 assessed)"


def test_methods_paragraph_does_not_report_unfinished_work_as_final(records, finals):
    from screening.prisma.counts import compute_counts

    ta, ft = finals
    ctx = ReportContext(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64)
    text = methods_paragraph(compute_counts(records), ctx)
    assert text.endswith("Title/abstract screening of the 16 records has not started.")
    text = methods_paragraph(compute_counts(records, ta, None), ctx)
    assert text.endswith("10 reports were sought for retrieval. Full-text assessment has not started.")
    text = methods_paragraph(compute_counts(records, ta, ft.iloc[:6]), ctx)
    assert ("Of the 10 reports, 0 could not be retrieved and 10 are being assessed for eligibility; 6 have been "
            "assessed so far, of which 1 was excluded (wrong study design, n = 1).") in text
    assert text.endswith("So far, 5 studies (5 reports) have been included.")
    text = methods_paragraph(compute_counts(records, ta, ft), ctx)
    assert text.endswith("In total, 5 studies (5 reports) were included in the review.")


def test_methods_paragraph_with_only_unsettled_decisions_says_screening_began(records, finals):
    from screening.prisma.counts import compute_counts

    ta, _ = finals
    ctx = ReportContext(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64)
    in_play = list(records.loc[records["duplicate_of"] == "", "record_id"])
    text = methods_paragraph(compute_counts(records, ta_open=in_play[:4]), ctx)
    assert "has not started" not in text and "are being screened" in text
    assert "0 of 16 records had been screened, and 4 more were decided by one reviewer or in conflict." in text
    sought = list(ta.loc[ta["decision"] == "include", "record_id"])
    text = methods_paragraph(compute_counts(records, ta, None, ft_open=sought[:1]), ctx)
    assert "Full-text assessment has not started" not in text and "none has been assessed so far." in text


def test_methods_paragraph_with_no_record_left_to_screen(records):
    from screening.prisma.counts import compute_counts

    ctx = ReportContext(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64)
    none_left = records.assign(rule_decision="exclude", rule_reasons=[["off-topic"]] * len(records))
    text = methods_paragraph(compute_counts(none_left), ctx)
    assert text.endswith("No record was left to screen, so no study was included.")
    assert "has not started" not in text and "were screened" not in text and "were included" not in text


def test_undated_searches_are_said_once(records):
    from screening.prisma.counts import compute_counts

    ctx = ReportContext(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64,
                        searches=searches_frame([{"database": "Lens.org", "interface": "lens.org"},
                                                 {"database": "EconLit", "interface": "EBSCOhost"}]))
    text = methods_paragraph(compute_counts(records), ctx)
    assert text.startswith("We searched Lens.org (via lens.org) and EconLit (via EBSCOhost). The dates of the "
                           "searches are not recorded in the review state.")


def test_skip_unchanged_keeps_files_of_the_same_state(review, records, finals, tmp_path):
    ta, ft = finals
    out = tmp_path / "s"
    first = generate(review, out, records=records, ta_finals=ta, ft_finals=ft)
    stamps = {k: p.stat().st_mtime_ns for k, p in first.files.items()}
    again = generate(review, out, records=records, ta_finals=ta, ft_finals=ft, skip_unchanged=True)
    assert {k: p.stat().st_mtime_ns for k, p in again.files.items()} == stamps
    assert again.summary() == first.summary() and again.citation == first.citation
    (out / "report.html").unlink()                      # a missing file means: write everything again
    generate(review, out, records=records, ta_finals=ta, ft_finals=ft, skip_unchanged=True)
    assert (out / "report.html").is_file()
    changed = generate(review, out, records=records, ta_finals=ta.iloc[:-1], ft_finals=ft, skip_unchanged=True)
    assert json.loads((out / "prisma.json").read_text())["state_hash"] == changed.state.state_hash


def test_outputs_of_the_same_state_are_kept_without_building_the_reports_context(review, records, finals,
                                                                                tmp_path, monkeypatch):
    # the context (ranking facts, agreement, methods) was a third of a no-change run at 65k
    import screening.prisma.api as api

    ta, ft = finals
    out = tmp_path / "s"
    generate(review, out, records=records, ta_finals=ta, ft_finals=ft)
    built = []
    real = api._context
    monkeypatch.setattr(api, "_context", lambda *a, **k: built.append(1) or real(*a, **k))
    generate(review, out, records=records, ta_finals=ta, ft_finals=ft, skip_unchanged=True)
    assert built == []
    generate(review, out, records=records, ta_finals=ta.iloc[:-1], ft_finals=ft, skip_unchanged=True)
    assert built == [1]


def test_reports_of_stages_not_enabled_are_ignored(review, records, finals, tmp_path):
    ta, ft = finals
    review.output_dir.mkdir(parents=True, exist_ok=True)
    (review.output_dir / "apply_rules.json").write_text(json.dumps({"reasons": {"stale": 5}}), encoding="utf-8")
    res = generate(review, tmp_path / "r", records=records, ta_finals=ta, ft_finals=ft)
    assert "apply_rules" not in res.state.stage_reports
    assert res.counts.automation_rules_reasons == {"off-topic: not about fire": 1,
                                                   "publication type: book chapter": 1}


def test_methods_paragraph_states_recorded_single_and_dual_screening(review, records, finals, tmp_path):
    ta, ft = finals
    ta = ta.copy()
    ta.loc[:5, "resolved_by"] = "single"            # 6 screened once, 8 agreed, 2 adjudicated
    ta.loc[6:7, "resolved_by"] = "adjudication"
    md = generate(review, tmp_path / "p", records=records, ta_finals=ta, ft_finals=ft).files["md"].read_text()
    assert ("10 of the 16 settled records (62%) were screened independently by two reviewers and 6 by one, "
            "and the 2 disagreements were resolved by an adjudicator.") in md
    # 1 of the 10 full-text reports was not retrieved: nobody assessed it
    assert ("Full-text decisions on 10 reports were made by the review team; 1 report could not be retrieved; "
            "all 9 assessed reports were assessed independently by two reviewers") in md


def test_dual_assessment_sentence_leaves_out_reports_not_retrieved(review, records, finals, tmp_path):
    """Acceptance testing: 'all 16 reports settled so far were assessed independently by two
    reviewers' while 2 of the 16 were not retrieved (and the paragraph said 14 were assessed)."""
    from screening.prisma.context import StageScreening
    from screening.prisma.methods import _how_screened

    ta, ft = finals
    ft = ft.copy()
    ft.loc[8, "decision"], ft.loc[8, "reason"] = "not_retrieved", ""     # 2 not retrieved, 8 assessed
    ft.loc[0, "resolved_by"] = "adjudication"
    text = generate(review, tmp_path / "p", records=records, ta_finals=ta,
                    ft_finals=ft).files["md"].read_text()
    assert ("Full-text decisions on 10 reports were made by the review team; 2 reports could not be retrieved; "
            "all 8 assessed reports were assessed independently by two reviewers, and the 1 disagreement was "
            "resolved by an adjudicator.") in text
    assert "2 could not be retrieved and 8 were assessed for eligibility" in text      # the same 8
    # in progress, and with one reviewer per report
    s = StageScreening(("alice", "bob"), single=0, agreement=14, adjudication=0, not_retrieved=2)
    assert _how_screened("X", "reports", "assessed", s, True) == (
        "X by 2 reviewers (alice and bob); 2 reports could not be retrieved; all 14 reports assessed so far were "
        "assessed independently by two reviewers, with no disagreement to resolve.")
    s = StageScreening(("alice",), single=5, agreement=0, adjudication=0, not_retrieved=1)
    assert "1 report could not be retrieved; each of the 5 assessed reports was assessed by one reviewer." in \
        _how_screened("X", "reports", "assessed", s, False)
    s = StageScreening(("alice",), single=0, agreement=0, adjudication=0, not_retrieved=2)
    assert _how_screened("X", "reports", "assessed", s, True).endswith(
        "2 reports could not be retrieved; no report has been assessed yet.")
    # title/abstract: no 'not retrieved' there, the sentence is as before
    s = StageScreening(("alice", "bob"), single=0, agreement=16, adjudication=0)
    assert "all 16 records settled so far were screened independently" in \
        _how_screened("X", "records", "screened", s, True)


def test_methods_paragraph_counts_standing_screeners_and_never_rounds_to_all():
    """Acceptance testing: an adjudicator's decision made and undone listed them among the
    screeners ('3 reviewers (alice, bob and carol)'), and 262 of 263 read '(100%)'."""
    import pandas as pd

    from screening.prisma.context import stage_screening
    from screening.prisma.methods import _share

    rows = [(1, "r1", "alice", "include"), (2, "r1", "bob", "include"), (3, "r2", "alice", "exclude"),
            (4, "r2", "carol", "include"), (5, "r2", "carol", "undo")]
    entries = pd.DataFrame([{"id": i, "record_id": r, "reviewer": who, "action": a, "stage": "title_abstract",
                             "role": "screener", "reason": "", "note": "", "payload": "{}",
                             "created_at": f"2024-01-0{i}T00:00:00Z", "is_demo": 0, "event_uuid": str(i)}
                            for i, r, who, a in rows])
    finals = pd.DataFrame({"record_id": ["r1", "r2"], "decision": ["include", "exclude"],
                           "reason": ["", ""], "resolved_by": ["agreement", "single"]})
    assert stage_screening(entries, finals, "title_abstract").screeners == ("alice", "bob")
    assert [_share(262, 263), _share(1, 263), _share(5, 8), _share(263, 263), _share(0, 9)] == [
        "99.6%", "0.4%", "62%", "100%", "0%"]
    assert _share(99999, 100000) == "99.999%"


def test_methods_paragraph_orders_decisions_by_the_ranking_each_one_records(records, finals):
    """Acceptance testing: the paragraph named the latest model ('in the order of a relevance
    ranking (510e...)') although every demo decision had been made in file order."""
    from screening.prisma.counts import compute_counts

    ta, ft = finals
    c = compute_counts(records, ta, ft)
    base = dict(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64, models=("510e248587acb930",))
    text = methods_paragraph(c, ReportContext(**base, ranking_use={"file_order": 40}))
    assert "Records were screened in file order; no relevance ranking had been trained" in text
    assert "510e248587acb930" not in text
    text = methods_paragraph(c, ReportContext(**base, ranking_use={"file_order": 6, "ranked": 30, "sample": 4},
                                              ranking_spec="tfidf+svm+balanced+max"))
    assert ("Of the screeners' 40 title/abstract decisions, 30 were made in the order of a relevance ranking "
            "(tfidf+svm+balanced+max), retrained as decisions were made; 6 in file order, before the ranker "
            "had both an included and an excluded record; and 4 on a random sample of the unscreened records "
            "(the stopping rule's test).") in text
    text = methods_paragraph(c, ReportContext(**base, ranking_use={"typed": 984}))
    assert ("All 984 of the screeners' title/abstract decisions were made outside a screening session, one record "
            "at a time (in an order the log does not record).") in text
    # an older log's decisions of no recognised ranking id: their order is not known
    text = methods_paragraph(c, ReportContext(**base, ranking_use={"unknown": 984}))
    assert "All 984 of the screeners' title/abstract decisions were made in an order that was not recorded." in text
    text = methods_paragraph(c, ReportContext(**base, ranking_use={"imported:native": 984}))
    assert "All 984 of the screeners' title/abstract decisions were imported from a decisions file." in text
    text = methods_paragraph(c, ReportContext(**base, ranking_use={"imported:rayyan": 10, "ranked": 5}))
    assert "Of the screeners' 15 title/abstract decisions, 5 were made in the order of a relevance ranking" in text
    assert "retrained as decisions were made; 10 were made in Rayyan and imported." in text
    assert "relevance ranking (510e248587acb930)" in methods_paragraph(c, ReportContext(**base))   # no log
    text = methods_paragraph(c, ReportContext(**base, ranking_use={"static": 3, "ranked": 9},
                                              ranking_spec="tfidf+svm+balanced+max"))
    assert ("retrained as decisions were made; 3 in the order of a relevance ranking (tfidf+svm+balanced+max) "
            "that was not retrained during screening.") in text
    text = methods_paragraph(c, ReportContext(**base, ranking_use={"table": 12}))
    assert ("All 12 of the screeners' title/abstract decisions were made in the order of the records table "
            "(no relevance ranking was configured).") in text


def test_ranking_ids_say_when_no_classifier_was_trained():
    from screening.ml.learner import model_id

    assert model_id({"mode": "file-order", "seed": 1}).startswith("file-order-")
    assert model_id({"mode": "prior-similarity", "seed": 1}).startswith("similarity-")
    assert model_id({"mode": "classifier", "seed": 1}).startswith("ranker-")


def test_methods_paragraph_counts_disagreements_still_open():
    """Acceptance testing: 'the 3 disagreements are resolved by an adjudicator' while 24 were open."""
    from screening.prisma.context import StageScreening
    from screening.prisma.methods import _how_screened

    s = StageScreening(("alice", "bob"), single=0, agreement=20, adjudication=3, open_conflicts=24)
    text = _how_screened("Titles and abstracts of 50 records are being screened", "records", "screened", s, True)
    assert "and 3 disagreements have been resolved by an adjudicator (24 disagreements await adjudication)." in text
    s = StageScreening(("alice", "bob"), single=0, agreement=20, adjudication=0, open_conflicts=1)
    assert _how_screened("X", "records", "screened", s, True).endswith(", and 1 disagreement awaits adjudication.")


def test_kappa_counts_only_records_still_in_screening():
    """Acceptance testing: after a rule change took 2 records out of screening, the paragraph's
    counts left their decisions out but the kappa kept them (κ 1.00 over 'all 9 records')."""
    import pandas as pd

    from screening.prisma.state import _agreement

    rows = []
    for i, (a, b) in enumerate([("include", "include"), ("exclude", "exclude"), ("include", "exclude"),
                                ("exclude", "exclude"), ("include", "include")]):
        for who, d in (("alice", a), ("bob", b)):
            rows.append({"id": len(rows) + 1, "record_id": str(i), "stage": "title_abstract", "reviewer": who,
                         "role": "screener", "action": d, "reason": "", "note": "", "payload": "{}",
                         "created_at": "2024-01-01T00:00:00Z", "is_demo": 0, "event_uuid": str(len(rows))})
    entries = pd.DataFrame(rows)
    with_all = _agreement(entries)[0]["title_abstract"]
    without_disagreement = _agreement(entries, in_play={"0", "1", "3", "4"})[0]["title_abstract"]
    assert with_all < 1.0 and without_disagreement == 1.0
    # both excluded every record they shared: κ is undefined, and the agreement is counted
    from screening.prisma.state import _agreement

    kappa, unanimous = _agreement(entries, in_play={"1", "3"})
    assert kappa == {} and unanimous == {"title_abstract": 2}
    assert _agreement(entries)[1] == {}
    # three reviewers on the same 2 records are 2 records, not 3 pairs x 2 (review of the change)
    carol = entries[entries["reviewer"] == "bob"].assign(reviewer="carol", id=lambda d: d["id"] + 100,
                                                        event_uuid=lambda d: "c" + d["event_uuid"])
    assert _agreement(pd.concat([entries, carol]), in_play={"1", "3"})[1] == {"title_abstract": 2}


def test_methods_paragraph_reads_one_in_the_singular(records, finals):
    """A cited paragraph said '1 studies (1 reports) were included' and 'the 1 records'."""
    from screening.prisma.counts import compute_counts

    ta, ft = finals
    ft = ft.copy()
    ft["decision"] = ["include"] + ["exclude"] * 8 + ["not_retrieved"]
    ft["reason"] = [""] + ["wrong outcome"] * 8 + [""]
    c = compute_counts(records, ta, ft)
    ctx = ReportContext(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64)
    text = methods_paragraph(c, ctx)
    assert "In total, 1 study (1 report) was included in the review." in text
    assert "and 9 were assessed for eligibility; 8 were excluded (wrong outcome, n = 8)." in text
    c = compute_counts(records, ta.iloc[:15], ft, stopped=True)
    text = methods_paragraph(c, ReportContext(review_name="w", title="W", tool_version="9.9.9",
                                              state_hash="f" * 64, stopping_rule="hypergeometric"))
    assert "the 1 record left unscreened is reported as excluded by automation tools." in text
    # ... and the screening sentence counts what people read (it said all 16 were screened)
    assert "Titles and abstracts of 15 of the 16 records were screened" in text, text
    # stopped with every record screened (UAT: 'the 0 records nobody screened are reported ...')
    c = compute_counts(records, ta, ft, stopped=True)
    text = methods_paragraph(c, ReportContext(review_name="w", title="W", tool_version="9.9.9",
                                              state_hash="f" * 64, stopping_rule="hypergeometric"))
    assert "; no record was left unscreened." in text and "0 records" not in text


def test_screening_sentences_read_one_in_the_singular():
    from screening.prisma.context import StageScreening
    from screening.prisma.methods import _how_screened
    from screening.prisma.methods_ordering import ordering_sentence

    s = StageScreening(("alice", "bob"), single=0, agreement=3, adjudication=1)
    assert _how_screened("X", "records", "screened", s, False).endswith(
        ", and the 1 disagreement was resolved by an adjudicator.")
    assert _how_screened("X", "records", "screened", s, True).endswith(
        ", and the 1 disagreement has been resolved by an adjudicator.")
    ctx = ReportContext(review_name="w", title="W", tool_version="9", state_hash="f" * 64,
                        ranking_use={"ranked": 1, "file_order": 4})
    assert ordering_sentence(ctx).startswith("Of the screeners' 5 title/abstract decisions, 1 was made in the order of a "
                                              "relevance ranking")
    assert "retrained as decisions were made; 4 in file order, before" in ordering_sentence(ctx)
    ctx = ReportContext(review_name="w", title="W", tool_version="9", state_hash="f" * 64,
                        ranking_use={"ranked": 1})
    assert ordering_sentence(ctx).startswith("The screeners' one title/abstract decision was made in the order of")
    search = searches_frame([{"database": "PubMed", "query": "fire", "date_run": "2024-01-02", "records": 1}])
    ctx = ReportContext(review_name="w", title="W", tool_version="9", state_hash="f" * 64, searches=search)
    from screening.prisma.methods import _search_sentence

    assert _search_sentence(ctx.searches) == 'We searched PubMed using “fire” (searched 2024-01-02; 1 record).'
    # a source's notes say what the team knows of it, e.g. which sources an update added (UAT)
    update = searches_frame([{"database": "PubMed", "query": "fire", "date_run": "2022-12-07"},
                             {"database": "Scopus", "query": "fire", "date_run": "2023-06-01", "notes": "update search"}])
    assert _search_sentence(update) == ('We searched PubMed using “fire” (searched 2022-12-07) and Scopus using “fire” '
                                        '(searched 2023-06-01; update search).')


def test_methods_paragraph_names_the_reports_to_assess_while_full_text_goes_on(review, records, finals, tmp_path):
    """Acceptance testing: 'Full-text decisions on 28 reports are being made' named the settled
    count as if it were the reports being assessed; in progress, it now names the reports
    sought and then how many are settled so far."""
    ta, ft = finals
    md = generate(review, tmp_path / "p", records=records, ta_finals=ta, ft_finals=ft.iloc[:-2]).files["md"]
    text = md.read_text()
    sought = int((ta["decision"] == "include").sum())
    assert f"Full texts of {sought} reports are being assessed by the review team; all 8 reports settled so far" in text
    assert "are being made" not in text


def test_methods_paragraph_names_databases_and_registers_as_the_counts_classify_them(records):
    """Acceptance testing: '645 records were identified from 5 databases and registers' when no
    source was a register ([prisma] registers lists none)."""
    from screening.prisma.counts import compute_counts

    ctx = ReportContext(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64)
    text = methods_paragraph(compute_counts(records), ctx)
    assert "In total 25 records were identified from 3 databases." in text
    assert "register" not in text
    text = methods_paragraph(compute_counts(records, registers=("Lens.org",)), ctx)
    assert "In total 25 records were identified from 2 databases and 1 register." in text
    only = records.assign(source_db="ClinicalTrials.gov")
    text = methods_paragraph(compute_counts(only, registers=("ClinicalTrials.gov",)), ctx)
    assert "In total 25 records were identified from 1 register." in text


def test_query_with_its_own_quote_marks_is_quoted_once(review):
    """Acceptance testing: the PubMed query '"gambling"[tiab] AND harm*[tiab]' was printed as
    'using ""gambling"[tiab] AND harm*[tiab]"': straight quotes around a query holding its own."""
    from screening.prisma.methods import _search_sentence

    query = '"gambling"[tiab] AND harm*[tiab]'
    log = review.output_dir / "search_log.jsonl"
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps({"database": "PubMed", "interface": "E-utilities", "query": query,
                               "date_run": "2024-05-01", "records": 200}) + "\n", encoding="utf-8")
    text = _search_sentence(load_searches(review))
    assert f"PubMed using “{query}” (via E-utilities; searched 2024-05-01; 200 records)" in text
    assert '""' not in text


def test_warnings_count_decisions_and_the_records_they_are_on(review, records, tmp_path):
    """Acceptance testing: '1 title/abstract decision(s) concern records not in screening' when
    alice and bob had both decided that one record (a duplicate): the count was of records."""
    from screening.decisions.store import Event, open_store
    from screening.prisma.counts import compute_counts

    dup = next(iter(records.loc[records["duplicate_of"] != "", "record_id"]))
    kept = [r for r in records.loc[records["duplicate_of"] == "", "record_id"]
            if r not in ("lens_9_of_343-00001", "lens_9_of_343-00003")]     # in screening
    review.decisions_path.parent.mkdir(parents=True, exist_ok=True)
    with open_store(review.decisions_path) as store:
        store.append([Event(record_id=dup, stage="title_abstract", reviewer=who, action="include")
                      for who in ("ana", "ben")]
                     + [Event(record_id=dup, stage="full_text", reviewer="ana", action="exclude",
                              reason="wrong outcome")]
                     # excluded at title/abstract, yet two full-text decisions (an older log)
                     + [Event(record_id=kept[0], stage="title_abstract", reviewer="ana", action="exclude",
                              reason="wrong population")]
                     + [Event(record_id=kept[0], stage="full_text", reviewer=who, action="include")
                        for who in ("ana", "ben")])
    warnings = generate(review, tmp_path / "p", records=records).summary()["warnings"]
    assert f"2 title/abstract decisions on 1 record not in screening (duplicates, rule-excluded or unknown " \
           f"ids), e.g. {dup}; not counted" in warnings
    assert (f"1 full-text decision on 1 record not included at title/abstract or no longer in screening (a "
            f"duplicate or rule-excluded now), e.g. {dup}; not counted") in warnings
    assert f"2 full-text decisions on 1 record no longer included at title/abstract (e.g. {kept[0]}): " \
           "not counted" in warnings
    # finals alone (the library call): the records are counted, the decisions are not claimed
    import pandas as pd

    ta = pd.DataFrame({"record_id": [dup, kept[1]], "decision": ["include", "exclude"]})
    c = compute_counts(records, ta)
    assert any(w.startswith("title/abstract decisions on 1 record not in screening") for w in c.warnings)


def test_report_says_how_many_possible_duplicate_pairs_are_undecided(tmp_path, records, finals):
    """Acceptance testing: 14 maybe-pairs awaited dedup-review and nothing in the PRISMA report
    said so, though the copies in each pair were counted as separate records."""
    from screening.dedup.store import record_decision

    toml = tmp_path / "d.toml"
    toml.write_text(TOML + "\n[dedup]\n", encoding="utf-8")
    review = load_review(toml)
    review.output_dir.mkdir(parents=True)
    pairs = [{"id_a": a, "id_b": b, "score": 0.9, "reason": "pages differ"} for a, b in ("ab", "cd", "ef")]
    (review.output_dir / "dedup.json").write_text(json.dumps(
        {"stage": "dedup", "counts": {"maybe_pairs": 3}, "details": {"maybe_pairs": pairs}}), encoding="utf-8")
    ta, ft = finals
    first = generate(review, tmp_path / "a", records=records, ta_finals=ta, ft_finals=ft)
    md = first.files["md"].read_text()
    assert ("3 possible duplicate pairs found by the deduplication stage were not yet reviewed; the records of "
            "each such pair are counted separately.") in md
    assert any(w.startswith("3 possible duplicate pairs were undecided when these counts were made")
               for w in first.summary()["warnings"])
    doc = json.loads(first.files["json"].read_text())
    assert doc["possible_duplicate_pairs"] == {"undecided": 3, "decided_not_applied": 0}
    assert doc["funnel"] == "25 → 16 → 10 → 9 → 5"                     # the counts are not changed
    # a pair decided since dedup ran is not undecided, but not applied either (the table is older)
    record_decision(review.output_dir, "d", "c", "distinct", "ana")
    second = generate(review, tmp_path / "b", records=records, ta_finals=ta, ft_finals=ft)
    md = second.files["md"].read_text()
    assert "2 possible duplicate pairs found by the deduplication stage were not yet reviewed" in md
    assert ("A further 1 possible duplicate pair was decided after deduplication last ran and is not applied "
            "to these counts.") in md
    assert second.state.state_hash != first.state.state_hash
    record_decision(review.output_dir, "c", "d", "reopen", "ana")        # withdrawn: undecided again
    third = generate(review, tmp_path / "c", records=records, ta_finals=ta, ft_finals=ft)
    assert json.loads(third.files["json"].read_text())["possible_duplicate_pairs"]["undecided"] == 3


def _outputs(out):
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


def test_outputs_are_replaced_as_a_set_or_not_at_all(review, records, finals, tmp_path, monkeypatch):
    """A failure (or Ctrl-C) part-way through writing leaves every old output as it was, with
    no temporary file behind, and the files are renamed into place with prisma.json last."""
    import os

    import screening.prisma.api as api

    ta, ft = finals
    out = tmp_path / "p"
    generate(review, out, records=records, ta_finals=ta, ft_finals=ft)
    old = _outputs(out)
    assert sorted(old) == sorted(api.OUTPUT_NAMES)

    def interrupted(*args, **kwargs):          # the csv, diagrams and report.md are rendered by now
        raise KeyboardInterrupt

    monkeypatch.setattr(api, "to_html", interrupted)
    with pytest.raises(KeyboardInterrupt):
        generate(review, out, records=records, ta_finals=ta.iloc[:-1], ft_finals=ft)   # another state
    assert _outputs(out) == old
    assert sorted(p.name for p in out.iterdir()) == sorted(api.OUTPUT_NAMES)     # nothing else left
    monkeypatch.undo()

    renamed = []
    real_replace = os.replace

    def replace(src, dst):                        # os.replace into the output folder (not staging)
        if os.path.dirname(dst) == str(out):
            renamed.append(os.path.basename(dst))
            if len(renamed) == 3:                 # killed between two renames
                raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(api.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt):
        generate(review, out, records=records, ta_finals=ta.iloc[:-1], ft_finals=ft)
    monkeypatch.undo()
    assert "prisma.json" not in renamed
    # the half-replaced set has no prisma.json at all (the old one went first: code review,
    # an old one would pass the mixed set as current if the state returned to the old one)
    assert sorted(p.name for p in out.iterdir()) == sorted(n for n in api.OUTPUT_NAMES if n != "prisma.json")
    back = generate(review, out, records=records, ta_finals=ta, ft_finals=ft, skip_unchanged=True)  # old state
    assert json.loads((out / "prisma.json").read_text())["state_hash"] == back.state.state_hash
    assert _outputs(out) == old                    # regenerated, not kept as it was
    new = generate(review, out, records=records, ta_finals=ta.iloc[:-1], ft_finals=ft, skip_unchanged=True)
    assert json.loads((out / "prisma.json").read_text())["state_hash"] == new.state.state_hash
    assert (out / "prisma.csv").read_bytes() != old["prisma.csv"]
    renamed.clear()
    monkeypatch.setattr(api.os, "replace", lambda src, dst: (
        os.path.dirname(dst) == str(out) and renamed.append(os.path.basename(dst)), real_replace(src, dst)))
    generate(review, out, records=records, ta_finals=ta, ft_finals=ft)
    assert renamed[-1] == "prisma.json" and sorted(renamed) == sorted(api.OUTPUT_NAMES)


def test_a_later_run_removes_what_a_killed_one_left(review, records, finals, tmp_path):
    """A process killed outright (SIGKILL) cleans nothing up: the next generate() removes its
    staging folder and temporary files, but not a live process's staging folder."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import screening.prisma.api as api

    ta, ft = finals
    out = tmp_path / "p"
    generate(review, out, records=records, ta_finals=ta, ft_finals=ft)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    host = socket.gethostname()
    killed = out / f"{api.STAGING_PREFIX}{host}-{dead}-abc123"
    killed.mkdir()
    (killed / "prisma.csv").write_text("half", encoding="utf-8")
    live = out / f"{api.STAGING_PREFIX}{host}-{os.getpid()}-def456"
    live.mkdir()
    old_tmp = out / ".report.md.x1y2z3.tmp"
    old_tmp.write_text("half", encoding="utf-8")
    an_hour_ago = time.time() - 3600
    os.utime(old_tmp, (an_hour_ago, an_hour_ago))
    generate(review, out, records=records, ta_finals=ta.iloc[:-1], ft_finals=ft)
    assert not killed.exists() and not old_tmp.exists()
    assert live.exists()
    assert sorted(p.name for p in out.iterdir() if p != live) == sorted(api.OUTPUT_NAMES)


def test_duplicates_a_reviewer_confirmed_are_not_called_a_matching_rule(records, finals):
    """Acceptance testing (session 16): the paragraph listed 'manual, n = 6' among the rules."""
    from screening.prisma.counts import compute_counts

    ta, ft = finals
    c = compute_counts(records, ta, ft)
    ctx = ReportContext(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64,
                        dedup_ran=True, dedup_rules={"doi": 5, "manual": 2})
    text = methods_paragraph(c, ctx)
    assert "(matched by doi, n = 5; a reviewer in dedup-review, n = 2)" in text, text
    assert "manual" not in text


def test_the_methods_paragraph_rounds_kappa_once(records, finals):
    """Acceptance testing: κ = 0.8451 (`agreement` says 0.845) read "0.84" in the methods
    paragraph, rounded to 3 places in the state and then to 2."""
    from screening.prisma.counts import compute_counts
    from screening.prisma.state import _agreement

    ta, ft = finals
    entries = pd.DataFrame([
        {"id": i + 1, "record_id": f"r{i // 2}", "stage": "title_abstract", "reviewer": "ab"[i % 2],
         "role": "screener", "action": a, "reason": "", "note": "", "payload": "{}", "is_demo": 0,
         "created_at": f"2024-01-01T00:00:{i:02d}", "event_uuid": str(i), "ranking_id": ""}
        for i, a in enumerate(["include", "include", "exclude", "exclude", "include", "exclude"] * 3)])
    k = _agreement(entries)[0]["title_abstract"]
    assert k != round(k, 3)                       # unrounded in the state
    c = compute_counts(records, ta.iloc[:12], ft.iloc[:5])
    ctx = ReportContext(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64,
                        kappa={"title_abstract": 0.8451})
    assert "Cohen's κ) was 0.85 at title/abstract screening" in methods_paragraph(c, ctx)


def test_rules_changed_after_screening_are_not_called_predefined(records, finals):
    """Acceptance testing: a rule added after screening excluded 35 screened records, and the
    methods paragraph said 'Predefined eligibility rules marked 56 records as ineligible
    before screening'."""
    import dataclasses

    from screening.prisma.counts import compute_counts

    ta, ft = finals
    c = dataclasses.replace(compute_counts(records, ta.iloc[:12], ft.iloc[:5]), automation_rules=56,
                            automation_rules_reasons={"Sleep": 35, "Published before 2010": 21})
    base = dict(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64)
    assert "Predefined eligibility rules marked 56 records as ineligible before screening" in \
        methods_paragraph(c, ReportContext(**base))
    text = methods_paragraph(c, ReportContext(**base, ruled_out_after_screening=35))
    assert "Predefined" not in text
    assert ("Eligibility rules marked 56 records as ineligible (Sleep, n = 35; Published before 2010, n = 21); the "
            "rules were changed after title/abstract screening had begun, and 35 of these records had already been "
            "screened: the screening decisions on those 35 records are not counted.") in text
    # acceptance testing (session 25): '21 before screening' was false when the changed rule also
    # excluded records nobody had screened yet; when each of those left is not on record
    assert "before screening" not in text


def test_a_stop_whose_sample_found_nothing_after_nothing_still_describes_its_sample():
    """Review: with no relevant record found at all the stop records no recall bound (0 of 0 is
    no share), and the methods sentence then dropped the sample and the p-value altogether."""
    from screening.prisma.methods_ordering import stop_test

    ctx = ReportContext(review_name="w", title="W", tool_version="9.9.9", state_hash="f" * 64, stopping_p=0.03,
                        stopping_figures={"sample_size": 97, "sample_relevant": 0, "target_recall": 0.95,
                                          "confidence": 0.95})
    said = stop_test(ctx)
    assert said.startswith("a random sample of 97 records") and "which contained no relevant record" in said
    assert said.endswith("at 95% confidence (p = 0.03)") and "bound" not in said


def test_full_text_disagreements_on_the_exclusion_reason_only_are_said_so(records, finals):
    """Acceptance testing: the methods paragraph said '5 disagreements' at full text beside
    98.3% agreement in `agreement`: 3 of them were two exclusions naming different reasons (a
    conflict, since PRISMA counts one reason per report; agreement on the decision for κ)."""
    from screening.prisma.context import stage_screening
    from screening.prisma.counts import compute_counts
    from screening.prisma.methods import _how_screened

    rows = [("r1", "alice", "screener", "exclude", "wrong outcome"), ("r1", "bob", "screener", "exclude", "wrong design"),
            ("r1", "carol", "adjudicator", "exclude", "wrong design"),
            ("r2", "alice", "screener", "include", ""), ("r2", "bob", "screener", "exclude", "wrong design"),
            ("r2", "carol", "adjudicator", "include", ""),
            ("r3", "alice", "screener", "exclude", "wrong outcome"), ("r3", "bob", "screener", "exclude", "Wrong  outcome"),
            # two maybes settled by the adjudicator: a disagreement of no reason at all (review of the change)
            ("r4", "alice", "screener", "maybe", ""), ("r4", "bob", "screener", "maybe", ""),
            ("r4", "carol", "adjudicator", "exclude", "wrong design")]
    entries = pd.DataFrame([{"id": i, "record_id": r, "reviewer": who, "action": a, "stage": "full_text",
                             "role": role, "reason": why, "note": "", "payload": "{}",
                             "created_at": f"2024-01-0{i}T00:00:00Z", "is_demo": 0, "event_uuid": str(i)}
                            for i, (r, who, role, a, why) in enumerate(rows, 1)])
    decided = pd.DataFrame({"record_id": ["r1", "r2", "r3", "r4"], "decision": ["exclude", "include", "exclude", "exclude"],
                           "reason": ["wrong design", "", "wrong outcome", "wrong design"],
                           "resolved_by": ["adjudication", "adjudication", "agreement", "adjudication"]})
    how = stage_screening(entries, decided, "full_text")
    assert (how.adjudication, how.reason_only, how.agreement) == (3, 1, 1)
    assert _how_screened("X", "reports", "assessed", how, False).endswith(
        ", and the 3 disagreements (1 of them on the exclusion reason only) were resolved by an adjudicator.")
    one = dataclasses.replace(how, adjudication=1, agreement=2)
    assert "the 1 disagreement (on the exclusion reason only) was resolved" in _how_screened(
        "X", "reports", "assessed", one, False)
    ctx = ReportContext(review_name="w", title="W", tool_version="9", state_hash="f" * 64,
                        kappa={"full_text": 0.95}, screening={"full_text": how})
    assert "Agreement between reviewers (Cohen's κ, on the decision, exclusion reasons aside) was 0.95" in \
        methods_paragraph(compute_counts(records, *finals), ctx)
    plain = dataclasses.replace(ctx, screening={"full_text": dataclasses.replace(how, reason_only=0)})
    assert "Agreement between reviewers (Cohen's κ) was 0.95" in methods_paragraph(compute_counts(records, *finals),
                                                                                  plain)
