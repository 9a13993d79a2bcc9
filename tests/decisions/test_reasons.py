"""One key and one spelling per exclusion reason (screening.decisions.reasons), and the
places that record, compare and count reasons through it: recording stores the declared
spelling, two exclusions that differ only in case are no conflict, and PRISMA counts them
once (acceptance testing: a reason re-capitalised mid-review was counted as two)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.decisions import api
from screening.decisions.entries import Standing, load_entries
from screening.decisions.outcomes import Outcome, final_decisions, reasons_differ
from screening.decisions.reasons import (
    ReasonNames, counted_reasons, declared_reason, reason_key, same_reason,
)
from screening.errors import DecisionError
from tests.decisions.conftest import write_csv


# ---- the shared function ---------------------------------------------------------------------


def test_reason_key_ignores_case_and_spacing() -> None:
    assert reason_key("  No Impact\tOutcomes ") == reason_key("no impact outcomes") == "no impact outcomes"
    assert reason_key("") == reason_key(None) == reason_key(float("nan")) == ""
    assert same_reason("Wrong  outcome", "wrong outcome") and not same_reason("wrong outcome", "wrong outcomes")


def test_reason_key_ignores_unicode_normalisation() -> None:
    # a reason typed on macOS arrives decomposed (NFD), as acceptance test 35 typed it
    nfc, nfd = "nicht über Waldbrände", "nicht u\u0308ber Waldbra\u0308nde"
    assert nfc != nfd and reason_key(nfd) == reason_key(nfc) == "nicht über waldbrände"
    assert declared_reason(nfd, ("wrong outcome", nfc)) == nfc
    assert declared_reason(nfc, ("wrong outcome", nfd)) == nfd       # a TOML saved decomposed
    assert ReasonNames.of([nfd, nfd], [nfc])(nfd) == nfc


def test_declared_reason_gives_the_declared_spelling() -> None:
    declared = ("No impact outcomes", "not a review")
    assert declared_reason("no impact  OUTCOMES ", declared) == "No impact outcomes"
    assert declared_reason("not a review", declared) == "not a review"
    assert declared_reason("not a trial", declared) == ""
    assert declared_reason("", declared) == ""
    # two declared spellings of one reason (a TOML slip): the exact one, else the first
    assert declared_reason("Not A Review", ("not a review", "Not A Review")) == "Not A Review"
    assert declared_reason("NOT A REVIEW", ("not a review", "Not A Review")) == "not a review"


def test_the_declared_spelling_wins_over_how_often_a_spelling_was_used() -> None:
    used = ["no impact outcomes"] * 12 + ["No impact outcomes"]
    names = ReasonNames.of(used, ["No impact outcomes", "not a review"])
    assert names("no impact outcomes") == names(" NO impact outcomes") == "No impact outcomes"
    assert names("not a review") == "not a review" and names("Not A Review") == "not a review"
    assert names("something else") == "something else" and names("") == ""
    assert names.respelled == (("no impact outcomes", 12, "No impact outcomes"),)
    assert names.is_declared("no impact outcomes") and not names.is_declared("something else")


def test_an_undeclared_reason_takes_its_most_used_spelling_and_on_a_tie_the_latest() -> None:
    names = ReasonNames.of(["Off topic", "off topic", "off topic"], ["wrong outcome"])
    assert names("OFF TOPIC") == "off topic"
    assert names.respelled == (("Off topic", 1, "off topic"),)
    tie = ReasonNames.of(["off topic", "Off topic", "Off Topic", "off topic", "Off topic"])
    assert tie("off topic") == "Off topic"           # 2 against 2: the one used latest
    assert ReasonNames.of(["Off topic", "off topic"])("OFF TOPIC") == "off topic"


def test_the_finals_are_renamed_not_the_log() -> None:
    finals = pd.DataFrame({"record_id": ["1", "2", "3"], "decision": ["exclude", "exclude", "include"],
                           "reason": ["no impact outcomes", "No impact outcomes", ""], "resolved_by": "single"})
    names = ReasonNames.of(counted_reasons(finals), ["No impact outcomes"])
    out = names.rename(finals)
    assert out["reason"].tolist() == ["No impact outcomes", "No impact outcomes", ""]
    assert finals["reason"].tolist()[0] == "no impact outcomes"          # the input is left alone


def test_counted_reasons_are_in_the_order_the_reasons_were_recorded() -> None:
    def standing(rid: str, reason: str, event: int, role: str = "screener") -> Standing:
        return Standing(rid, "alice", role, "exclude", reason, "", event, "")

    finals = pd.DataFrame({"record_id": ["a", "b", "c"], "decision": "exclude",
                           "reason": ["Off topic", "off topic", "OFF topic"], "resolved_by": "single"})
    outcomes = {"a": Outcome("a", "final", "exclude", "Off topic", "single", (standing("a", "Off topic", 9),), None),
                "b": Outcome("b", "final", "exclude", "off topic", "single", (standing("b", "off topic", 3),), None),
                "c": Outcome("c", "final", "exclude", "OFF topic", "adjudication", (standing("c", "x", 1),),
                             standing("c", "OFF topic", 5, "adjudicator"))}
    assert counted_reasons(finals, outcomes) == ["off topic", "OFF topic", "Off topic"]
    # three spellings once each: the latest recorded (a's, event 9) is the one counted
    assert ReasonNames.of(counted_reasons(finals, outcomes))("off topic") == "Off topic"


# ---- recording -------------------------------------------------------------------------------


def _edit(review: Path, old: str, new: str) -> None:
    text = review.read_text(encoding="utf-8")
    assert old in text
    review.write_text(text.replace(old, new), encoding="utf-8")


def _reasons(db: Path, stage: str = "full_text") -> list[str]:
    log = load_entries(db)
    return log.loc[(log["stage"] == stage) & (log["action"] == "exclude"), "reason"].tolist()


def test_a_reason_typed_in_another_case_is_recorded_as_declared(review: Path, db: Path, in_play: list[str]) -> None:
    a, b, c, d = in_play[:4]
    for rid in (a, b, c, d):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    res = api.record_decision(review, reviewer="alice", record_id=a, action="exclude", stage="full_text",
                              reason="Wrong  Outcome")
    assert res.written and res.event.reason == "wrong outcome"
    # the same reason again, in yet another spelling, is a repeat: nothing recorded
    again = api.record_decision(review, reviewer="alice", record_id=a, action="exclude", stage="full_text",
                                reason="WRONG OUTCOME")
    assert again.repeated and not again.written
    with pytest.raises(DecisionError, match="unknown exclusion reason 'wrong outcomes'"):
        api.record_decision(review, reviewer="alice", record_id=b, action="exclude", stage="full_text",
                            reason="wrong outcomes")
    # an import row too (the native format's reason column)
    path = write_csv(review.parent / "ft.csv", ["record_id", "decision", "reason", "stage"],
                     [[b, "exclude", "Wrong Population", "full_text"], [c, "exclude", "wrong study  design", "full_text"]])
    api.import_decisions(review, path, reviewer="alice")
    assert _reasons(db) == ["wrong outcome", "wrong population", "wrong study design"]


def test_a_reason_typed_decomposed_is_recorded_as_declared(review: Path, db: Path, in_play: list[str]) -> None:
    """Acceptance test 35 (L2): 'nicht über Waldbrände' typed in NFD was refused, the message
    quoting a declared reason that looks identical; on the command line and in an import."""
    nfc, nfd = "nicht über Waldbrände", "nicht u\u0308ber Waldbra\u0308nde"
    _edit(review, 'reasons = ["wrong population"', f'reasons = ["{nfc}", "wrong population"')
    a, b = in_play[:2]
    for rid in (a, b):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    res = api.record_decision(review, reviewer="alice", record_id=a, action="exclude", stage="full_text",
                              reason=nfd)
    assert res.written and res.event.reason == nfc
    path = write_csv(review.parent / "ft.csv", ["record_id", "decision", "reason", "stage"],
                     [[b, "exclude", nfd, "full_text"]])
    api.import_decisions(review, path, reviewer="alice")
    assert _reasons(db) == [nfc, nfc]


def test_title_abstract_reasons_are_recorded_as_declared(review: Path, db: Path, in_play: list[str]) -> None:
    _edit(review, "[screening]\n", '[screening]\ntitle_abstract_reasons = ["not about estrogens", "Not a trial"]\n')
    a, b, c = in_play[:3]
    api.record_decision(review, reviewer="alice", record_id=a, action="exclude", reason="NOT ABOUT estrogens")
    # an import's joined reasons (Rayyan's) keep their separators, each part as declared
    api.record_decision(review, reviewer="alice", record_id=b, action="exclude", reason="not a trial;  Not About Estrogens")
    with pytest.raises(DecisionError, match="unknown title/abstract exclusion reason"):
        api.record_decision(review, reviewer="alice", record_id=c, action="exclude", reason="not a trial, off topic")
    assert _reasons(db, "title_abstract") == ["not about estrogens", "Not a trial;  not about estrogens"]


# ---- conflicts and counts --------------------------------------------------------------------


def test_two_exclusions_differing_only_in_case_are_no_reason_only_conflict(review: Path, in_play: list[str]) -> None:
    """Two reviewers exclude a report for one reason, recorded before and after the TOML
    re-capitalised it: they agree (no conflict for an adjudicator), and PRISMA counts the
    reason once under the declared spelling. A different reason is still a conflict."""
    from screening.prisma.api import generate

    _edit(review, "[screening]\n", '[screening]\nreviewers = ["alice", "bob"]\n')
    a, b = in_play[:2]
    api.assign(review, "alice,bob")
    for rid in (a, b):
        for who in ("alice", "bob"):
            api.record_decision(review, reviewer=who, record_id=rid, action="include")
    api.assign(review, "alice,bob", stage="full_text")
    api.record_decision(review, reviewer="alice", record_id=a, action="exclude", stage="full_text",
                        reason="wrong outcome")
    api.record_decision(review, reviewer="alice", record_id=b, action="exclude", stage="full_text",
                        reason="wrong outcome")
    _edit(review, '"wrong outcome"', '"Wrong outcome"')
    api.record_decision(review, reviewer="bob", record_id=a, action="exclude", stage="full_text",
                        reason="Wrong outcome")
    api.record_decision(review, reviewer="bob", record_id=b, action="exclude", stage="full_text",
                        reason="wrong population")
    open_ = api.list_conflicts(review, stage="full_text", as_adjudicator=True)
    assert sorted(set(open_["record_id"])) == [b]            # a is agreed on; b names two reasons
    entries = load_entries(review.parent.parent / "data" / "screened" / "t" / "decisions.sqlite")
    ft = final_decisions(entries, "full_text")
    assert ft.set_index("record_id").loc[a, "resolved_by"] == "agreement"
    assert not reasons_differ(tuple(Standing(a, who, "screener", "exclude", why, "", i, "") for i, (who, why) in
                                    enumerate((("alice", "wrong outcome"), ("bob", " Wrong  outcome")))))
    res = generate(review)
    assert res.counts.reports_excluded_reasons == {"Wrong outcome": 1}
    assert any("1 settled full-text exclusion was recorded as 'wrong outcome'; counted under the declared "
               "'Wrong outcome'" in w for w in res.summary()["warnings"])
