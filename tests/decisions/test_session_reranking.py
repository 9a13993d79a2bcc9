"""Active learning inside a screening session: the queue is retrained and re-ranked as
decisions arrive, and each decision records the ranking that put its record on screen."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from screening.decisions import api
from screening.decisions.session import ScreeningSession
from screening.decisions.views import load_entries, records_in_play


def with_rank(review: Path, extra: str = "") -> Path:
    review.write_text(review.read_text(encoding="utf-8") + f"\n[rank]\n{extra}", encoding="utf-8")
    return review


def expected_order(review: Path, labels: dict[str, int]) -> list[str]:
    """What the review's ranker (default model, seed 1) ranks first, computed apart."""
    from screening.ml.learner import ActiveLearner

    play = records_in_play(api.Review.load(review).records)
    ids = list(play["record_id"].astype(str))
    learner = ActiveLearner(None, seed=1)
    learner.fit_features(play)
    idx = [ids.index(r) for r in labels]
    learner.update(idx, list(labels.values()))
    pool = np.ones(len(ids), dtype=bool)
    pool[idx] = False
    return [ids[i] for i in learner.rank(pool)]


def test_the_queue_is_re_ranked_after_each_decision(review: Path, db: Path, in_play: list[str]) -> None:
    with_rank(review)
    s = ScreeningSession(api.Review.load(review), "alice")
    assert s.queue[:3] == in_play[:3]                      # no labels yet: the table's order
    first = s.current
    s.press("i")
    # one class: records most like the included one come first (similarity to it)
    second = s.current
    assert s.queue == expected_order(review, {first: 1}) and second != in_play[1]
    s.press("e")
    s.press("\r")
    # both classes labelled: the next record is the retrained ranker's first choice, not the table's
    assert s.queue == expected_order(review, {first: 1, second: 0})
    assert s.queue != [r for r in in_play if r not in (first, second)]
    third = s.current
    s.press("e")
    s.press("\r")
    assert s.queue == expected_order(review, {first: 1, second: 0, third: 0})
    ids = [e for e in load_entries(db)["ranking_id"]]
    assert ids[0].startswith("file-order-") and ids[1].startswith("similarity-")
    assert ids[2].startswith("ranker-")                     # the session's own, retrained model


def test_batch_size_decisions_between_re_ranks(review: Path, in_play: list[str]) -> None:
    with_rank(review, "batch_size = 3\n")
    s = ScreeningSession(api.Review.load(review), "alice")
    s.press("i")
    s.press("e")
    s.press("\r")
    assert s.queue == in_play[2:]                           # 2 new labels: not re-ranked yet
    third = s.current
    s.press("e")
    s.press("\r")
    assert s.queue == expected_order(review, {in_play[0]: 1, in_play[1]: 0, third: 0})


def test_another_reviewers_decisions_train_the_ranking(review: Path, in_play: list[str]) -> None:
    with_rank(review)
    s = ScreeningSession(api.Review.load(review), "alice")
    api.record_decision(review, reviewer="bob", record_id=in_play[10], action="include")
    api.record_decision(review, reviewer="bob", record_id=in_play[11], action="exclude")
    s.press("s")                                            # any key refreshes from the shared log
    assert s.queue[:5] == [r for r in expected_order(review, {in_play[10]: 1, in_play[11]: 0})
                           if r != in_play[0]][:5]


def test_without_a_rank_section_or_in_a_sample_the_order_is_kept(review: Path, in_play: list[str]) -> None:
    s = ScreeningSession(api.Review.load(review), "alice")
    s.press("i")
    s.press("e")
    s.press("\r")
    assert s.queue == in_play[2:]


def test_the_methods_count_of_ranked_decisions_leaves_out_undone_ones(review: Path, db: Path) -> None:
    from screening.prisma.api import _ranking_use

    with_rank(review)
    s = ScreeningSession(api.Review.load(review), "alice")
    s.press("i")
    s.press("e")
    s.press("\r")
    s.press("i")
    s.press("u")                                            # the third decision is taken back
    use = _ranking_use(load_entries(db))
    assert sum(use.values()) == 2 and use == {"file_order": 1, "similarity": 1}
