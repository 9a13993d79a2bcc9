"""Bulk import formats (Rayyan, ASReview LAB) and dual-screening plans."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from screening.decisions import api
from screening.decisions.entries import assignments, load_entries
from screening.decisions.outcomes import final_decisions
from screening.decisions.plan import select_records
from screening.decisions.studies import study_links
from screening.errors import DecisionError, InputError

from .conftest import write_csv


def test_rayyan_articles_export(review: Path, db: Path, tmp_path: Path, source_rows) -> None:
    recs = source_rows.set_index("record_id")
    r1, r2, r3 = recs.loc["1"], recs.loc["2"], recs.loc["3"]
    path = write_csv(tmp_path / "articles.csv",
                     ["key", "title", "authors", "journal", "year", "abstract", "notes", "pubmed_id"], [
        ["rayyan-101", r1.title, r1.authors, "", r1.year, "",
         'RAYYAN-INCLUSION: {"Ana"=>"Included", "Ben"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong population',
         r1.pmid],
        # no pubmed_id: matched by the normalised title (case and punctuation differ)
        ["rayyan-102", r2.title.upper().rstrip("."), "", "", "", "",
         'RAYYAN-INCLUSION: {"Ana"=>"Excluded", "Ben"=>"Excluded"} | RAYYAN-EXCLUSION-REASONS: wrong outcome', ""],
        ["rayyan-103", r3.title, "", "", "", "", 'RAYYAN-INCLUSION: {"Ana"=>"Maybe"}', r3.pmid],
        ["rayyan-104", "Not screened in Rayyan", "", "", "", "", "", ""],
    ])
    res = api.import_decisions(review, path)
    assert res["format"] == "rayyan" and res["per_reviewer"] == {"Ana": 3, "Ben": 2}
    got = {(r.record_id, r.reviewer, r.action, r.reason) for r in load_entries(db).itertuples()}
    assert got == {("1", "Ana", "include", ""), ("1", "Ben", "exclude", "wrong population"),
                   ("2", "Ana", "exclude", "wrong outcome"), ("2", "Ben", "exclude", "wrong outcome"),
                   ("3", "Ana", "maybe", "")}


def test_asreview_lab_export(review: Path, db: Path, tmp_path: Path, source_rows) -> None:
    recs = source_rows
    rows = [[r.record_id, r.title, r.abstract, lab, note]
            for r, lab, note in zip(recs.head(4).itertuples(), ["1", "0", "", "0"], ["", "off topic", "", ""])]
    path = write_csv(tmp_path / "asreview_export.csv",
                     ["record_id", "title", "abstract", "included", "exported_notes_1"], rows)
    res = api.import_decisions(review, path, reviewer="eve")
    assert res["format"] == "asreview" and res["rows"] == 3
    fin = final_decisions(load_entries(db), "title_abstract").set_index("record_id")["decision"].to_dict()
    assert fin == {"1": "include", "2": "exclude", "4": "exclude"}
    assert load_entries(db).iloc[1]["note"] == "off topic"


def test_unrecognised_csv(review: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "x.csv", ["id", "verdict"], [["1", "yes"]])
    with pytest.raises(InputError, match="unrecognised decisions CSV"):
        api.import_decisions(review, path, reviewer="a")


def test_stage_column_and_reason_rules_apply_to_imports(review: Path, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", ["record_id", "decision", "stage"], [["1", "exclude", "full_text"]])
    with pytest.raises(DecisionError) as err:
        api.import_decisions(review, path, reviewer="a")
    assert err.value.line == 2 and "not in full-text review" in str(err.value)


def test_plan_sample_is_seeded_and_idempotent(review: Path, db: Path, in_play: list[str]) -> None:
    a = select_records(in_play, 0.2, seed=3)
    assert len(a) == 10 and a == select_records(in_play, 0.2, seed=3) != select_records(in_play, 0.2, seed=4)
    assert a == [r for r in in_play if r in set(a)]          # kept in screening order
    res = api.assign(review, "alice,bob", fraction=0.2, seed=3)
    assert res["record_ids"] == a and res["written"] == 50      # 10 dual, 40 marked single
    assert api.assign(review, "alice,bob", fraction=0.2, seed=3)["written"] == 0   # re-run: no-op
    plan = assignments(load_entries(db), "title_abstract")
    assert sorted(plan) == sorted(a) and set(plan.values()) == {("alice", "bob")}
    with pytest.raises(DecisionError, match="two distinct reviewers"):
        api.assign(review, "alice")
    with pytest.raises(DecisionError, match="fraction"):
        api.assign(review, "alice,bob", fraction=0)


def test_single_screened_records_settle_with_one_decision(review: Path, db: Path, in_play: list[str]) -> None:
    sample = api.assign(review, "alice,bob", fraction=0.2, seed=1)["record_ids"]
    single = next(r for r in in_play if r not in sample)
    api.record_decision(review, reviewer="alice", record_id=single, action="include")
    api.record_decision(review, reviewer="alice", record_id=sample[0], action="include")
    fin = final_decisions(load_entries(db), "title_abstract")
    assert fin["record_id"].tolist() == [single]


def test_excel_csv_encodings_and_semicolons_are_read_not_mangled(review: Path, db: Path, tmp_path: Path, cli) -> None:
    """Acceptance testing: a cp1252 decisions file was stored as 'caf\ufffd' in the append-only
    log without a word; a ';'-separated Excel CSV was refused."""
    from screening.decisions.entries import load_entries

    path = tmp_path / "bob_1252.csv"
    path.write_bytes("record_id;decision;reason;note;reviewer\r\n3;exclude;wrong outcome;café Müller £5;bob\r\n"
                     .encode("cp1252"))
    code, out = cli("decide", review, "--from", path)
    assert code == 0 and "imported 1 decision (" in out
    assert "cp1252" in out                                   # the fallback is said (stderr), not silent
    notes = load_entries(db)["note"].tolist()
    assert notes == ["café Müller £5"]
    wide = tmp_path / "alice_utf16.csv"
    wide.write_bytes("record_id,decision,note,reviewer\r\n4,include,naïve,alice\r\n".encode("utf-16"))
    res = api.import_decisions(review, wide)
    assert res["written"] == 1 and any("UTF-16" in w or "utf-16" in w for w in res["warnings"])
    assert load_entries(db)["note"].tolist()[-1] == "naïve"


def test_a_record_outside_a_full_plan_is_settled_with_a_warning(review: Path, in_play: list[str], cli) -> None:
    """Acceptance testing: records added by a later search after `assign --fraction 1` were
    settled by one decision without a word. The plan covers all records it knew: say so."""
    from screening.records import read_table, write_table

    api.assign(review, "alice,bob")
    res = api.record_decision(review, reviewer="alice", record_id=in_play[0], action="include")
    assert res.warnings == () and res.outcome.status == "pending"
    # a later search adds two records
    path = review.parent.parent / "data" / "screened" / "t" / "ingest.parquet"
    table = read_table(path)
    extra = table[table["record_id"].isin(in_play[:2])].assign(record_id=["new-1", "new-2"])
    write_table(pd.concat([table, extra], ignore_index=True), path)
    code, out = cli("decide", review, "-r", "alice", "--record", "new-1", "--include")
    assert code == 0 and "record is final: include" in out
    assert "new-1 is not in the dual-screening plan" in " ".join(out.split())
    # a calibration sample (fraction < 1) leaves records out on purpose: no warning
    assert "new-2" not in api.assign(review, "alice,bob", fraction=0.2, seed=1, replan=True)["record_ids"]
    assert api.record_decision(review, reviewer="bob", record_id="new-2", action="exclude").warnings == ()


def test_status_warns_while_a_plan_misses_records_to_screen(review: Path, in_play: list[str], cli) -> None:
    """Acceptance testing: after a search update during dual screening, the new records stayed
    single-screened until someone thought of `assign`; status said nothing. Now it names them
    and the command, at title/abstract and (for includes made since) at full text."""
    from screening.records import read_table, write_table

    api.assign(review, "alice,bob")
    assert not any("dual-screening plan" in w for w in api.status(review, as_adjudicator=True)[0]["warnings"])
    path = review.parent.parent / "data" / "screened" / "t" / "ingest.parquet"
    table = read_table(path)
    extra = table[table["record_id"].isin(in_play[:2])].assign(record_id=["new-1", "new-2"])
    write_table(pd.concat([table, extra], ignore_index=True), path)
    code, out = cli("status", review, "-r", "alice")
    flat = " ".join(out.split())
    assert code == 0 and "2 record(s) to screen at title_abstract are not in its dual-screening plan" in flat
    assert "new-1" in flat and "new-2" in flat and "screening assign REVIEW --reviewers alice,bob" in flat
    # a record decided meanwhile is settled (assign would not plan it): only the other is named
    api.record_decision(review, reviewer="bob", record_id="new-2", action="exclude")
    (warning,) = [w for w in api.status(review)[0]["warnings"] if "dual-screening plan" in w]
    assert warning.startswith("1 record(s) to screen at title_abstract") and "new-2" not in warning
    assert api.assign(review, "alice,bob")["record_ids"] == ["new-1"]
    assert not any("dual-screening plan" in w for w in api.status(review)[0]["warnings"])
    # full text: a plan made there, then a title/abstract include settled after it
    for who in ("alice", "bob"):
        api.record_decision(review, reviewer=who, record_id=in_play[0], action="include")
    api.assign(review, "alice,bob", stage="full_text")
    for who in ("alice", "bob"):
        api.record_decision(review, reviewer=who, record_id=in_play[1], action="include")
    (warning,) = [w for w in api.status(review)[0]["warnings"] if "dual-screening plan" in w]
    assert warning.startswith("1 record(s) to screen at full_text") and in_play[1] in warning
    assert "--stage full_text" in warning


def test_bytes_no_encoding_defines_are_refused_not_logged_as_replacement_characters(review: Path, db: Path,
                                                                                     tmp_path: Path, cli) -> None:
    from screening.decisions.entries import load_entries

    path = tmp_path / "dos.csv"
    path.write_bytes(b"record_id,decision,note,reviewer\r\n3,include,ok,bob\r\n4,exclude,M\x81ller,bob\r\n")
    code, out = cli("decide", review, "--from", path)
    assert code == 2 and "0x81" in out and "dos.csv:3" in out and "CSV UTF-8" in out
    assert not db.exists() or load_entries(db).empty


def test_reimport_adds_a_new_note_once_and_keeps_the_decision(review: Path, db: Path, tmp_path: Path,
                                                              source_rows, cli) -> None:
    """A later ASReview export of the same decisions with an added note: the note is appended
    as a note event (not lost as a 'skipped' row), and importing it again adds nothing."""
    recs = source_rows.head(4)

    def export(notes: list[str]) -> Path:
        rows = [[r.record_id, r.title, r.abstract, lab, note]
                for r, lab, note in zip(recs.itertuples(), ["1", "0", "0", "0"], notes)]
        return write_csv(tmp_path / "asreview_export.csv",
                         ["record_id", "title", "abstract", "included", "exported_notes_1"], rows)

    api.import_decisions(review, export(["", "off topic", "", ""]), reviewer="eve")
    res = api.import_decisions(review, export(["dose unclear", "off topic", "", "animal study"]), reviewer="eve")
    assert (res["written"], res["skipped"], res["notes_added"]) == (0, 4, 2)
    log = load_entries(db)
    notes = log[log["action"] == "note"].set_index("record_id")["note"].to_dict()
    assert notes == {"1": "dose unclear", "4": "animal study"}
    assert (log["action"] != "note").sum() == 4                       # decisions not repeated
    code, out = cli("decide", review, "--reviewer", "eve", "--from", export(["dose unclear", "off topic", "",
                                                                             "animal study"]))
    assert code == 0 and "0 decisions written" in out and "all 4 rows are already in the log" in out, out
    assert "new note" not in out
    assert len(load_entries(db)) == len(log)


def test_assign_after_a_search_update_plans_only_the_new_records(review: Path, db: Path, in_play: list[str]) -> None:
    """Acceptance testing: re-running `assign` after an update re-planned every record (139
    redundant events) and drew a new sample over everything. Planned records keep their plan;
    the sample is drawn among the unplanned ones; --replan plans everything again."""
    from screening.records import read_table, write_table

    path = review.parent.parent / "data" / "screened" / "t" / "ingest.parquet"
    table = read_table(path)
    late = in_play[-10:]                                    # 'added by the update'
    write_table(table.assign(rule_decision=[("exclude" if r in late else d)
                                            for r, d in zip(table["record_id"], table["rule_decision"])]), path)
    first = api.assign(review, "alice,bob", fraction=0.5, seed=3)
    assert (first["candidates"], first["already_planned"], first["assigned"]) == (40, 0, 20)
    write_table(table, path)                                # the update's records arrive
    again = api.assign(review, "alice,bob", fraction=0.5, seed=3)
    assert (again["candidates"], again["already_planned"], again["assigned"]) == (10, 40, 5)
    assert set(again["record_ids"]) <= set(late)
    plan = assignments(load_entries(db), "title_abstract")
    assert len(plan) == 25
    assert api.assign(review, "alice,bob", fraction=0.5, seed=3)["written"] == 0
    redo = api.assign(review, "alice,carol", fraction=1.0, replan=True)
    assert redo["candidates"] == 50 and redo["already_planned"] == 0 and redo["reopened"] == 0
    assert redo["at_full_text"] == 0
    assert set(assignments(load_entries(db), "title_abstract").values()) == {("alice", "carol")}


def test_assign_again_never_reopens_a_settled_record(review: Path, db: Path, in_play: list[str]) -> None:
    """Review finding: a plan made before single-screening marks existed (10 planned, the other
    40 settled by one screener) re-run unchanged moved 8 final records back to pending."""
    from screening.decisions.outcomes import record_outcomes
    from screening.decisions.store import Event

    chosen = select_records(in_play, 0.2, seed=3)
    rv = api.Review.load(review)
    rv.open().append([Event(record_id=r, stage="title_abstract", reviewer="plan", action="assign",
                            payload={"reviewers": ["alice", "bob"], "fraction": 0.2, "seed": 3, "plan": "old"})
                      for r in chosen])                  # an old-style plan: no single-screening marks
    rv.close()
    for rid in in_play:
        if rid not in chosen:
            api.record_decision(review, reviewer="alice", record_id=rid, action="exclude")
    finals_before = sum(o.status == "final" for o in record_outcomes(load_entries(db), "title_abstract").values())
    res = api.assign(review, "alice,bob", fraction=0.2, seed=3)
    assert (res["candidates"], res["assigned"], res["already_planned"]) == (0, 0, 50)
    after = record_outcomes(load_entries(db), "title_abstract")
    assert sum(o.status == "final" for o in after.values()) == finals_before == 40
    # --replan does reopen, on purpose, and says how many
    res = api.assign(review, "alice,bob", fraction=1.0, replan=True)
    assert res["reopened"] == 40
    assert sum(o.status == "final" for o in record_outcomes(load_entries(db), "title_abstract").values()) == 0


def test_replan_leaves_records_at_full_text_and_says_so(review: Path, cli) -> None:
    api.record_decision(review, reviewer="alice", record_id="1", action="include")
    api.record_decision(review, reviewer="alice", record_id="1", action="include", stage="full_text")
    code, out = cli("assign", review, "--reviewers", "alice,bob", "--replan")
    assert code == 0 and "49 of 49 records" in out and "1 already at full text, left as they are" in out, out


def test_an_import_that_reopens_a_settled_record_says_so(review: Path, tmp_path: Path, in_play: list[str]) -> None:
    rid = in_play[3]
    api.record_decision(review, reviewer="bob", record_id=rid, action="exclude")        # settled (single)
    path = write_csv(tmp_path / "alice.csv", ["record_id", "decision"], [[rid, "include"], [in_play[4], "exclude"]])
    res = api.import_decisions(review, path, reviewer="alice")
    assert res["written"] == 2
    assert any("1 record(s) settled at title/abstract are now in conflict" in w and rid in w
               for w in res["warnings"])


def test_an_import_that_changes_a_settled_decision_says_so(review: Path, tmp_path: Path, in_play: list[str]) -> None:
    rid = in_play[5]
    api.record_decision(review, reviewer="alice", record_id=rid, action="include")       # settled (single)
    path = write_csv(tmp_path / "alice.csv", ["record_id", "decision"], [[rid, "exclude"]])
    res = api.import_decisions(review, path, reviewer="alice")
    assert any("changed their decision with this import" in w and "include -> exclude" in w for w in res["warnings"])


def test_an_import_links_reports_into_studies_once(review: Path, db: Path, tmp_path: Path, cli) -> None:
    """A `same_study_as` column adds link_study events after the decisions (session 14
    leftover: imports did not carry study links); re-importing adds none."""
    for rid in ("3", "4", "5", "6"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    api.record_decision(review, reviewer="alice", record_id="6", action="link_study", stage="full_text", study="4")
    header = ["record_id", "decision", "reason", "stage", "same_study_as"]
    path = write_csv(tmp_path / "ft.csv", header, [["3", "include", "", "full_text", "4"],
                                                   ["4", "include", "", "full_text", ""],
                                                   ["5", "exclude", "wrong outcome", "full_text", "5"],
                                                   ["6", "include", "", "full_text", "4"]])
    code, out = cli("decide", review, "--reviewer", "alice", "--from", path)
    # row 6's link already held, but is recorded with the row: see the re-import test below
    assert code == 0 and "4 new" in out and "; 2 study links):" in out, out
    log = load_entries(db)
    links = log[log["action"] == "link_study"]
    assert [(r.record_id, json.loads(r.payload)) for r in links.itertuples()][1:] == [
        (rid, {"import": "native", "file": "ft.csv", "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
               "line": line, "study": "4"}) for rid, line in (("3", 2), ("6", 5))]
    res = api.import_decisions(review, path, reviewer="alice")
    assert (res["written"], res["links_added"]) == (0, 0) and len(load_entries(db)) == len(log)
    # a link made since is not undone by importing the file again
    api.record_decision(review, reviewer="alice", record_id="6", action="link_study", stage="full_text", study="5")
    assert api.import_decisions(review, path, reviewer="alice")["links_added"] == 0
    assert study_links(load_entries(db))["6"] == "5"
    # the reviewer's own export imports back with nothing added: its study column names the
    # group's first included report (3 for 4; 6 for 5, which is excluded), a link that already holds
    exported = tmp_path / "export.csv"
    from screening.export import export_records
    export_records(review, exported, stage="full_text", decision="all", reviewer="alice")
    study = pd.read_csv(exported, dtype=str, keep_default_na=False).set_index("record_id")["study"].to_dict()
    assert study == {"3": "3", "4": "3", "5": "6", "6": "6"}
    res = api.import_decisions(review, exported, reviewer="alice", stage="full_text")
    assert (res["written"], res["links_added"]) == (0, 0), res
    # another reviewer importing it adopts the links as his own, but not the decisions: they
    # are the records' outcomes (alice's), not decisions bob made
    res = api.import_decisions(review, exported, reviewer="bob", stage="full_text")
    assert (res["written"], res["unchanged"], res["links_added"]) == (0, 4, 2)
    bob = load_entries(db).query("reviewer == 'bob' and action == 'link_study'")
    assert [(r, json.loads(p)["study"]) for r, p in zip(bob["record_id"], bob["payload"])] == [("4", "3"), ("5", "6")]


def test_a_study_column_is_a_link_only_in_a_file_our_export_wrote(review: Path, db: Path, tmp_path: Path) -> None:
    """A team's own `study` column (a label, say) imported before links existed and still does;
    our export's undecided rows are skipped, said in a warning."""
    for rid in ("3", "4"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    theirs = write_csv(tmp_path / "theirs.csv", ["record_id", "decision", "study"], [["5", "include", "Smith 2020"]])
    res = api.import_decisions(review, theirs, reviewer="bob")
    assert (res["written"], res["links_added"]) == (1, 0)
    header = ["record_id", "stage", "status", "decision", "reason", "resolved_by", "study"]
    ours = write_csv(tmp_path / "ours.csv", header, [["3", "full_text", "final", "include", "", "single", "3"],
                                                     ["4", "full_text", "unscreened", "", "", "", "3"]])
    res = api.import_decisions(review, ours, reviewer="bob")
    assert (res["rows"], res["written"], res["links_added"]) == (1, 1, 0)
    assert res["warnings"] == ["1 row(s) without a decision (records undecided when exported) skipped"]


def test_an_imported_link_that_replaces_a_colleagues_says_so(review: Path, tmp_path: Path) -> None:
    for rid in ("3", "4", "5"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    api.assign(review, "alice,bob", fraction=1.0, stage="full_text")
    api.record_decision(review, reviewer="alice", record_id="3", action="include", stage="full_text")
    api.record_decision(review, reviewer="alice", record_id="3", action="link_study", stage="full_text", study="4")
    path = write_csv(tmp_path / "bob.csv", ["record_id", "decision", "stage", "same_study_as"],
                     [["3", "include", "full_text", "5"]])
    res = api.import_decisions(review, path, reviewer="bob")
    assert res["links_added"] == 1
    assert res["warnings"] == ["1 imported link(s) replace a colleague's link, which no longer counts (the latest "
                               "link stands): alice linked record 3 to the study of record 4; the latest link "
                               "stands, so yours replaces theirs in the counts (a disagreement over links is not "
                               "adjudicated: agree on it with them)"]


def test_an_import_refuses_a_bad_study_link_at_its_line_and_writes_nothing(review: Path, db: Path,
                                                                            tmp_path: Path) -> None:
    for rid in ("3", "4"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    before = len(load_entries(db))
    header = ["record_id", "decision", "stage", "same_study_as"]
    at_ta = write_csv(tmp_path / "ta.csv", header, [["7", "include", "title_abstract", "8"]])
    with pytest.raises(DecisionError) as err:
        api.import_decisions(review, at_ta, reviewer="alice")
    assert (err.value.line, err.value.message) == (2, "the same_study_as column links reports at the full-text stage")
    # unknown ids are listed together, with the reader's other bad rows
    unknown = write_csv(tmp_path / "unknown.csv", header, [["3", "include", "full_text", "x9"],
                                                           ["4", "include", "full_text", "x10"]])
    with pytest.raises(DecisionError, match=r"2 rows cannot be imported: line 2: unknown record 'x9' in the "
                                            r"same_study_as column; line 3: unknown record 'x10'"):
        api.import_decisions(review, unknown, reviewer="alice")
    # record 9 was never included at title/abstract: the link's target is what is wrong
    outside = write_csv(tmp_path / "ft.csv", header, [["3", "include", "full_text", ""],
                                                      ["4", "include", "full_text", "9"]])
    with pytest.raises(DecisionError) as err:
        api.import_decisions(review, outside, reviewer="alice")
    assert err.value.line == 3 and err.value.message.startswith("cannot link to record 9:"), err.value.message
    # nor may a link name a record the same file takes out of full text
    leaves = write_csv(tmp_path / "leaves.csv", header, [["4", "exclude", "title_abstract", ""],
                                                         ["3", "include", "full_text", "4"]])
    with pytest.raises(DecisionError) as err:
        api.import_decisions(review, leaves, reviewer="alice")
    assert err.value.line == 3 and err.value.message.startswith("cannot link to record 4:"), err.value.message
    assert len(load_entries(db)) == before                      # all-or-nothing: not even row 2


def test_our_export_imports_back_without_rewriting_decisions_or_newer_links(review: Path, db: Path,
                                                                           tmp_path: Path) -> None:
    """Second-round review (session 15): decisions made by hand were written again from the
    export, an adjudicated outcome replaced the screener's own decision (erasing the
    disagreement), and an older export undid a link made since."""
    from screening.export import export_records

    for rid in ("3", "4", "5", "6"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    api.assign(review, "alice,bob", fraction=1.0, stage="full_text")
    for rid in ("3", "4", "5"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include", stage="full_text")
        api.record_decision(review, reviewer="bob", record_id=rid, action="include", stage="full_text")
    api.record_decision(review, reviewer="alice", record_id="6", action="include", stage="full_text")
    api.record_decision(review, reviewer="bob", record_id="6", action="exclude", stage="full_text",
                        reason="wrong outcome")
    api.adjudicate(review, reviewer="carol", record_id="6", decision="exclude", stage="full_text",
                   reason="wrong outcome")
    api.record_decision(review, reviewer="alice", record_id="4", action="link_study", stage="full_text", study="3")
    api.record_decision(review, reviewer="alice", record_id="5", action="link_study", stage="full_text", study="3")
    out = tmp_path / "alice.csv"
    export_records(review, out, stage="full_text", decision="all", reviewer="alice")
    api.record_decision(review, reviewer="alice", record_id="5", action="link_study", stage="full_text", study="")
    before = load_entries(db)
    res = api.import_decisions(review, out, reviewer="alice")
    assert (res["format"], res["written"], res["unchanged"], res["links_added"]) == ("export", 0, 4, 0), res
    # the export's 5 -> 3 is older than alice's own ending of it: kept, and said
    assert any(w.startswith("1 link(s) in the file differ from links you made and were not applied: 5 (file: 3, "
                            "yours: its own study)") for w in res["warnings"]), res["warnings"]
    assert len(load_entries(db)) == len(before)
    six = load_entries(db).query("record_id == '6' and stage == 'full_text' and action in ('include', 'exclude')")
    assert list(zip(six["reviewer"], six["action"])) == [("alice", "include"), ("bob", "exclude"), ("carol", "exclude")]
    # an edited row is a decision: alice now excludes 3
    rows = pd.read_csv(out, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    rows.loc[rows["record_id"] == "3", ["decision", "reason"]] = ["exclude", "wrong outcome"]
    rows.to_csv(out, index=False)
    res = api.import_decisions(review, out, reviewer="alice")
    assert (res["written"], res["unchanged"]) == (1, 3)
