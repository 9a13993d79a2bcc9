"""Acceptance-test findings: `status` printed a false 'conflicts open: 0' to a blinded viewer,
and re-importing the same decisions CSV appended every row again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening.decisions import api
from screening.errors import DecisionError
from screening.decisions.entries import load_entries, standing_decisions
from screening.decisions.outcomes import final_decisions


def jsonl(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


# ---------------------------------------------------------------------------------------------
# status: a count blinding hides is said to be hidden, never shown as 0


def test_status_says_when_the_conflict_count_is_hidden(review: Path, cli) -> None:
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude")
    out = cli("status", review)[1]
    assert "conflicts open: 0" not in out
    assert "conflicts open: hidden (an adjudicator sees them" in out
    ta = jsonl(cli("status", review, "--json")[1])[0]
    assert ta["conflicts_open"] is None and ta["conflicts_scope"] == "hidden"
    # a named reviewer sees the conflicts on records they decided, and is told the scope
    out = cli("status", review, "-r", "carol")[1]
    assert "conflicts open on your records: 0" in out and "an adjudicator sees them" in out
    ta = jsonl(cli("status", review, "-r", "alice", "--json")[1])[0]
    assert (ta["conflicts_open"], ta["conflicts_scope"]) == (1, "own")
    out = cli("status", review, "--as-adjudicator")[1]
    assert "conflicts open: 1" in out
    ta = jsonl(cli("status", review, "--as-adjudicator", "--json")[1])[0]
    assert (ta["conflicts_open"], ta["conflicts_scope"]) == (1, "all")


# ---------------------------------------------------------------------------------------------
# imports are idempotent


def test_reimporting_the_same_csv_adds_nothing(review: Path, db: Path, cli, tmp_path: Path,
                                               in_play: list[str]) -> None:
    path = tmp_path / "alice.csv"
    path.write_text("record_id,decision,reason\n" + "".join(
        f"{rid},{'include' if i % 2 else 'exclude'},\n" for i, rid in enumerate(in_play[:10])))
    code, out = cli("decide", review, "-r", "alice", "--from", path)
    assert code == 0 and "(native format, 10 new)" in out
    code, out = cli("decide", review, "-r", "alice", "--from", path)
    assert code == 0 and "0 decisions written (native format): all 10 rows are already in the log" in out, out
    assert len(load_entries(db)) == 10
    # the same rows under another file name (a re-download) are the same source
    copy = tmp_path / "alice (1).csv"
    copy.write_text(path.read_text() + f"{in_play[10]},include,\n")
    res = api.import_decisions(review, copy, reviewer="alice")
    assert (res["rows"], res["written"], res["skipped"]) == (11, 1, 10)
    assert len(load_entries(db)) == 11


def test_idempotency_keeps_changed_minds_and_repeats(review: Path, db: Path, tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    # alice includes, excludes, then includes record 1 again: three events, in order
    path.write_text("record_id,decision\n1,include\n1,exclude\n1,include\n")
    assert api.import_decisions(review, path, reviewer="alice")["written"] == 3
    assert api.import_decisions(review, path, reviewer="alice")["written"] == 0
    st = standing_decisions(load_entries(db), "title_abstract")["1"][("alice", "screener")]
    assert st.decision == "include"
    # the same row by another reviewer, or with another reason, is a different decision
    assert api.import_decisions(review, path, reviewer="bob")["written"] == 3
    path.write_text("record_id,decision,reason\n1,exclude,wrong outcome\n")
    assert api.import_decisions(review, path, reviewer="alice")["written"] == 1
    # a decision made on the command line is not an import: importing the same value still counts
    api.record_decision(review, reviewer="carol", record_id="2", action="include")
    path.write_text("record_id,decision\n2,include\n")
    assert api.import_decisions(review, path, reviewer="carol")["written"] == 1


def test_a_later_file_restating_a_decision_changed_since_is_the_reviewers_latest(review: Path, db: Path,
                                                                                   tmp_path: Path) -> None:
    """Acceptance testing: weekly exports excluded, included, then excluded again left the log
    at include: week 3's row matched week 1's and was skipped as 'already in the log'."""
    def week(n: int, decision: str) -> Path:
        path = tmp_path / f"week{n}.csv"
        path.write_text(f"record_id,decision\n7,{decision}\n8,exclude\n")
        return path

    def standing(rid: str = "7") -> str:
        return standing_decisions(load_entries(db), "title_abstract")[rid][("bob", "screener")].decision

    assert api.import_decisions(review, week(1, "exclude"), reviewer="bob")["written"] == 2
    assert api.import_decisions(review, week(2, "include"), reviewer="bob")["written"] == 1
    res = api.import_decisions(review, week(3, "exclude"), reviewer="bob")
    assert (res["written"], res["skipped"]) == (1, 1) and standing() == "exclude"
    assert any("1 row(s) state a decision an earlier import logged, which a later import had changed "
               "(e.g. 7: include -> exclude)" in w for w in res["warnings"]), res["warnings"]
    # the same file twice in a row is a repeat
    assert api.import_decisions(review, week(3, "exclude"), reviewer="bob")["written"] == 0
    assert len(load_entries(db)) == 4
    # each import is the tool's word as of that import: week 2's file again says include again
    assert api.import_decisions(review, week(2, "include"), reviewer="bob")["written"] == 1
    assert standing() == "include"
    assert api.import_decisions(review, week(3, "exclude"), reviewer="bob")["written"] == 1
    assert standing() == "exclude" and len(load_entries(db)) == 6
    # within one file: its last word stands, though one of its rows repeats an earlier import
    (tmp_path / "one.csv").write_text("record_id,decision\n9,exclude\n")
    assert api.import_decisions(review, tmp_path / "one.csv", reviewer="bob")["written"] == 1
    path = tmp_path / "both.csv"
    path.write_text("record_id,decision\n9,include\n9,exclude\n")
    assert api.import_decisions(review, path, reviewer="bob")["written"] == 2 and standing("9") == "exclude"
    assert api.import_decisions(review, path, reviewer="bob")["written"] == 0       # its history, again
    # a decision changed here since (a session, `decide`) is newer than the tool's export: kept
    api.record_decision(review, reviewer="bob", record_id="8", action="include")
    res = api.import_decisions(review, week(1, "exclude"), reviewer="bob")
    assert res["written"] == 0 and standing("8") == "include"
    assert any("1 row(s) repeat an imported decision the reviewer has changed here since (e.g. 8: exclude in "
               "the file, include here): the decision made here stands" in w for w in res["warnings"])
    # nor is a decision undone here restated by a file
    api.record_decision(review, reviewer="bob", record_id="8", action="undo")
    api.record_decision(review, reviewer="bob", record_id="8", action="undo")
    assert "8" not in standing_decisions(load_entries(db), "title_abstract")
    assert api.import_decisions(review, week(1, "exclude"), reviewer="bob")["written"] == 0


def test_file_timestamps_tell_repeated_decisions_apart(review: Path, db: Path, tmp_path: Path,
                                                       source_rows) -> None:
    rows = source_rows.head(2)
    path = tmp_path / "asreview.csv"
    # no title column: ASReview's record_id is taken as ours when nothing contradicts it
    path.write_text("record_id,asreview_label,asreview_time\n" + "".join(
        f"{r.record_id},1,2024-05-0{i}T10:00:00\n" for i, r in enumerate(rows.itertuples(), 1)))
    assert api.import_decisions(review, path, reviewer="eve")["written"] == 2
    assert api.import_decisions(review, path, reviewer="eve")["written"] == 0
    ev = load_entries(db).iloc[0]
    payload = json.loads(ev["payload"])
    assert payload["decided_at"] == "2024-05-01T10:00:00" and payload["import"] == "asreview"
    # a later export where the first record was decided again (a new time) adds that event
    path.write_text(path.read_text().replace("2024-05-01T10:00:00", "2024-06-01T10:00:00"))
    res = api.import_decisions(review, path, reviewer="eve")
    assert (res["written"], res["skipped"]) == (1, 1)


def test_already_present_rows_are_not_revalidated(review: Path, db: Path, tmp_path: Path) -> None:
    """Re-importing an old export must not fail on a row that is already in the log, even if
    the review moved on (here: the full-text stage of a record since excluded)."""
    api.record_decision(review, reviewer="alice", record_id="1", action="include")
    path = tmp_path / "ft.csv"
    path.write_text("record_id,decision,stage\n1,include,full_text\n")
    assert api.import_decisions(review, path, reviewer="alice")["written"] == 1
    # the title/abstract include undone under the full-text decision (refused now, but a log
    # from an older version can hold it)
    from screening.decisions.store import Event, open_store
    with open_store(db) as store:
        store.append([Event(record_id="1", stage="title_abstract", reviewer="alice", action="undo")])
    res = api.import_decisions(review, path, reviewer="alice")
    assert (res["written"], res["skipped"]) == (0, 1)
    assert final_decisions(load_entries(db), "full_text").empty


def test_undoing_an_include_that_full_text_rests_on_is_refused(review: Path, db: Path, tmp_path: Path) -> None:
    """Acceptance testing: one `u` in the screen undid a days-old title/abstract include; the
    included study vanished from PRISMA without a word."""
    from screening.prisma.state import load_decisions
    from screening.config import load_review

    api.record_decision(review, reviewer="alice", record_id="3", action="include")
    api.record_decision(review, reviewer="alice", record_id="3", action="include", stage="full_text")
    with pytest.raises(DecisionError, match="full-text decisions resting on it") as err:
        api.record_decision(review, reviewer="alice", record_id="3", action="undo")
    assert "alice" not in err.value.message          # names nobody: the asker may be blinded
    # the way out it offers is one the tool takes (it said 'or an adjudicator settles it', and
    # `adjudicate` refuses a record with no open conflict)
    assert "adjudicat" not in err.value.hint and "--stage full_text --exclude --reason" in err.value.hint
    # ... nor by changing the decision (review: '--exclude' made it a conflict instead)
    with pytest.raises(DecisionError, match="which this exclude would end"):
        api.record_decision(review, reviewer="alice", record_id="3", action="exclude")
    # a second reviewer agreeing, or a note, leaves the include standing: allowed
    api.record_decision(review, reviewer="bob", record_id="3", action="include")
    api.record_decision(review, reviewer="alice", record_id="3", action="undo", stage="full_text")
    api.record_decision(review, reviewer="alice", record_id="3", action="undo")      # now allowed
    # a log that got there anyway (older versions) is reported, not silently dropped
    api.record_decision(review, reviewer="alice", record_id="4", action="include")
    api.record_decision(review, reviewer="alice", record_id="4", action="exclude", stage="full_text",
                        reason="wrong outcome")
    from screening.decisions.store import Event, open_store
    with open_store(db) as store:
        store.append([Event(record_id="4", stage="title_abstract", reviewer="alice", action="undo")])
    warnings = load_decisions(load_review(review))[3]
    assert any("1 full-text decision on 1 record no longer included" in w for w in warnings)
    # a new dual-screening plan leaves out records with full-text decisions (it would reopen them)
    api.record_decision(review, reviewer="alice", record_id="5", action="include")
    api.record_decision(review, reviewer="alice", record_id="5", action="include", stage="full_text")
    plan = api.assign(review, "alice,bob")["record_ids"]
    assert "5" not in plan and "6" in plan


def test_a_repeated_column_or_an_empty_file_is_refused_with_its_own_words(review: Path, db: Path, cli,
                                                                         tmp_path: Path) -> None:
    """Acceptance testing (session 16): 'record_id,decision,decision' imported the last copy;
    an empty file was told to 're-export the search results'."""
    dup = tmp_path / "dup.csv"
    dup.write_text("record_id,decision,Decision\n2,include,exclude\n")
    code, out = cli("decide", review, "-r", "alice", "--from", dup)
    assert code == 2 and "column 'Decision' appears twice in the header" in out, out
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, out = cli("decide", review, "-r", "alice", "--from", empty)
    assert code == 2 and "the decisions file is empty" in out and "re-export" not in out, out
    assert not db.exists() or load_entries(db).empty


def test_undoing_an_adjudication_says_how_to_correct_it(review: Path, cli) -> None:
    """Acceptance testing (session 16): 'cleo has no decision to undo' after cleo adjudicated
    (session 22: a new adjudication corrects it, test_adjudicate_team)."""
    api.assign(review, "alice,bob")
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude")
    code, out = cli("adjudicate", review, "-r", "carol", "--record", "2", "--include")
    assert code == 0, out
    code, out = cli("decide", review, "-r", "carol", "--record", "2", "--undo")
    assert code != 0 and "is an adjudication, which undo does not take back" in out, out
    assert "screening adjudicate REVIEW -r carol --record 2" in out, out
    code, out = cli("decide", review, "-r", "carol", "--record", "2", "--note", "should have been excluded")
    assert code == 0, out                     # what the hint offers works
