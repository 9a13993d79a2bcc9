"""Blinding: until a reviewer has decided a record, no command shows another's decision on it.

Setup: dual plan alice+bob. bob has decided records 1 (include, note BOBSECRET1) and 2
(exclude, reason 'wrong outcome', note BOBSECRET2); alice has decided record 2 only (include:
a conflict). So alice may see bob on record 2, never on record 1; carol sees nothing of
either; an adjudicator sees everything.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening.decisions import api


@pytest.fixture
def planted(review: Path) -> Path:
    api.assign(review, "alice,bob")
    api.record_decision(review, reviewer="bob", record_id="1", action="include", note="BOBSECRET1")
    api.record_decision(review, reviewer="bob", record_id="2", action="exclude", reason="wrong outcome", note="BOBSECRET2")
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    return review


def jsonl(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def test_log_is_blind(planted: Path, cli) -> None:
    code, out = cli("log", planted, "--reviewer", "alice", "--json")
    seen = {(e["reviewer"], e["record_id"], e["action"]) for e in jsonl(out) if e["action"] != "assign"}
    assert seen == {("bob", "2", "exclude"), ("alice", "2", "include")}
    code, out = cli("log", planted, "--reviewer", "alice")
    assert "BOBSECRET2" in out and "BOBSECRET1" not in out
    code, out = cli("log", planted, "--reviewer", "carol")
    assert "BOBSECRET" not in out and "bob" not in out.replace("alice,bob", "")
    code, out = cli("log", planted, "--reviewer", "alice", "--record", "1")
    assert "BOBSECRET1" not in out and "include" not in out
    code, out = cli("log", planted)
    assert "BOBSECRET" not in out and "exclude" not in out
    code, out = cli("log", planted, "--as-adjudicator")
    assert "BOBSECRET1" in out and "BOBSECRET2" in out


def test_conflicts_are_blind(planted: Path, cli) -> None:
    assert cli("conflicts", planted, "--reviewer", "carol", "--json")[1].strip() == ""
    assert "no open conflicts visible" in cli("conflicts", planted)[1]
    rows = jsonl(cli("conflicts", planted, "--reviewer", "alice", "--json")[1])
    assert {(r["record_id"], r["reviewer"], r["decision"]) for r in rows} == {("2", "alice", "include"), ("2", "bob", "exclude")}
    # bob excluding record 3 and dave including it: a conflict alice must not see
    api.record_decision(planted, reviewer="bob", record_id="3", action="exclude")
    api.record_decision(planted, reviewer="dave", record_id="3", action="include")
    rows = jsonl(cli("conflicts", planted, "--reviewer", "alice", "--json")[1])
    assert {r["record_id"] for r in rows} == {"2"}
    rows = jsonl(cli("conflicts", planted, "--as-adjudicator", "--json")[1])
    assert {r["record_id"] for r in rows} == {"2", "3"}


def test_status_is_blind(planted: Path, cli) -> None:
    ta = jsonl(cli("status", planted, "--reviewer", "alice", "--json")[1])[0]
    assert ta["per_reviewer"]["bob"] == {"decided": 2}          # how many, never which way
    assert ta["per_reviewer"]["alice"]["include"] == 1
    assert ta["final"] is None and ta["conflicts_open"] == 1
    carol = jsonl(cli("status", planted, "--reviewer", "carol", "--json")[1])[0]
    assert carol["conflicts_open"] == 0 and carol["per_reviewer"]["bob"] == {"decided": 2}
    out = cli("status", planted, "--reviewer", "carol")[1]
    assert "include" in out  # the header
    assert "BOBSECRET" not in out
    adj = jsonl(cli("status", planted, "--as-adjudicator", "--json")[1])[0]
    assert adj["per_reviewer"]["bob"]["include"] == 1 and adj["conflicts_open"] == 1


def test_agreement_is_blind(planted: Path, cli) -> None:
    api.record_decision(planted, reviewer="dave", record_id="1", action="exclude")
    assert "no records decided by two reviewers visible" in cli("agreement", planted)[1]
    assert jsonl(cli("agreement", planted, "--reviewer", "carol", "--json")[1]) == []
    pairs = jsonl(cli("agreement", planted, "--reviewer", "alice", "--json")[1])
    # bob x dave on record 1 is hidden from alice: only alice x bob on record 2
    assert [(p["reviewer_a"], p["reviewer_b"], p["n"]) for p in pairs] == [("alice", "bob", 1)]
    pairs = jsonl(cli("agreement", planted, "--as-adjudicator", "--json")[1])
    assert {(p["reviewer_a"], p["reviewer_b"]) for p in pairs} == {("alice", "bob"), ("bob", "dave")}


def test_decide_output_is_blind(planted: Path, cli) -> None:
    # a note is not a decision: alice still may not learn bob's decision on record 1
    code, out = cli("decide", planted, "-r", "alice", "--record", "1", "--note", "looks relevant")
    assert code == 0 and "include" not in out and "bob" not in out and "pending" not in out
    # once alice decides, the outcome (here a conflict with bob) may be shown
    code, out = cli("decide", planted, "-r", "alice", "--record", "1", "--exclude")
    assert code == 0 and "conflict" in out


def test_adjudicate_sees_both_sides(planted: Path, cli) -> None:
    code, out = cli("adjudicate", planted, "--reviewer", "carol", input="s\n")
    assert code == 0 and "BOBSECRET2" in out and "wrong outcome" in out and "record 2" in out


def test_adjudicate_walk_records_final_decisions(planted: Path, cli) -> None:
    code, out = cli("adjudicate", planted, "--reviewer", "carol", input="e\n3\n")
    assert code == 0 and "exclude 2 — final" in out
    rows = jsonl(cli("log", planted, "--as-adjudicator", "--record", "2", "--json")[1])
    assert (rows[-1]["reviewer"], rows[-1]["role"], rows[-1]["action"], rows[-1]["reason"]) == (
        "carol", "adjudicator", "exclude", "wrong outcome")
    assert "no open conflicts" in cli("conflicts", planted, "--as-adjudicator")[1]


def test_reviewers_named_as_adjudicators_are_not_blinded(planted: Path, cli) -> None:
    # carol sees nothing until the review names her an adjudicator in [screening]
    assert cli("conflicts", planted, "--reviewer", "carol", "--json")[1].strip() == ""
    text = planted.read_text(encoding="utf-8").replace("[screening]\n", '[screening]\nadjudicators = ["carol"]\n')
    planted.write_text(text, encoding="utf-8")
    rows = jsonl(cli("conflicts", planted, "--reviewer", "carol", "--json")[1])
    assert {(r["record_id"], r["reviewer"], r["decision"]) for r in rows} == {("2", "alice", "include"), ("2", "bob", "exclude")}
    # still blind for a reviewer the review does not name
    assert cli("conflicts", planted, "--reviewer", "dave", "--json")[1].strip() == ""
    assert "BOBSECRET" not in cli("log", planted, "--reviewer", "dave")[1]
    assert "BOBSECRET" in cli("log", planted, "--reviewer", "carol")[1]


def test_library_calls_blind_the_same_way_and_reuse_a_loaded_review(planted: Path) -> None:
    rv = api.Review.load(planted)     # one load serves several calls, as in the adjudicate walk
    assert api.list_conflicts(rv, reviewer="carol").empty
    assert set(api.list_conflicts(rv, reviewer="alice")["record_id"]) == {"2"}
    assert set(api.history(rv, reviewer="alice")["note"]) >= {"BOBSECRET2"}
    assert "BOBSECRET1" not in set(api.history(rv, reviewer="alice")["note"])
    assert set(api.history(rv, reviewer="bob", as_adjudicator=True)["reviewer"]) == {"plan", "alice", "bob"}
    assert api.agreement(rv, reviewer="carol") == []
    api.record_decision(rv, reviewer="bob", record_id="3", action="exclude")
    api.record_decision(rv, reviewer="alice", record_id="3", action="include")
    for rid in ("2", "3"):
        api.adjudicate(rv, reviewer="carol", record_id=rid, decision="exclude", reason="wrong outcome")
    assert api.list_conflicts(rv, as_adjudicator=True).empty
    assert api.status(rv, reviewer="carol")[0]["final"] is None          # carol is not named: blinded


def test_adjudicate_walk_shows_the_record_and_asks_again_for_a_bad_reason(planted: Path, cli) -> None:
    """Acceptance testing: the walk showed a title cut at 60 characters and nothing else, and
    a mistyped reason number ('3sq') recorded the exclusion with no reason."""
    from screening.decisions.api import Review

    rec = Review.load(planted).record("2")
    code, out = cli("adjudicate", planted, "--reviewer", "carol", input="e\n3sq\n3\n")
    assert code == 0 and "'3sq' is not a reason number" in out and "exclude 2 — final" in out
    assert rec["title"] in " ".join(out.split()) or rec["title"][:50] in out
    assert str(rec["abstract"])[:40] in " ".join(out.split())
    rows = jsonl(cli("log", planted, "--as-adjudicator", "--record", "2", "--json")[1])
    assert rows[-1]["reason"] == "wrong outcome"
    code, out = cli("adjudicate", planted, "--reviewer", "carol", input="x\n")
    assert "no open conflicts" in out


def test_adjudicate_walk_asks_again_on_an_unknown_key_and_esc_goes_back(planted: Path, cli) -> None:
    """UAT: 'x' counted as skip (ending the walk on the last conflict), and Esc at the reason
    list was 'not a reason number' with Ctrl-C the only way out."""
    code, out = cli("adjudicate", planted, "--reviewer", "carol", input="x\ne\n\x1b\ni\n")
    assert code == 0 and "'x' is not one of i, e, n, s, q" in out and "skipped" not in out
    assert "not a reason number" not in out and "include 2 — final" in out


def test_adjudicate_with_conflicts_only_at_the_other_stage_says_so(planted: Path, cli) -> None:
    from screening.decisions import api

    api.adjudicate(planted, reviewer="carol", record_id="2", decision="include")
    for who, action in (("alice", "include"), ("bob", "exclude")):
        api.record_decision(planted, reviewer=who, record_id="2", action=action, stage="full_text",
                            reason="" if action == "include" else "wrong outcome")
    code, out = cli("adjudicate", planted, "--reviewer", "carol", input="q\n")
    assert "no open conflicts at title_abstract; there are at full_text: pass --stage full_text" in " ".join(out.split())
