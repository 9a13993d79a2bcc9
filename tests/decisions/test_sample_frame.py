"""The stopping sample's frame: records added while the sample is under way are not in it.

Acceptance testing (session 25): a search update run while the random sample was under way put
its records in the pool the test read, although the earlier draws could never have picked
them, and a stop went through with one record left, from the update, and relevant.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from screening.decisions import api
from screening.decisions.sample_frames import read_frames
from screening.decisions.session import ScreeningSession
from screening.decisions.stop_standing import review_stopping_status
from screening.decisions.stops import stop_screening
from screening.decisions.store import Event, SQLiteStore
from screening.errors import DecisionError
from screening.ml.recall_test import hypergeom_pvalue, recall_bound

from .test_stops import FIRST, SAMPLE, add_update, data, review  # noqa: F401  (fixtures)


def test_records_outside_the_sample_count_as_relevant_in_the_test() -> None:
    # 19 found, the sample's pool all screened: at 95 %, one unscreened record outside the pool
    # can cost at most 19/20 = 95 % (met), two can cost 19/21 (not met, whatever the sample says)
    assert hypergeom_pvalue(0, 0, 0, 19, 0.95) == 0.0
    assert hypergeom_pvalue(0, 0, 0, 19, 0.95, outside=1) == 0.0
    assert hypergeom_pvalue(0, 0, 0, 19, 0.95, outside=2) == 1.0
    assert recall_bound(0, 0, 0, 19, 0.95, outside=2)[1] == pytest.approx(19 / 21)
    # a sample leaves room for some missed records in its pool; outside records add to them
    p0, p3 = (hypergeom_pvalue(0, 500, 300, 40, 0.95, outside=m) for m in (0, 3))
    assert p0 < p3
    assert recall_bound(0, 500, 300, 40, 0.95, outside=3)[1] < recall_bound(0, 500, 300, 40, 0.95)[1]


def _db(review: Path) -> Path:
    return review.parent.parent / "data" / "screened" / "t" / "decisions.sqlite"


def _ranked_then_sample(review: Path, data: pd.DataFrame) -> list[str]:
    """Screen the ranked top 210 (priors first); open a `screen --sample` session (which draws
    the frame), and record a random sample of SAMPLE of the rest in it. Returns the rest."""
    from screening.ml.review import rank_review

    table, _ = rank_review(review)
    order = table.dropna(subset=["rank"]).sort_values("rank")["record_id"].astype(str).tolist()
    truth = dict(zip(data["record_id"], data["label_included"]))
    cfg = api.Review.load(review).config.stages["rank"]

    def event(rid: str, **kw) -> Event:
        return Event(record_id=rid, stage="title_abstract", reviewer="alice",
                     action="include" if truth[rid] == "1" else "exclude", **kw)

    with SQLiteStore(_db(review)) as store:
        store.append([event(r) for r in [*cfg.prior_included, *cfg.prior_excluded, *order[:210]]])
    session = ScreeningSession(api.Review.load(review), "alice", sample=True)
    drawn = list(session.queue)[:SAMPLE]
    with SQLiteStore(_db(review)) as store:
        store.append([event(r, payload={"queue": "sample", "sampled": True}) for r in drawn])
    return order[210:]


def test_an_update_during_the_sample_is_not_in_its_pool(review: Path, data: pd.DataFrame) -> None:
    _ranked_then_sample(review, data)
    assert len(read_frames(_db(review))) == 1
    assert api.status(review, as_adjudicator=True)[0]["stopping_test"]["met"] is True
    # the update arrives while the sample is under way: the same sample met the test when its
    # records were counted in the pool it was drawn from (test_stops.SAMPLE); now they count
    # as relevant until screened
    add_update(review, data, "[rank]", 'date_searched = "2024-09-01"\n')
    new = set(data.iloc[FIRST:]["record_id"])
    with pytest.raises(DecisionError, match="20 records added after the random sample began are not in it"):
        stop_screening(review, "alice")
    test = api.status(review, as_adjudicator=True)[0]["stopping_test"]
    assert test["added_during_sample"] == 20 and test["met"] is False
    assert "20 records added after the random sample began" in test["recommendation"]
    # read without the frame (as before it was logged), the pool took them in and the test was met
    rv = api.Review.load(review)
    assert review_stopping_status(rv.records, rv.entries(), rv.config.stages["rank"], None)["met"] is True
    # the sample goes on without them (no new frame: it has drawn records); ranked screening
    # serves them
    assert not set(ScreeningSession(api.Review.load(review), "bob", sample=True).queue) & new
    assert len(read_frames(_db(review))) == 1
    assert new <= set(ScreeningSession(api.Review.load(review), "bob").queue)
    truth = dict(zip(data["record_id"], data["label_included"]))
    with SQLiteStore(_db(review)) as store:
        store.append([Event(record_id=r, stage="title_abstract", reviewer="alice",
                            action="include" if truth[r] == "1" else "exclude") for r in sorted(new)])
    res = stop_screening(review, "alice")
    assert res.status["met"] is True and res.status["added_during_sample"] == 0
    assert res.event.payload["added_during_sample"] == 0


def _test_now(review: Path) -> dict:
    return api.status(review, as_adjudicator=True)[0]["stopping_test"]


def _all_relevant_update(review: Path, data: pd.DataFrame) -> set[str]:
    """The update's 20 records, every one of them relevant (the worst case for a test that
    would speak for them)."""
    worst = data.copy()
    worst.loc[worst.index[FIRST:], "label_included"] = "1"
    add_update(review, worst, "[rank]", 'date_searched = "2024-09-01"\n')
    return set(data.iloc[FIRST:]["record_id"])


def test_a_frame_is_not_redrawn_while_its_sample_goes_on(review: Path, data: pd.DataFrame) -> None:
    """Review of the change: a frame was redrawn at every sample session opened before its first
    draw, so a colleague's session opened after an update took the update into the pool that
    an open session's (and a log's earlier, frameless) draws could never have drawn from."""
    ScreeningSession(api.Review.load(review), "alice", sample=True)
    new = _all_relevant_update(review, data)
    queue = set(ScreeningSession(api.Review.load(review), "bob", sample=True).queue)
    frames = read_frames(_db(review))
    assert len(frames) == 1 and not new & frames[0].records and not new & queue


def test_a_sample_from_before_frames_keeps_the_update_outside(review: Path, data: pd.DataFrame) -> None:
    """A log written before frames: 58 draws, then the first session with frames opens and
    leaves, then an update: the test was met, the frame having been redrawn with the update."""
    from screening.ml.review import rank_review

    table, _ = rank_review(review)
    order = table.dropna(subset=["rank"]).sort_values("rank")["record_id"].astype(str).tolist()
    truth = dict(zip(data["record_id"], data["label_included"]))
    cfg = api.Review.load(review).config.stages["rank"]
    ranked = [*cfg.prior_included, *cfg.prior_excluded, *order[:210]]
    with SQLiteStore(_db(review)) as store:
        store.append([Event(record_id=r, stage="title_abstract", reviewer="alice",
                            action="include" if truth[r] == "1" else "exclude", payload=p)
                      for rs, p in ((ranked, {}), (order[210:210 + SAMPLE], {"sampled": True})) for r in rs])
    ScreeningSession(api.Review.load(review), "alice", sample=True)
    _all_relevant_update(review, data)
    ScreeningSession(api.Review.load(review), "alice", sample=True)
    test = _test_now(review)
    assert len(read_frames(_db(review))) == 1
    assert test["added_during_sample"] == 20 and test["met"] is False
    with pytest.raises(DecisionError, match="not met"):
        stop_screening(review, "alice")


def test_a_stop_keeps_the_records_it_read_as_outside_outside(review: Path, data: pd.DataFrame) -> None:
    """Review of the change: a forced stop closing the records added during the sample moved
    them into the pool, and status then said met (bound 83 %) beside 'stopped before the test
    was met'."""
    _ranked_then_sample(review, data)
    _all_relevant_update(review, data)
    res = stop_screening(review, "alice", force=True)
    assert res.status["met"] is False and res.event.payload["added_during_sample"] == 20
    test = _test_now(review)
    assert test["met"] is False and test["added_during_sample"] == 20
    assert test["recall_bound"] == pytest.approx(res.status["recall_bound"])


