"""Acceptance-test findings on `decide`: a decision repeated identically was logged twice (so
one undo left it standing), an undo did not say what stands now, and the state read "record
is conflict"."""

from __future__ import annotations

from pathlib import Path

from screening.decisions import api
from screening.decisions.entries import load_entries


def _actions(db: Path, reviewer: str, record: str) -> list[str]:
    e = load_entries(db)
    return list(e.loc[(e["reviewer"] == reviewer) & (e["record_id"] == record), "action"])


def test_an_identical_decision_is_not_logged_twice(review: Path, db: Path, cli) -> None:
    assert cli("decide", review, "-r", "bob", "--record", "2", "--include")[0] == 0
    code, out = cli("decide", review, "-r", "bob", "--record", "2", "--include")
    assert code == 0 and "already decided: include" in out and "nothing recorded" in out
    assert _actions(db, "bob", "2") == ["include"]
    # one undo takes it back, and says so
    code, out = cli("decide", review, "-r", "bob", "--record", "2", "--undo")
    assert code == 0 and "bob now has no decision on 2" in out
    res = api.record_decision(review, reviewer="bob", record_id="2", action="include")
    assert res.written and not res.repeated


def test_a_repeat_with_a_new_note_keeps_the_note_only(review: Path, db: Path, cli) -> None:
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude", note="rats")
    res = api.record_decision(review, reviewer="bob", record_id="2", action="exclude", note="rats")
    assert res.repeated and not res.written                       # the same note: nothing at all
    code, out = cli("decide", review, "-r", "bob", "--record", "2", "--exclude", "--note", "and mice")
    assert code == 0 and "already decided: exclude" in out and "the note is recorded" in out
    e = load_entries(db)
    assert _actions(db, "bob", "2") == ["exclude", "note"]
    assert list(e["note"]) == ["rats", "and mice"]


def test_another_reason_is_a_new_decision(review: Path, db: Path) -> None:
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude")
    res = api.record_decision(review, reviewer="bob", record_id="2", action="exclude", reason="rats only")
    assert res.written and not res.repeated
    assert _actions(db, "bob", "2") == ["exclude", "exclude"]


def test_undo_says_what_stands_now(review: Path, cli) -> None:
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude", reason="rats only")
    api.record_decision(review, reviewer="bob", record_id="2", action="include")
    code, out = cli("decide", review, "-r", "bob", "--record", "2", "--undo")
    assert code == 0 and "bob's decision is now exclude (rats only)" in out
    assert "record is in conflict" in out and "record is conflict" not in out


def test_states_read_as_english(review: Path, cli) -> None:
    code, out = cli("decide", review, "-r", "alice", "--record", "3", "--maybe")
    assert code == 0 and "record is pending" in out
    code, out = cli("decide", review, "-r", "alice", "--record", "4", "--exclude")
    assert code == 0 and "record is final: exclude" in out


def test_adjudicating_at_the_wrong_stage_points_to_the_conflict(review: Path, cli) -> None:
    for who in ("alice", "bob"):
        api.record_decision(review, reviewer=who, record_id="2", action="include")
    api.record_decision(review, reviewer="alice", record_id="2", action="include", stage="full_text")
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude", stage="full_text",
                        reason="wrong outcome")
    code, out = cli("adjudicate", review, "-r", "carol", "--record", "2", "--include")
    assert code == 6 and "no open conflict at title_abstract (it is final: include)" in out
    assert "open conflict at full_text: pass --stage full_text" in out
    code, out = cli("adjudicate", review, "-r", "carol", "--record", "3", "--include")
    assert code == 6 and "(it has no decisions yet)" in out and "--stage full_text" not in out
    assert cli("adjudicate", review, "-r", "carol", "--record", "2", "--include", "--stage", "full_text")[0] == 0


