"""The random sample of the stopping test holds only records nobody had decided when it drew them.

Acceptance testing: `screen --sample` served records a colleague had already decided (planned
for both reviewers, awaiting the second), and any decision made in a sample session marked
its record sampled, so a record found in ranked order moved into the sample and rank.json
reported a sample larger than the records that were unscreened when it was drawn.
"""

from __future__ import annotations

from pathlib import Path

from screening.decisions import api
from screening.decisions.entries import load_entries
from screening.decisions.progress import sampled_records, training_labels
from screening.decisions.session import ScreeningSession
from screening.decisions.store import Event, SQLiteStore
from screening.ml.stopping_status import stopping_status


def _with_rank(review: Path, extra: str = "") -> None:
    review.write_text(review.read_text(encoding="utf-8") + f"\n[rank]\n{extra}", encoding="utf-8")


def _sample_decisions(db: Path, who: str, rids: list[str], action: str = "exclude") -> None:
    """Decisions as a sample session logs them."""
    with SQLiteStore(db) as store:
        store.append([Event(record_id=r, stage="title_abstract", reviewer=who, action=action, ranking_id="static-x",
                            payload={"queue": "sample", "sampled": True}) for r in rids])


def test_the_sample_leaves_out_what_a_colleague_decided_and_the_priors(review: Path, in_play: list[str]) -> None:
    _with_rank(review, f'prior_included = ["{in_play[40]}"]\n')
    api.assign(review, "alice,bob", fraction=1.0, seed=1)          # both must decide every record
    decided = in_play[3:8]
    for r in decided:
        api.record_decision(review, reviewer="bob", record_id=r, action="exclude")
    s = ScreeningSession(api.Review.load(review), "alice", sample=True)
    assert not set(decided) & set(s.queue)                          # awaiting alice, but not unscreened
    assert in_play[40] not in s.queue and "prior record" in s.message and in_play[40] in s.message
    assert sorted(s.queue) == sorted(set(in_play) - set(decided) - {in_play[40]})
    # the ranked queue still serves them to alice, the second reviewer of the plan
    assert set(decided) <= set(ScreeningSession(api.Review.load(review), "alice").queue)
    # a record first decided in the sample stays in it for the plan's second reviewer
    first = s.current
    s.press("e")
    s.press("\r")
    bob = ScreeningSession(api.Review.load(review), "bob", sample=True)
    assert bob.current == first                                    # the same random order, still his to decide
    bob.press("e")
    bob.press("\r")
    assert sampled_records(api.Review.load(review).entries()) == {first}


def test_only_a_first_decision_in_the_sample_makes_a_record_sampled(review: Path, db: Path,
                                                                    in_play: list[str]) -> None:
    """A record decided in ranked order, then again in a sample session (as the old sample
    served it), stays a ranked-order record: the sample is what was unscreened when drawn."""
    api.assign(review, "alice,bob", fraction=1.0, seed=1)
    ranked = in_play[:10]
    for r in ranked:
        api.record_decision(review, reviewer="alice", record_id=r, action="exclude")
    _sample_decisions(db, "bob", ranked + in_play[20:25])          # bob's sample session, old style
    _sample_decisions(db, "alice", in_play[20:25])                 # the second reviewer of those
    entries = load_entries(db)
    assert sampled_records(entries) == set(in_play[20:25])
    labels = training_labels(entries).set_index("record_id")
    assert not labels.loc[ranked, "sampled"].any() and labels.loc[in_play[20:25], "sampled"].all()
    status = stopping_status(api.Review.load(review).records, training_labels(entries))
    assert status["sample_size"] == 5                              # not 15: 10 were decided before
    # an undone decision leaves the record unscreened: a later sample decision makes it sampled
    api.record_decision(review, reviewer="alice", record_id=in_play[30], action="exclude")
    api.record_decision(review, reviewer="alice", record_id=in_play[30], action="undo")
    _sample_decisions(db, "bob", [in_play[30]])
    assert in_play[30] in sampled_records(load_entries(db))


def test_a_prior_is_never_in_the_sample(review: Path, db: Path, in_play: list[str]) -> None:
    """An older sample session served undecided priors: the test must not count one as a
    random find (the team knew it before screening)."""
    prior = in_play[40]
    _with_rank(review, f'prior_included = ["{prior}"]\n')
    api.record_decision(review, reviewer="alice", record_id=in_play[0], action="exclude")
    _sample_decisions(db, "alice", [prior], action="include")
    _sample_decisions(db, "alice", in_play[10:14])
    rv = api.Review.load(review)
    status = stopping_status(rv.records, training_labels(load_entries(db)), rv.config.stages["rank"])
    assert status["sample_size"] == 4 and status["sample_relevant"] == 0


def test_the_sample_sessions_progress_counts_the_priors_as_every_session_does(review: Path,
                                                                              in_play: list[str]) -> None:
    """`screen --sample` left the priors out of its progress line ('1 decided · … · 48 in this
    stage' where a ranked session read '2 decided · … · 50'): they are records of the stage, only
    never drawn."""
    decided, undecided = in_play[40], in_play[41]
    _with_rank(review, f'prior_included = ["{decided}", "{undecided}"]\n')
    api.record_decision(review, reviewer="alice", record_id=decided, action="include")
    api.record_decision(review, reviewer="alice", record_id=in_play[0], action="exclude")
    ranked = ScreeningSession(api.Review.load(review), "alice").view()
    sample = ScreeningSession(api.Review.load(review), "alice", sample=True)
    view = sample.view()
    assert (view.decided, view.total) == (ranked.decided, ranked.total) == (2, 50)
    assert view.remaining == ranked.remaining - 1 == 47               # the undecided prior is not drawn
    assert decided not in sample.queue and undecided not in sample.queue
    # the queue run empty: the undecided prior is not said to be open for other reviewers
    for _ in range(47):
        sample.press("e")
        sample.press("\r")
    view = sample.view()
    assert view.state == "done" and (view.decided, view.total, view.open_elsewhere) == (49, 50, 0)