def test_after_a_stop_and_an_update_the_next_sample_is_drawn_afresh(review: Path, data: pd.DataFrame) -> None:
    left = _ranked_then_sample(review, data)
    first = stop_screening(review, "alice")
    new = _all_relevant_update(review, data)
    session = ScreeningSession(api.Review.load(review), "alice", sample=True)
    queue = list(session.queue)
    frames = read_frames(_db(review))
    # the stop's closed records are not served; the update's are, from a frame drawn after the stop
    assert len(frames) == 2 and set(queue) == new and new <= frames[-1].records
    assert not set(left[SAMPLE:]) & set(queue)
    # the fresh sample's test reads its own draws only, from the update's records: the first
    # sample's 58 draws (before the update existed) do not speak for them (review of the change:
    # opening the session made the test 'met', and one draw let a stop close 19 relevant records)
    assert _test_now(review)["met"] is False
    with SQLiteStore(_db(review)) as store:
        store.append([Event(record_id=queue[0], stage="title_abstract", reviewer="alice", action="exclude",
                            payload={"queue": "sample", "sampled": True})])
    test = _test_now(review)
    assert test["met"] is False and test["sample_size"] == 1 and test["p_value"] > 0.05
    with pytest.raises(DecisionError, match="not met"):
        stop_screening(review, "alice")
    # 16 of the 20 drawn (15 relevant): with 4 left, even all relevant, recall stays above the
    # fixture's 80 % target, so the test is met (the fresh pool is the update's 20 records, not
    # the first stop's closed ones, which stay closed)
    with SQLiteStore(_db(review)) as store:
        store.append([Event(record_id=r, stage="title_abstract", reviewer="alice", action="include",
                            payload={"queue": "sample", "sampled": True}) for r in queue[1:16]])
    test = _test_now(review)
    assert test["sample_size"] == 16 and test["sample_relevant"] == 15 and test["met"] is True
    assert test["recall_bound"] >= 0.8
    assert api.status(review, as_adjudicator=True)[0]["excluded_by_stopping"] == len(first.event.records)


