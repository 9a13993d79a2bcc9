"""A screening session after `screening stop`: the closed records are not served, and it says so.

Acceptance testing: after a logged stop, `screen` still served the records the stop closed
("52 left in your queue") and its status line still said "Record the stop with `screening
stop REVIEW -r NAME`". Built on the trimmed real screening dataset: 280 records are the first
search, the other 20 a later update, which a stop recorded before it does not close.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from screening.decisions import api
from screening.decisions.session import ScreeningSession, stopping_hook
from screening.decisions.stops import resume_screening, stop_screening
from screening.decisions.store import Event, SQLiteStore

from .test_stops import FIRST, _cli, add_update, data, first_search  # noqa: F401  (data: the same fixture)


@pytest.fixture
def review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: pd.DataFrame) -> Path:
    """The first search, ranked, with priors; target recall 0.8 so that a sample of 50 can meet
    the test; screened in rank order, then a random sample, with one record left at 'maybe'."""
    toml, inc, exc = first_search(tmp_path, data, monkeypatch, '[screening]\nreviewers = ["alice", "bob"]\n')
    from screening.ml.review import rank_review

    table, _ = rank_review(toml)
    order = table.dropna(subset=["rank"]).sort_values("rank")["record_id"].astype(str).tolist()
    truth = dict(zip(data["record_id"], data["label_included"]))

    def event(rid: str, **kw) -> Event:
        return Event(record_id=rid, stage="title_abstract", reviewer="alice", ranking_id="ranker-x",
                     action="include" if truth[rid] == "1" else "exclude", **kw)

    ranked = [inc, exc, *order[:210]]
    sample = order[210:260]
    with SQLiteStore(tmp_path / "data" / "screened" / "t" / "decisions.sqlite") as store:
        store.append([event(r, payload={"queue": "ranked"}) for r in ranked]
                     + [event(r, payload={"queue": "sample", "sampled": True}) for r in sample])
    api.record_decision(toml, reviewer="alice", record_id=order[260], action="maybe")
    return toml


def _closed(review: Path) -> set[str]:
    rv = api.Review.load(review)
    decided = set(rv.entries()["record_id"])
    return {r for r in rv.records["record_id"].astype(str) if r not in decided}


def test_a_stopped_review_serves_no_closed_record_and_says_who_stopped(review: Path) -> None:
    closed = _closed(review)
    assert len(closed) == 17
    stop_screening(review, "bob", note="test met")
    rv = api.Review.load(review)
    alice = ScreeningSession(rv, "alice", stopping=stopping_hook(rv))
    view = alice.view()
    assert alice.queue == [] and view.state == "done"
    assert "screening was stopped by bob on" in view.message and "17 records nobody had screened" in view.message
    assert "`screening stop t --resume -r alice`" in view.message and view.stopped
    said = view.stopping["recommendation"]
    assert said.startswith("Screening was stopped by bob on") and "--resume" in said
    assert "Record the stop" not in said
    # the record one reviewer left at 'maybe' is not closed: a colleague still settles it
    assert ScreeningSession(api.Review.load(review), "bob").queue == sorted(_maybe(review))
    assert ScreeningSession(api.Review.load(review), "bob", sample=True).queue == []
    code, out = _cli("screen", review, "-r", "alice", input="q\n")
    assert code == 0 and "screening was stopped by bob" in out and "session ended — screening is stopped" in out
    assert "Record the stop" not in out


def _maybe(review: Path) -> set[str]:
    entries = api.Review.load(review).entries()
    return set(entries.loc[entries["action"] == "maybe", "record_id"])


def test_a_stop_or_a_resume_reaches_an_open_session(review: Path) -> None:
    alice = ScreeningSession(api.Review.load(review), "alice")
    assert set(alice.queue) == _closed(review)
    stop_screening(review, "bob")
    alice.press("s")
    assert alice.queue == [] and "stopped by bob" in alice.message
    resume_screening(review, "bob")
    alice = ScreeningSession(api.Review.load(review), "alice")
    assert set(alice.queue) == _closed(review) and alice.view().stopped == ""


def test_an_update_after_a_stop_is_served(review: Path, data: pd.DataFrame) -> None:
    stop_screening(review, "bob")
    add_update(review, data, "[screening]")
    rv = api.Review.load(review)
    alice = ScreeningSession(rv, "alice", stopping=stopping_hook(rv))
    assert set(alice.queue) == set(data.iloc[FIRST:]["record_id"])         # the update's, nothing closed
    view = alice.view()
    assert "stopped by bob" in view.message
    assert "20 records added since the stop are still to screen" in view.stopping["recommendation"]


def test_a_record_decided_since_the_stop_is_not_counted_as_held_by_it(review: Path) -> None:
    """The session's stop sentence counts the records the stop still holds: one someone
    decided since left its scope (PRISMA counts that decision instead), so the sentence no
    longer says it is 'not served' (it said 17 here, though one of them had been decided)."""
    closed = sorted(_closed(review))
    stop_screening(review, "bob")
    api.record_decision(review, reviewer="bob", record_id=closed[0], action="include")
    view = ScreeningSession(api.Review.load(review), "alice").view()
    assert "16 records nobody had screened" in view.message


def test_only_a_decision_on_a_record_the_stop_still_holds_is_warned_of(review: Path) -> None:
    """Review of the change: the 'closed by the stop' warning went to a second reviewer too,
    though the first reviewer's decision since the stop had taken the record out of its scope."""
    closed = sorted(_closed(review))
    stop_screening(review, "bob")
    first = api.record_decision(review, reviewer="bob", record_id=closed[0], action="exclude")
    assert any("was closed by the stop" in w for w in first.warnings)
    second = api.record_decision(review, reviewer="alice", record_id=closed[0], action="exclude")
    assert not any("closed by the stop" in w for w in second.warnings)


def test_a_decision_on_a_record_a_stop_closed_while_it_was_on_screen_is_warned_of(review: Path) -> None:
    """Acceptance testing: a stop recorded while a record was on a session's screen closed it;
    the session's include was logged without the warning `decide` gives (the stopping rule
    missed a relevant record)."""
    rv = api.Review.load(review)
    bob = ScreeningSession(rv, "bob", stopping=stopping_hook(rv))
    rid = bob.current
    assert rid in _closed(review)
    stop_screening(review, "alice", note="while bob reads", force=True)
    bob.press("i")
    said = " ".join(bob.view().warnings)
    assert f"record {rid} was closed by the stop (alice, " in said and "is now included: the stopping rule " \
        "missed a relevant record" in said, said
