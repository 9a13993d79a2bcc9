"""Which records a screening session serves its reviewer next, and in what order.

Why apart from :mod:`.session`: the session is the key-by-key state machine; the queue is
what it reads from the log between keys (who may screen which record, the ranking, a subset,
a sample, a stop, colleagues screening now), and it changes as anyone appends to the log.

A record is served when it is in play (at full text: included at title/abstract), this
reviewer has no standing decision on it, it is not settled, no dual plan gives it to other
reviewers, no standing logged stop closed it (:mod:`.session_stopping`) and the session did
not skip it. Served in the ranking's order, re-ranked as the session's ranker learns
(:mod:`.reranking`); single screening is shared only among the declared reviewers screening
now (:mod:`.sharing`).

Random sample (``sample``): the queue is the title/abstract records nobody has decided, in a
seeded random order (the same for every reviewer of the review), so the hypergeometric
stopping test (docs/ranking.md) can read the sample. Screening a prefix of a random
permutation is a simple random sample without replacement, as the test assumes, as long as
no record is skipped. Records decided before they were drawn and priors are not in the sample
(:mod:`.origins`), nor are records added after it began: it is drawn from its logged frame
(:mod:`.sample_frames`), and they are served in ranked order.

Subsets (``only``): a session can be limited to one named subset of the queue:
``no-abstract``, the records the ranker tends to place last, which a team may prefer to
decide as a batch rather than wait for (docs/ranking.md); ``added``, the records added while
the stopping sample is under way (outside its frame), which the test counts as relevant until
someone screens them, so screening them first is what moves it.
"""

from __future__ import annotations

from typing import Callable, Iterable

import pandas as pd

from screening.decisions.entries import assignments, full_text_records, standing_decisions
from screening.decisions.origins import first_decisions, prior_records
from screening.decisions.outcomes import record_outcomes
from screening.decisions.progress import ranking_label, records_in_play
from screening.decisions.reranking import SessionRanker
from screening.decisions.sample_frames import draw_frame, frame_is_current
from screening.decisions.review import Review
from screening.decisions.session_stopping import (
    flag_stopped_message, sample_order, sample_seed, standing_scope, stopped_message,
)
from screening.decisions.stops import flag_stopped
from screening.errors import DecisionError
from screening.decisions.sharing import ActiveScreeners, split_queue
from screening.record_marks import other_method_reports, without_abstract


def added_during_sample(play: pd.DataFrame, review: Review) -> pd.Series:
    """The records in play outside the current stopping sample's frame. Refused when no sample
    is under way (no frame, or a stop recorded since it): then no record was added during one."""
    frame = review.sample_frame()
    if frame is None or not frame_is_current(frame, standing_scope(review, "title_abstract")):
        raise DecisionError("no stopping sample is under way, so no record was added during one",
                            hint="`--only added` serves the records a search update added after the first "
                                 "`screen --sample` session opened; without a sample, `screen` serves them")
    return ~play["record_id"].astype(str).isin(frame.records)


# Named subsets of the records in play a session can be limited to: name -> row mask.
SUBSETS: dict[str, Callable[[pd.DataFrame, Review], pd.Series]] = {
    "no-abstract": lambda play, _review: without_abstract(play),
    "added": added_during_sample,
}