def test_only_added_serves_the_records_added_during_the_sample(review: Path, data: pd.DataFrame) -> None:
    """`screen --only added` serves exactly the records the test counts as relevant until
    screened (added during the sample), logged as served by that queue, not as ranked."""
    from screening.decisions.origins import first_decisions

    with pytest.raises(DecisionError, match="no stopping sample is under way"):
        ScreeningSession(api.Review.load(review), "alice", only="added")
    _ranked_then_sample(review, data)
    assert ScreeningSession(api.Review.load(review), "alice", only="added").queue == []
    new = _all_relevant_update(review, data)
    session = ScreeningSession(api.Review.load(review), "bob", only="added")
    assert set(session.queue) == new
    first = session.queue[0]
    session.press("i")
    rv = api.Review.load(review)
    entries = rv.entries()
    assert json.loads(entries.loc[entries["record_id"] == first, "payload"].iloc[-1])["queue"] == "added"
    assert not first_decisions(entries)[first].ranked and not first_decisions(entries)[first].sampled
    assert _test_now(review)["added_during_sample"] == 19
    assert set(ScreeningSession(rv, "bob", only="added").queue) == new - {first}
    with pytest.raises(DecisionError, match="title/abstract only"):
        ScreeningSession(rv, "bob", "full_text", only="added")
    # after a stop, no sample is under way (the next one draws a fresh frame)
    stop_screening(review, "alice", force=True)
    with pytest.raises(DecisionError, match="no stopping sample is under way"):
        ScreeningSession(api.Review.load(review), "bob", only="added")
