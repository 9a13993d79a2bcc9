"""Single screening is shared only among the reviewers screening now.

Acceptance testing (Cohen 2006 ADHD review, `reviewers = ["alice", "bob"]`): alice, screening
alone, was served her hash share of the records in rank order, then bob's: 7 of 20 relevant
by the 25th record, then none until the 77th. The share exists so that concurrent sessions
do not take the same top record; it must not cost a lone reviewer the ranking.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from screening.decisions import api
from screening.decisions.session import ScreeningSession
from screening.decisions.store import Event, SQLiteStore


def _declare(review: Path) -> None:
    review.write_text(review.read_text(encoding="utf-8").replace(
        "[screening]\n", '[screening]\nreviewers = ["alice", "bob"]\n'), encoding="utf-8")


def _session_decision(db: Path, who: str, rid: str, ago: timedelta) -> None:
    """A decision as a `screen` session logs it (a ranking id, the ranked-queue mark), ``ago`` ago."""
    when = (datetime.now(timezone.utc) - ago).isoformat(timespec="microseconds")
    with SQLiteStore(db) as store:
        store.append([Event(record_id=rid, stage="title_abstract", reviewer=who, action="exclude",
                            ranking_id="table-order", payload={"queue": "ranked"}, created_at=when)])


def _halves(ids: list[str], k: int) -> list[str]:
    return [r for r in ids if zlib.crc32(r.encode()) % 2 == k]


def test_a_reviewer_screening_alone_gets_the_whole_ranking(review: Path, db: Path, in_play: list[str]) -> None:
    _declare(review)
    alice = ScreeningSession(api.Review.load(review), "alice")
    assert alice.queue == in_play                     # not her hash share first
    # bob screened yesterday: he is not screening now
    _session_decision(db, "bob", in_play[5], timedelta(days=1))
    alice = ScreeningSession(api.Review.load(review), "alice")
    assert alice.queue == [r for r in in_play if r != in_play[5]]
    # decisions typed with `decide` (or imported) take no record from the top of a queue
    api.record_decision(review, reviewer="bob", record_id=in_play[6], action="exclude")
    alice.press("s")
    assert alice.queue == [r for r in in_play if r not in (in_play[5], in_play[6], in_play[0])]


def test_a_colleague_screening_now_splits_the_queue_until_they_stop(review: Path, db: Path, in_play: list[str],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    _declare(review)
    alice = ScreeningSession(api.Review.load(review), "alice")
    assert alice.queue[:3] == in_play[:3]
    _session_decision(db, "bob", in_play[10], timedelta(minutes=2))
    alice.press("s")                                  # recomputed at each refresh
    left = [r for r in in_play if r not in (in_play[10], in_play[0])]
    assert alice.queue[:len(_halves(left, 0))] == _halves(left, 0)
    # alice has only opened a session (no decision yet): to bob she is not screening yet
    # (a colleague's decision on his record on screen is then not recorded twice: see
    # test_session_reranking.py, sharing single screening)
    bob = ScreeningSession(api.Review.load(review), "bob")
    assert bob.queue == [r for r in in_play if r != in_play[10]]
    # bob left: once his last decision is older than the window, alice has the whole ranking again
    from screening.decisions import sharing

    later = datetime.now(timezone.utc) + sharing.ACTIVE_WINDOW + timedelta(minutes=1)
    monkeypatch.setattr(sharing, "utc_now", lambda: later)
    alice.press("s")
    assert alice.queue == [r for r in in_play if r != in_play[10] and r not in alice.skipped]


def test_a_sample_session_neither_splits_nor_counts_as_screening_now(review: Path, db: Path,
                                                                     in_play: list[str]) -> None:
    _declare(review)
    bob = ScreeningSession(api.Review.load(review), "bob", sample=True)
    bob.press("e")
    bob.press("\r")
    assert ScreeningSession(api.Review.load(review), "alice").queue == [r for r in in_play if r != bob.done_here[0]]
