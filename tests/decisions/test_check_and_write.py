"""A decision is checked and written as one step: two sessions deciding the same record a
millisecond apart (acceptance testing saw 0.2 ms) both checked before either wrote, and both
decisions were recorded on a single-screened record, a conflict nobody planned."""

from __future__ import annotations

from pathlib import Path

import pytest

from screening.decisions import api, sharing
from screening.decisions.entries import load_entries
from screening.decisions.session import ScreeningSession
from screening.decisions.store import Event, LogMoved, SQLiteStore


def test_a_conditional_append_writes_only_onto_the_log_it_was_decided_from(db: Path) -> None:
    store = SQLiteStore(db)
    assert store.append([Event("1", "title_abstract", "alice", "include")], if_last=0) == 1
    with pytest.raises(LogMoved, match="moved on"):
        store.append([Event("2", "title_abstract", "alice", "include")], if_last=0)    # event 1 came since
    assert store.append([Event("2", "title_abstract", "alice", "include")], if_last=1) == 1
    assert list(load_entries(db)["record_id"]) == ["1", "2"]                          # nothing half-written
    store.close()


def two_reviewers(review: Path) -> None:
    review.write_text(review.read_text(encoding="utf-8").replace(
        "[screening]\n", '[screening]\nreviewers = ["alice", "bob"]\n'), encoding="utf-8")


def test_a_colleague_deciding_between_the_check_and_the_write_is_not_doubled(
        review: Path, db: Path, in_play: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    two_reviewers(review)
    alice = ScreeningSession(api.Review.load(review), "alice")
    rid = alice.current
    real = sharing.taken_meanwhile
    calls = []

    def bob_decides_right_after_the_check(*args, **kwargs):
        said = real(*args, **kwargs)
        if not calls:      # the race: alice's check has passed, her write has not happened yet
            api.record_decision(review, reviewer="bob", record_id=rid, action="exclude")
        calls.append(said)
        return said

    monkeypatch.setattr(sharing, "taken_meanwhile", bob_decides_right_after_the_check)
    alice.press("i")
    assert calls == [False, True]                      # checked again on the log as it then stood
    assert "decided by a colleague while it was on screen" in alice.message
    log = load_entries(db)
    assert list(log.loc[log["record_id"] == rid, "reviewer"]) == ["bob"]     # one decision, not two


def test_a_session_whose_write_is_overtaken_every_time_gives_up_and_records_nothing(
        review: Path, db: Path, in_play: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    alice = ScreeningSession(api.Review.load(review), "alice")
    rid = alice.current
    others = iter(r for r in in_play if r != rid)

    def someone_writes_elsewhere_after_each_check(*args, **kwargs):
        api.record_decision(review, reviewer="carol", record_id=next(others), action="exclude")
        return False

    monkeypatch.setattr(sharing, "taken_meanwhile", someone_writes_elsewhere_after_each_check)
    alice.press("i")
    assert "kept changing" in alice.message and "press the key again" in alice.message
    log = load_entries(db)
    assert rid not in set(log["record_id"]) and set(log["reviewer"]) == {"carol"}
    monkeypatch.undo()
    alice.press("i")                                     # the next try, once the log is quiet
    assert load_entries(db).query("record_id == @rid")["reviewer"].tolist() == ["alice"]



def test_the_same_decision_made_meanwhile_in_another_terminal_is_not_recorded_twice(
        review: Path, db: Path, in_play: list[str]) -> None:
    """Acceptance testing: one reviewer in two `screen` sessions (or a session while their own
    import landed) logged the same decision twice, and one undo no longer took it back."""
    first = ScreeningSession(api.Review.load(review), "bob")
    rid = first.current
    api.record_decision(review, reviewer="bob", record_id=rid, action="exclude")     # the other terminal
    first.press("e")
    first.press("\r")
    assert "you decided it so meanwhile elsewhere (exclude); nothing more recorded" in first.message
    log = load_entries(db)
    assert list(log.loc[log["record_id"] == rid, "action"]) == ["exclude"]
    assert first.current != rid                                   # the session moves on
    # a different decision is the reviewer's newer word, and says what it replaces
    second = ScreeningSession(api.Review.load(review), "bob")
    other = second.current
    api.record_decision(review, reviewer="bob", record_id=other, action="exclude")
    second.press("i")
    assert "this replaces your decision made meanwhile elsewhere (exclude)" in second.message
    log = load_entries(db)
    assert list(log.loc[log["record_id"] == other, "action"]) == ["exclude", "include"]
