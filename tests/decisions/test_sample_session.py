"""`screen --sample`: the random sample the hypergeometric stopping test reads, from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.progress import training_labels
from screening.decisions.session import ScreeningSession
from screening.decisions.session_stopping import sample_order
from screening.ml.stopping_status import stopping_status


def test_sample_session_screens_a_seeded_random_order_and_marks_it(review: Path, db: Path,
                                                                   in_play: list[str]) -> None:
    api.record_decision(review, reviewer="alice", record_id="2", action="include")   # ranked screening first
    s = ScreeningSession(api.Review.load(review), "alice", sample=True)
    queue = list(s.queue)
    assert sorted(queue) == sorted(set(in_play) - {"2"}) and queue != [r for r in in_play if r != "2"]
    # the same order for every reviewer and every session (a resumed sample continues it)
    assert ScreeningSession(api.Review.load(review), "bob", sample=True).queue[:5] == \
        [r for r in sample_order(in_play, None) if r != "2"][:5]
    first = s.current
    s.press("e")
    s.press("\r")
    assert ScreeningSession(api.Review.load(review), "alice", sample=True).current == queue[1]
    entries = load_entries(db)
    assert json.loads(entries.loc[entries["record_id"] == first, "payload"].iloc[0])["sampled"] is True
    labels = training_labels(entries)
    assert labels.set_index("record_id")["sampled"].to_dict() == {"2": False, first: True}
    # what put it on screen: the sample's permutation (its frame, and the seed it was shuffled
    # with), not the last run's ranking (acceptance testing: sample decisions carried the id of
    # the untrained file-order ranking, which did not order them)
    frame = api.Review.load(review).sample_frame()
    assert entries.loc[entries["record_id"] == first, "ranking_id"].iloc[0] == f"sample-{frame.id}-seed-1"


def test_sampled_decisions_give_the_stopping_estimate(review: Path, db: Path, in_play: list[str]) -> None:
    rv = api.Review.load(review)
    status = stopping_status(rv.records, training_labels(load_entries(db)) if db.exists() else None)
    assert status["estimated_recall"] == "not yet"
    api.record_decision(review, reviewer="alice", record_id=in_play[0], action="include")
    s = ScreeningSession(api.Review.load(review), "alice", sample=True)
    for _ in range(48):          # 48 of the 49 left, all irrelevant: with one relevant found, H0 "recall < 95 %"
        # means one is missing, refuted (anytime-valid: likelihood 1/49 against the mixture's ~1/2)
        # only when a single record is left unsampled (47 of 49 gave p = 0.08)
        s.press("e")
        s.press("\r")
    status = stopping_status(rv.records, training_labels(load_entries(db)))
    assert status["sample_size"] == 48 and status["sample_relevant"] == 0
    assert isinstance(status["estimated_recall"], float) and status["recommendation"].startswith("Stop")
    assert "screening stop REVIEW" in status["recommendation"]


def test_sample_is_for_all_title_abstract_records(review: Path) -> None:
    import pytest

    from screening.errors import DecisionError

    with pytest.raises(DecisionError, match="random sample"):
        ScreeningSession(api.Review.load(review), "alice", "full_text", sample=True)
    with pytest.raises(DecisionError, match="random sample"):
        ScreeningSession(api.Review.load(review), "alice", only="no-abstract", sample=True)


def test_sampling_before_the_switch_point_says_so(review: Path) -> None:
    """Acceptance testing: `--sample` began while the status said to keep screening in rank
    order, with nothing to say the sample came early."""
    api.record_decision(review, reviewer="alice", record_id="2", action="include")
    rv = api.Review.load(review)
    from screening.decisions.session import stopping_hook

    hook = stopping_hook(rv)                                           # as `screen` wires it
    s = ScreeningSession(rv, "alice", sample=True, stopping=hook)
    assert "switch point is not reached (0 of" in s.view().message
    assert ScreeningSession(rv, "alice", stopping=hook).view().message == ""   # ranked screening: nothing to say


def test_the_status_line_shows_recall_as_a_share_not_a_raw_float() -> None:
    """Acceptance testing (session 16): 'estimated recall 1.0 (bound 0.5806451612903226)'."""
    from types import SimpleNamespace

    from screening.cli._app import console
    from screening.cli.screen import _render

    view = SimpleNamespace(stage="title_abstract", reviewer="ana", subset="", sample=True, decided=3, total=10,
                           remaining=7, message="", hint="", state="done", record=None, open_elsewhere=0, warnings=(),
                           stopping={"estimated_recall": 1.0, "recall_bound": 0.5806451612903226,
                                     "recommendation": "Keep screening the random sample"})
    with console.capture() as cap:
        _render(view)
    out = " ".join(cap.get().split())
    assert "estimated recall 100.0% (bound 58.1%)" in out and "0.5806" not in out, out
