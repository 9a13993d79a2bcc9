"""The older `[rank] stopped = true` closes every title/abstract record nobody decided: PRISMA,
status and export counted them excluded by the stopping rule while a `screen` session still
served them and `decide` said nothing (found in session 30's review of the stop views)."""

from __future__ import annotations

from pathlib import Path

from screening.decisions import api
from screening.decisions.session import ScreeningSession


def flag(review: Path, on: bool = True) -> None:
    text = review.read_text(encoding="utf-8").replace("\n[rank]\nstopped = true\n", "")
    review.write_text(text + ("\n[rank]\nstopped = true\n" if on else ""), encoding="utf-8")


def test_a_session_serves_nothing_the_flag_closed_and_says_how_to_reopen(review: Path, in_play: list[str]) -> None:
    api.record_decision(review, reviewer="alice", record_id=in_play[0], action="include")
    flag(review)
    status = api.status(review, as_adjudicator=True)[0]
    s = ScreeningSession(api.Review.load(review), "bob")
    assert s.queue == [] and s.current is None
    assert f"the {status['excluded_by_stopping']} records nobody has screened are not served" in s.view().message
    assert "remove that line to reopen screening" in s.view().message
    flag(review, on=False)
    reopened = ScreeningSession(api.Review.load(review), "bob")
    assert len(reopened.queue) == len(in_play) - 1 and "stopped" not in reopened.view().message


def test_deciding_a_record_the_flag_closed_is_warned_of(review: Path, in_play: list[str]) -> None:
    flag(review)
    excluded = api.record_decision(review, reviewer="alice", record_id=in_play[3], action="exclude")
    assert excluded.written and any("closed by `stopped = true`" in w and "counts instead" in w
                                    for w in excluded.warnings)
    included = api.record_decision(review, reviewer="alice", record_id=in_play[4], action="include")
    assert any("missed a relevant record" in w for w in included.warnings)
    again = api.record_decision(review, reviewer="alice", record_id=in_play[4], action="exclude")
    assert not any("stopped = true" in w for w in again.warnings)     # decided already: not the flag's


def test_an_import_onto_records_the_flag_closed_is_warned_of_once_per_kind(review: Path, in_play: list[str],
                                                                          tmp_path: Path) -> None:
    from .conftest import write_csv

    api.record_decision(review, reviewer="alice", record_id=in_play[0], action="exclude")
    flag(review)
    rows = [[in_play[0], "include"], [in_play[1], "include"], [in_play[2], "exclude"], [in_play[3], "exclude"]]
    res = api.import_decisions(review, write_csv(tmp_path / "d.csv", ["record_id", "decision"], rows),
                               reviewer="bob")
    said = [w for w in res["warnings"] if "stopped = true" in w]
    assert len(said) == 2
    assert f"record {in_play[1]} was closed by" in said[0] and "missed a relevant record" in said[0]
    assert "and 1 more" not in said[0]                       # in_play[0] was decided before: not closed
    assert f"record {in_play[2]} was closed by" in said[1] and "(and 1 more record the stop closed)" in said[1]