def test_an_unknown_record_id_gets_a_did_you_mean(review: Path, db: Path, cli) -> None:
    from screening.records import write_table

    from .conftest import build_table

    # long ids, as a real review has them: people copy the tail
    table = build_table()
    table["record_id"] = "20221207_gambling_harms_lens_49-000" + table["record_id"].str.zfill(2)
    table["duplicate_of"] = ""
    write_table(table, db.parent / "ingest.parquet")
    code, out = cli("decide", review, "-r", "alice", "--record", "lens_49-00045", "--include")
    assert code == 6 and "did you mean '20221207_gambling_harms_lens_49-00045'?" in out
    assert "screening status lists counts" not in out
    rv = api.Review.load(review)
    several = rv.similar_ids("LENS_49-0004")                    # ten contain it: three are named
    assert len(several) == 3 and all("lens_49-0004" in r for r in several)
    assert rv.similar_ids("20221207_gambling_harms_lens_49-00O45") == ["20221207_gambling_harms_lens_49-00045"]
    assert rv.similar_ids("nothing like it") == []
    code, out = cli("decide", review, "-r", "alice", "--record", "zzz", "--include")
    assert code == 6 and "screening export" in out
    # the same help for a decisions CSV, with its line
    csv_path = db.parent / "mine.csv"
    csv_path.write_text("record_id,decision,reviewer\n20221207_gambling_harms_lens_49-00001,include,alice\n"
                        "lens_49-00045,include,alice\n", encoding="utf-8")
    code, out = cli("decide", review, "--from", str(csv_path))
    assert code != 0 and "mine.csv:3" in out and "did you mean '20221207_gambling_harms_lens_49-00045'?" in out


def test_the_adjudicator_sees_every_note_on_the_conflict(review: Path, cli) -> None:
    """Notes made apart from a decision showed in `log` only, not in `conflicts` or the walk."""
    import json

    from .test_reviewers import declare

    declare(review, ["alice", "bob", "dave"], ["carol"])
    api.record_decision(review, reviewer="alice", record_id="2", action="include", note="RCT")
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude")
    api.record_decision(review, reviewer="alice", record_id="2", action="note", note="check the Italian cost figures")
    api.record_decision(review, reviewer="dave", record_id="2", action="note", note="same trial as 7")
    code, out = cli("conflicts", review, "-r", "carol", "--json")
    rows = {r["reviewer"]: r for r in map(json.loads, out.splitlines())}
    assert set(rows) == {"alice", "bob"}                        # rows stay one per screener
    assert rows["alice"]["note"] == "RCT | check the Italian cost figures"
    assert rows["bob"]["other_notes"] == [{"reviewer": "dave", "note": "same trial as 7"}]
    code, out = cli("conflicts", review, "-r", "carol")
    assert code == 0 and "check the Italian cost figures" in out and "same trial as 7" in out
    code, out = cli("adjudicate", review, "-r", "carol", input="s\n")
    assert code == 0 and "check the Italian cost figures" in out and "dave" in out
    # blinding as before: bob decided, so sees them; nobody else's view lists the conflict
    assert "check the Italian cost figures" in cli("conflicts", review, "-r", "bob")[1]
    assert "Italian" not in cli("conflicts", review, "-r", "dave")[1]


def test_assign_rerun_says_nothing_needed_assigning(review: Path, in_play: list[str], cli) -> None:
    code, out = cli("assign", review, "--reviewers", "alice,bob")
    assert code == 0 and f"{len(in_play)} of {len(in_play)} records at title_abstract assigned" in out
    code, out = cli("assign", review, "--reviewers", "alice,bob")
    assert code == 0 and "0 of 0" not in out
    assert f"nothing to assign: all {len(in_play)} records at title_abstract are already planned" in out


def test_one_records_log_fits_a_narrow_terminal(review: Path, cli) -> None:
    """UAT: `log --record ID` at 80 columns wrapped record ids four characters a line. The
    record is in the title instead of a column, and columns with nothing in them go."""
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    code, out = cli("log", review, "--reviewer", "alice", "--record", "2")
    assert code == 0 and "1 events on record 2" in out
    header = next(line for line in out.splitlines() if "action" in line)
    assert "record" not in header and "note" not in header and "details" not in header
    code, out = cli("log", review, "--reviewer", "alice")
    assert "record" in next(line for line in out.splitlines() if "action" in line)


def test_a_decisions_csv_with_several_bad_rows_names_them_all(review: Path, db: Path, cli) -> None:
    """UAT: an import stopped at the first bad row, so three bad rows took three runs."""
    csv_path = db.parent / "bad.csv"
    csv_path.write_text("record_id,decision,reviewer\n2,include,alice\nnope,include,alice\n3,perhaps,alice\n"
                        "4,exclude,alice\nzzz,exclude,alice\n", encoding="utf-8")
    code, out = cli("decide", review, "--from", str(csv_path))
    text = " ".join(out.split())
    assert code == 6 and "3 rows cannot be imported" in text
    assert "line 3: unknown record 'nope'" in text and "line 4:" in text and "line 6: unknown record 'zzz'" in text
    assert "bad.csv:3" in text                          # the error's own line is the first bad one
    assert _actions(db, "alice", "2") == []             # all or nothing, as before