class SessionQueue:
    """One reviewer's queue at one stage, kept up to date with the log by :meth:`refresh`."""

    def __init__(self, review: Review, reviewer: str, stage: str, *,
                 only: str | None, sample: bool) -> None:
        self.review = review
        self.reviewer = reviewer
        self.stage = stage
        self.only = only
        self.sample = sample
        self.entries: pd.DataFrame | None = None      # the log as last read
        self.served: list[str] = []                   # the records to serve, next first
        self.total = 0                                # records to screen at this stage
        self.decided = 0                              # of them, with this reviewer's standing decision
        self.skipped: set[str] = set()                # skipped in this session: not served again
        self.ranker: SessionRanker | None = None
        self.ranker_off = ""          # why the session could not build its ranker ("" if it did or need not)
        self.priors_left: list[str] = []              # a sample's priors (served by the ranked queue)
        self._drawn: set[str] = set()                 # a sample's records drawn from its frame
        self._frame_id = 0                            # ... and that frame's samples entry
        self.ft_records: set[str] = set()             # records with any full-text event
        self.eligible: set[str] = set()               # records to screen at this stage
        self._other: set[str] = set()                 # full text: reports other methods found
        self._blocked: set[str] = set()               # eligible, but not for this reviewer now
        self._mine: set[str] = set()                  # eligible, with this reviewer's standing decision
        self._order: list[str] = []                   # the records in play, in serving order
        self._in_play: set[str] = set()
        self._dual: set[str] = set()            # records a dual plan covers
        # who else is screening this stage now, to share single screening with (never a sample)
        self._active = None if sample else ActiveScreeners(stage, review.roster.reviewers)
        self.stop = standing_scope(review, stage)
        # the older `[rank] stopped = true` closes every title/abstract record nobody decided, as
        # PRISMA, status and export read it: a session served them while the report counted
        # them excluded by the stopping rule
        self.flag_stop = stage == "title_abstract" and flag_stopped(review.config)
        self.closed: frozenset[str] = self.stop.records if self.stop is not None else frozenset()
        self._stopped: tuple[object, str] = (None, "")     # (what it was read from, the stop sentence)

    def refresh(self) -> bool:
        """Read the events appended since the last refresh (by anyone: other reviewers may be
        screening the same review right now) and reclassify only the records they touch, so a
        key press costs O(new events), not O(log). True on the first read (the session opening)."""
        self.review.open()          # the log exists from the first screen on
        opening = self.entries is None
        before = 0 if self.entries is None else len(self.entries)
        entries = self.review.entries()     # the review's log, read on from its last event
        new = entries.iloc[before:]
        if self.entries is None:
            self.entries = entries
            self.ft_records = set(full_text_records(new))   # kept up to date below, not rescanned
            play = records_in_play(self.review.records)
            self.ranker = self._session_ranker(play)
            if self.stage == "full_text":     # then the reports other methods found (not ranked)
                other = self.review.records[other_method_reports(self.review.records)]
                self._other = set(other["record_id"].astype(str))
                play = pd.concat([play, other]) if len(other) else play
            all_play = list(play["record_id"])
            if self.only is not None:
                play = play[SUBSETS[self.only](play, self.review).to_numpy()]
            self._order = list(play["record_id"])
            if self.sample:
                # a prior is never sampled (prior_records); the ranked queue serves it first
                priors = prior_records(self.review.config)
                self.priors_left = [r for r in self._order if r in priors]
                # drawn from the sample's frame only: a record added since it began is served
                # in ranked order (sample_frames), and the permutation stays the frame's
                serve = set(self._order)
                frame = sorted(self._frame(all_play) - priors)
                self._order = [r for r in sample_order(frame, self.review.config) if r in serve]
                self._drawn = set(self._order)
            # still records of the stage (counted in total and decided, as by any session),
            # only never served here
            self._in_play = set(self._order) | set(self.priors_left)
            self.eligible = set()
            self._blocked = set()
            self._mine = set()
            # every record in play: the ranker learns from labels outside a subset too
            self._classify(self.entries, all_play)
        elif len(new):
            self.entries = entries
            self.ft_records.update(full_text_records(new))
            touched = set(new["record_id"])
            self._classify(self.entries[self.entries["record_id"].isin(touched)], touched)
        if self._active is not None:
            self._active.observe(new)
        if not opening and self.stage == "title_abstract":
            self._restop()          # a stop recorded (or screening resumed) meanwhile, by anyone
        if self.ranker is not None:
            # labelled records still waiting in this queue (a colleague's, in a dual plan):
            # their labels must not decide their place (reranking.py, "Blinding")
            hidden = {r for r in self.ranker.decided_records()
                      if r in self.eligible and r not in self._blocked}
            if self.ranker.due(hidden):
                # active learning: retrain and re-rank before the next record is chosen (the
                # subset, if any, keeps the new order)
                self._order = [r for r in self.ranker.order(hidden) if r in self._in_play]
        queue = [r for r in self._order
                 if r in self.eligible and r not in self._blocked and r not in self.skipped]
        share = self._active.share(self.reviewer) if self._active is not None else None
        if share is not None:
            # other declared reviewers are screening this stage now: each starts on their own
            # share of the records no dual plan covers, so concurrent sessions do not all take
            # the same top record (an unplanned conflict); alone, the whole ranking (sharing.py)
            front = self.ranker.front if self.ranker is not None else frozenset()
            queue = split_queue(queue, share, front | self._dual)
        self.served = queue
        self.total = len(self.eligible)
        self.decided = len(self._mine)
        return opening

    def _frame(self, play: list[str]) -> frozenset[str]:
        """The records the stopping sample is drawn from: the log's latest frame, or a new one
        (the records in ``play`` now) when there is none or a stop stands since it."""
        frame = self.review.sample_frame()
        if not frame_is_current(frame, self.stop):
            last = int(self.entries["id"].max()) if self.entries is not None and len(self.entries) else 0
            draw_frame(self.review.open(), self.reviewer, play, last)
            frame = self.review.sample_frame()
        self._frame_id = frame.id
        return frame.records

    def unsettled_elsewhere(self) -> int:
        """Records of this stage not settled yet that this reviewer's queue does not hold (a
        stop's closed records are settled by it)."""
        outcomes = record_outcomes(self.entries, self.stage) if self.entries is not None else {}
        settled = {r for r, o in outcomes.items() if o.status == "final"}
        return sum(1 for r in self.eligible if r not in settled and r not in self.served
                   and not self._held_by_stop(r, outcomes.get(r))
                   and r not in self.priors_left)      # a sample's priors are this reviewer's, in ranked order

    def _held_by_stop(self, rid: str, outcome: object | None) -> bool:
        return (self.flag_stop and outcome is None) or (self.stop is not None and self.stop.holds(rid, outcome))

    def _restop(self) -> None:
        """Follow a stop recorded, or screening resumed, since the last refresh (by anyone)."""
        scope = standing_scope(self.review, self.stage)
        closed = scope.records if scope is not None else frozenset()
        self.stop = scope
        if closed != self.closed:
            changed = closed ^ self.closed
            self.closed = closed
            self._classify(self.entries[self.entries["record_id"].isin(changed)], changed)

    def stopped(self) -> str:
        """The session's sentence on the standing stop ('' when none). Read at every render:
        worked out again only when the log or the stop changed (it reads outcomes)."""
        if self.stop is None and not self.flag_stop:
            return ""
        key = (0 if self.entries is None else len(self.entries),
               self.stop.latest.created_at if self.stop is not None else "", self.closed)
        if self._stopped[0] != key:
            outcomes = record_outcomes(self.entries, self.stage) if self.entries is not None else {}
            scope = self._in_play if self.flag_stop else self.closed & self._in_play
            held = sum(self._held_by_stop(r, outcomes.get(r)) for r in scope)
            said = (flag_stopped_message(self.review, held) if self.flag_stop
                    else stopped_message(self.stop, self.review, self.reviewer, held))
            self._stopped = (key, said)
        return self._stopped[1]

    def _classify(self, sub: pd.DataFrame, rids: Iterable[str]) -> None:
        """Recompute eligibility / blocked / mine for ``rids`` from ``sub`` (their events).

        Blocked: this reviewer has a standing decision, the record is settled, it is
        dual-assigned to other reviewers, a standing stop closed it, or (a random sample)
        someone decided it before the sample drew it.
        """
        standing = standing_decisions(sub, self.stage)
        firsts = first_decisions(sub) if self.sample else {}
        outcomes = record_outcomes(sub, self.stage)
        plan = assignments(sub, self.stage)
        ta = record_outcomes(sub, "title_abstract") if self.stage == "full_text" else {}
        me = (self.reviewer, "screener")
        ranker = self.ranker
        for rid in rids:
            if ranker is not None and rid not in self._other:      # every record in play, also outside a subset
                ranker.set_label(rid, ranking_label(outcomes.get(rid), standing.get(rid)))
            if len(plan.get(rid, ())) >= 2:
                self._dual.add(rid)
            else:
                self._dual.discard(rid)
            for bucket in (self.eligible, self._blocked, self._mine):
                bucket.discard(rid)
            if rid not in self._in_play:
                continue
            if self.stage == "full_text" and rid not in self._other:
                o = ta.get(rid)
                if o is None or o.status != "final" or o.decision != "include":
                    continue
            self.eligible.add(rid)
            mine = me in standing.get(rid, {})
            if mine:
                self._mine.add(rid)
            o = outcomes.get(rid)
            # sample: only records unscreened when drawn; one first decided in the sample stays
            # in it (a second reviewer of a dual plan decides it too)
            unsampled = self.sample and rid in firsts and not firsts[rid].sampled
            if (mine or (o is not None and o.status == "final") or (rid in plan and self.reviewer not in plan[rid])
                    or self._held_by_stop(rid, o) or unsampled):
                self._blocked.add(rid)

    def _session_ranker(self, play: pd.DataFrame) -> SessionRanker | None:
        """The review's ranker for this session: title/abstract screening in ranked order
        (not a random sample, not full text), with a ``[rank]`` section. Without one, or if it
        cannot be built, the session keeps the records table's order and says why."""
        config = self.review.config.stages.get("rank")
        if self.stage != "title_abstract" or self.sample or config is None or not len(play):
            return None
        try:
            from screening.ml.feature_cache import FeatureCache

            return SessionRanker(play, config, cache=FeatureCache(self.review.config.output_dir / "cache"))
        except Exception as err:        # ranking is a help: screening goes on in table order
            self.ranker_off = (f"re-ranking is off for this session ({err}); "
                               "records come in the ranking of the last run")
            return None

    def ranking_id(self, rid: str) -> str:
        """What put ``rid`` on screen: the stopping sample's permutation (the samples entry it
        was drawn from, and the seed it was shuffled with), the session's ranker, else the
        table's ranking, else (no ranking at all) the records table's own order, said as such."""
        if self.sample and rid in self._drawn:
            # not the last run's ranking, which did not order it (acceptance testing: a sample's
            # decisions carried the id of the untrained file-order ranking)
            return f"sample-{self._frame_id}-seed-{sample_seed(self.review.config)}"
        if self.ranker is not None:
            return self.ranker.model_id
        table = self.review.ranking_id(rid)
        # the last run's ranking, not retrained here (a sample or full-text session, or a ranker
        # that could not be built): said as such, not as a ranking retrained while screening
        return f"static-{table}" if table else "table-order"
