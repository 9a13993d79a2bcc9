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
