"""The report names decisions the edited TOML no longer declares (acceptance testing: a
full-text reason 19 decisions used was removed, and bob renamed robert; `run` and `prisma`
said nothing, while `status -r bob` was refused)."""

from __future__ import annotations

from pathlib import Path

from screening.decisions import api
from screening.prisma.api import generate


def _edit(review: Path, old: str, new: str) -> None:
    text = review.read_text(encoding="utf-8")
    assert old in text
    review.write_text(text.replace(old, new), encoding="utf-8")


def test_a_removed_reason_and_a_renamed_reviewer_are_warned_of(review: Path) -> None:
    _edit(review, "[screening]\n", '[screening]\nreviewers = ["alice", "bob"]\n')
    for rid in ("1", "2", "3"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
    for rid, reason in (("1", "wrong outcome"), ("2", "wrong outcome"), ("3", "wrong population")):
        api.record_decision(review, reviewer="bob", record_id=rid, action="exclude", stage="full_text",
                            reason=reason)
    warnings = generate(review).summary()["warnings"]
    assert not any("no longer declares" in w for w in warnings), warnings      # nothing changed yet
    _edit(review, '"wrong outcome", ', "")
    _edit(review, '"wrong population"', '"Wrong  Population"')      # reworded as people read it: the same
    _edit(review, '"bob"', '"robert"')
    warnings = generate(review).summary()["warnings"]
    reasons = [w for w in warnings if "[screening] reasons no longer declares" in w]
    assert len(reasons) == 1 and "2 settled full-text exclusion(s)" in reasons[0], reasons
    assert "'wrong outcome' (2)" in reasons[0]
    assert "wrong population" not in reasons[0]
    names = [w for w in warnings if "[screening] reviewers no" in w]
    assert len(names) == 1 and "3 screening decision(s) in the log are by 'bob'" in names[0], names


def test_adjudications_by_someone_no_longer_an_adjudicator_are_warned_of(review: Path, cli) -> None:
    """UAT: after carol had adjudicated 7 conflicts the TOML said `adjudicators = ["alice"]`:
    `run` gave no warning and `status` still listed 'carol (adjudicator)'."""
    import json

    _edit(review, "[screening]\n", '[screening]\nreviewers = ["alice", "bob"]\nadjudicators = ["carol"]\n')
    api.assign(review, "alice,bob")
    for rid in ("1", "2", "3"):
        api.record_decision(review, reviewer="alice", record_id=rid, action="include")
        api.record_decision(review, reviewer="bob", record_id=rid, action="exclude")
    api.adjudicate(review, reviewer="carol", record_id="1", decision="include")
    api.adjudicate(review, reviewer="carol", record_id="2", decision="exclude")
    api.adjudicate(review, reviewer="carol", record_id="2", decision="include")      # a correction: still one
    said = "adjudicators no longer declares"
    assert not any(said in w for w in generate(review).summary()["warnings"])
    code, out = cli("status", review)
    assert code == 0 and said not in out and "carol (adjudicator)" in out, out

    _edit(review, 'adjudicators = ["carol"]', 'adjudicators = ["alice"]')
    warned = [w for w in generate(review).summary()["warnings"] if said in w]
    assert len(warned) == 1 and warned[0].startswith(
        "2 adjudication(s) settling records in the log are by 'carol', whom [screening] adjudicators no longer "
        "declares (renamed or removed?)"), warned
    code, out = cli("status", review)
    flat = " ".join(out.split())
    assert code == 0 and "2 adjudication(s) settling records in the log are by 'carol'" in flat, out
    assert "carol (adjudicated 2, no longer declared)" in out and "carol (adjudicator)" not in out, out
    code, out = cli("status", review, "--json")
    first = json.loads(out.splitlines()[0])
    assert first["undeclared_adjudicators"] == ["carol"] and first["per_adjudicator"]["carol"]["decided"] == 2
    assert any(said in w for w in first["warnings"])
    # without an adjudicators list anyone may adjudicate: nothing to warn of
    _edit(review, 'adjudicators = ["alice"]\n', "")
    assert not any(said in w for w in generate(review).summary()["warnings"])
    code, out = cli("status", review)
    assert "carol (adjudicator)" in out and said not in out
