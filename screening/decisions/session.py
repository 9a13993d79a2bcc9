"""The interactive screening session as a terminal-free state machine.

Why separate from the terminal: the rules (which record comes next, what a key does, when a
reason is required, what undo undoes, where a resumed session starts) are the part worth
testing, and they should not depend on raw-mode key reading or rich rendering. The CLI
(`screening screen`) only renders :meth:`ScreeningSession.view` and feeds keys to
:meth:`ScreeningSession.press` / text to :meth:`ScreeningSession.submit_text`.

Keys in the record state: ``i`` include, ``e`` exclude (opens the reason picker), ``m``
maybe, ``s`` skip (for this session only), ``u`` undo (the last decision of this session,
else this reviewer's latest standing decision at this stage), ``n`` note, ``q`` quit; at
full text also ``r`` report not retrieved, ``a`` attach a report path/URL and ``l`` link the
record to another report of the same study (``-`` at its prompt ends the record's link; the
view shows the record's study as the links this reviewer may see have it). In the reason
picker: ``1``-``9`` pick, Enter = no reason (title/abstract only), Esc or `q` = cancel.

Blinding: the session never reads other reviewers' decisions into the view.

Reviewer names: checked against the review's declared reviewers when it declares them
(:mod:`.roster`) before the session starts, so a typo never screens a single record.

Random sample (``sample``): the queue is the title/abstract records nobody has decided, in a
seeded random order (the same for every reviewer of the review), and each decision is marked
``{"sampled": true}``, so the hypergeometric stopping test (docs/ranking.md) can read the
sample. Screening a prefix of a random permutation is a simple random sample without
replacement, as the test assumes, as long as no record is skipped: a skip is allowed but
said, since records a reviewer finds hard are not missing at random. Records decided before
they were drawn and priors are not in the sample (:mod:`.origins`). Every title/abstract
decision records the queue that served it (``{"queue": ...}``): the stopping rule's
irrelevant-in-a-row count reads only the ranked queue's.

Single screening is shared only among the declared reviewers screening now (:mod:`.sharing`);
a standing logged stop's records are not served (:mod:`.session_stopping`).

Subsets (``only``): a session can be limited to one named subset of the queue, e.g.
``no-abstract`` — the records the ranker tends to place last, which a team may prefer to
decide as a batch rather than wait for (docs/ranking.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import pandas as pd

from screening.decisions.api import Review, build_event, missing_report
from screening.decisions.origins import first_decisions, prior_records, session_marker
from screening.decisions.reranking import SessionRanker
from screening.decisions.recording import link_repeats
from screening.decisions.session_stopping import (
    StoppingFn, sample_order, standing_scope, stopped_message, stopping_hook,
)
from screening.decisions.sharing import ActiveScreeners, split_queue, taken_meanwhile
from screening.decisions.studies import groups, sort_key, study_links, visible_links
from screening.decisions.entries import assignments, full_text_records, standing_decisions
from screening.decisions.outcomes import record_outcomes
from screening.decisions.progress import ranking_label, records_in_play
from screening.decisions.visibility import Viewer
from screening.errors import DecisionError
from screening.records import without_abstract

__all__ = ["ScreeningSession", "SessionView", "sample_order", "stopping_hook", "REASON_KEYS", "TEXT_STATES"]

RECORD_KEYS = {"i": "include", "e": "exclude", "m": "maybe", "s": "skip", "u": "undo", "n": "note", "q": "quit"}
FULL_TEXT_KEYS = {"r": "not retrieved", "a": "attach report", "l": "same study as"}
ENTER = ("\r", "\n", "")
TEXT_STATES = ("note", "attach", "link")       # states waiting for a line of text
END_LINK = "-"          # typed at the same-study prompt: the record is its own study again
ESC = "\x1b"
# one key per exclusion reason: 1-9, then letters (no e/i/q/s, which mean something elsewhere)
REASON_KEYS = "123456789abcdfghjklmnoprtuvwxyz"

# Named subsets of the records in play a session can be limited to: name -> row mask.
SUBSETS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "no-abstract": without_abstract,
}


@dataclass
class SessionView:
    """Everything the terminal needs to draw one screen."""

    state: str                        # 'record', 'reason', 'note', 'attach', 'link', 'done'
    record: dict[str, Any] | None
    stage: str
    reviewer: str
    decided: int                      # records this reviewer has a standing decision on
    remaining: int                    # records left in this reviewer's queue
    total: int                        # records to screen at this stage
    message: str = ""                 # what the last key did (drawn above the record)
    # what the key just pressed did wrong, about the prompt still open: drawn beside the prompt,
    # since above the record a long abstract scrolls it out of sight
    hint: str = ""
    reasons: tuple[str, ...] = ()
    reason_required: bool = False
    keys: dict[str, str] = field(default_factory=dict)
    stopping: dict[str, Any] | None = None
    subset: str | None = None         # the named subset the session is limited to, if any
    open_elsewhere: int = 0           # with an empty queue: records still open for other reviewers
    sample: bool = False              # a random-sample session for the stopping test
    # full text: the other reports of the record's study, by the links this reviewer may see,
    # and the record's own link ("" if it is in the study only through other records' links)
    study: tuple[str, ...] = ()
    study_link: str = ""
    stopped: str = ""                 # while a logged stop stands: who stopped, when, how to reopen


class ScreeningSession:
    def __init__(self, review: Review, reviewer: str, stage: str = "title_abstract", *,
                 is_demo: bool = False,
                 stopping: StoppingFn | None = None,  # (records, log) -> status
                 only: str | None = None, sample: bool = False) -> None:
        reviewer = review.roster.decider(reviewer)     # refused up front, not at the first key
        if only is not None and only not in SUBSETS:
            raise DecisionError(f"unknown subset {only!r}", hint="one of: " + ", ".join(SUBSETS))
        if sample and (stage != "title_abstract" or only is not None):
            raise DecisionError("a random sample is drawn from all unscreened title/abstract records",
                                hint="use --sample without --only, at the title_abstract stage")
        self.only = only
        self.sample = sample
        self.open_elsewhere = 0       # set when the queue runs empty (see _refresh)
        self.review = review
        self.reviewer = reviewer
        self.stage = stage
        self.is_demo = is_demo
        self.stopping_fn = stopping
        self.state = "record"
        self.message = self.hint = ""
        self.skipped: set[str] = set()
        self.done_here: list[str] = []          # records decided in this session (for undo)
        self._pending_action = ""
        self.entries: pd.DataFrame | None = None
        self._stopping_at: int | None = None
        self._stopping_cache: dict[str, Any] | None = None
        self._studies: tuple[int, tuple[dict[str, str], dict[str, str]]] = (-1, ({}, {}))   # see _links
        self._ranker: SessionRanker | None = None
        self._dual: set[str] = set()            # records a dual plan covers
        # who else is screening this stage now, to share single screening with (never a sample)
        self._active = None if sample else ActiveScreeners(stage, review.roster.reviewers)
        self._stop = standing_scope(review, stage)
        self._closed: frozenset[str] = self._stop.records if self._stop is not None else frozenset()
        self._refresh()
        if self._stop is not None:
            self.message = self._also(self._stopped())
        roster = review.roster
        if roster.is_adjudicator(reviewer) and all(roster.match(a, (reviewer,)) for a in roster.adjudicators):
            # said up front, not per record: a per-record warning would tell the screener how a
            # colleague decided (blinding); nobody adjudicates a conflict they took part in
            self.message = self._also(
                "note: you are also this review's only adjudicator, so a conflict on a record you "
                "screen here needs another adjudicator (add one to [screening] adjudicators)")
        if sample and (left := sorted(set(self._priors_left) - set(standing_decisions(self.entries, stage)))):
            # the ranked queue serves them first; the sample must not draw them
            self.message = self._also(f"prior record{'s' if len(left) != 1 else ''} {', '.join(left[:5])} "
                                      f"{'are' if len(left) != 1 else 'is'} not in the random sample: decide "
                                      "them in ranked order (screen without --sample)")
        if sample:
            st = self._stopping() or {}
            run, switch = st.get("irrelevant_in_a_row"), st.get("switch_at")
            if isinstance(run, int) and isinstance(switch, int) and run < switch:
                # valid, but early: with many relevant records still unfound the sample must
                # grow large before the test can say stop
                self.message = self._also(
                    f"note: the switch point is not reached ({run} of {switch} irrelevant in a row); "
                    "a sample drawn this early needs to be larger to show the target recall")

    def _also(self, text: str) -> str:
        """``text`` after the message already set (notes at the start of a session add up)."""
        return f"{self.message}; {text}" if self.message else text

    # -- queue ---------------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Read the events appended since the last refresh (by anyone: other reviewers may be
        screening the same review right now) and reclassify only the records they touch, so a
        key press costs O(new events), not O(log)."""
        self.review.open()          # the log exists from the first screen on
        opening = self.entries is None
        before = 0 if self.entries is None else len(self.entries)
        entries = self.review.entries()     # the review's log, read on from its last event
        new = entries.iloc[before:]
        if self.entries is None:
            self.entries = entries
            self._ft_records = set(full_text_records(new))   # kept up to date below, not rescanned
            play = records_in_play(self.review.records)
            self._ranker = self._session_ranker(play)
            all_play = list(play["record_id"])
            if self.only is not None:
                play = play[SUBSETS[self.only](play).to_numpy()]
            self._order = list(play["record_id"])
            if self.sample:
                # a prior is never sampled (prior_records); the ranked queue serves it first
                priors = prior_records(self.review.config)
                self._priors_left = [r for r in self._order if r in priors]
                self._order = sample_order([r for r in self._order if r not in priors], self.review.config)
            self._in_play = set(self._order)
            self._eligible: set[str] = set()
            self._blocked: set[str] = set()
            self._mine: set[str] = set()
            # every record in play: the ranker learns from labels outside a subset too
            self._classify(self.entries, all_play)
        elif len(new):
            self.entries = entries
            self._ft_records.update(full_text_records(new))
            touched = set(new["record_id"])
            self._classify(self.entries[self.entries["record_id"].isin(touched)], touched)
        if self._active is not None:
            self._active.observe(new)
        if not opening and self.stage == "title_abstract":
            self._restop()          # a stop recorded (or screening resumed) meanwhile, by anyone
        if self._ranker is not None:
            # labelled records still waiting in this queue (a colleague's, in a dual plan):
            # their labels must not decide their place (reranking.py, "Blinding")
            hidden = {r for r in self._ranker.decided_records()
                      if r in self._eligible and r not in self._blocked}
            if self._ranker.due(hidden):
                # active learning: retrain and re-rank before the next record is chosen (the
                # subset, if any, keeps the new order)
                self._order = [r for r in self._ranker.order(hidden) if r in self._in_play]
        queue = [r for r in self._order
                 if r in self._eligible and r not in self._blocked and r not in self.skipped]
        share = self._active.share(self.reviewer) if self._active is not None else None
        if share is not None:
            # other declared reviewers are screening this stage now: each starts on their own
            # share of the records no dual plan covers, so concurrent sessions do not all take
            # the same top record (an unplanned conflict); alone, the whole ranking (sharing.py)
            front = self._ranker.front if self._ranker is not None else frozenset()
            queue = split_queue(queue, share, front | self._dual)
        self.queue = queue
        self.total = len(self._eligible)
        self.decided = len(self._mine)
        if not self.queue and self.state != "done":
            self.state = "done"
            # an empty queue is not a finished stage: say whose records are still open (UAT: a
            # reviewer outside the dual plan read 'nothing left to screen' with 485 unsettled)
            self.open_elsewhere = self._unsettled_elsewhere()
            if self.open_elsewhere:
                n = self.open_elsewhere
                self.message = (f"your queue is empty; {n} record{'s' if n != 1 else ''} of this stage "
                                f"{'are' if n != 1 else 'is'} still open for other reviewers (planned for them, "
                                f"or awaiting a second reviewer or an adjudicator)")
            if self._stop is not None and not opening:       # (on opening, __init__ says it)
                self.message = self._also(self._stopped())

    def _unsettled_elsewhere(self) -> int:
        """Records of this stage not settled yet that this reviewer's queue does not hold (a
        stop's closed records are settled by it)."""
        outcomes = record_outcomes(self.entries, self.stage) if self.entries is not None else {}
        settled = {r for r, o in outcomes.items() if o.status == "final"}
        return sum(1 for r in self._eligible if r not in settled and r not in self.queue and r not in self._closed)

    def _restop(self) -> None:
        """Follow a stop recorded, or screening resumed, since the last refresh (by anyone)."""
        scope = standing_scope(self.review, self.stage)
        closed = scope.records if scope is not None else frozenset()
        self._stop = scope
        if closed != self._closed:
            changed = closed ^ self._closed
            self._closed = closed
            self._classify(self.entries[self.entries["record_id"].isin(changed)], changed)

    def _stopped(self) -> str:
        """The session's sentence on the standing stop ('' when none)."""
        if self._stop is None:
            return ""
        return stopped_message(self._stop, self.review, self.reviewer, len(self._closed & self._in_play))

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
        ranker = self._ranker
        for rid in rids:
            if ranker is not None:      # every record in play, also outside a subset
                ranker.set_label(rid, ranking_label(outcomes.get(rid), standing.get(rid)))
            if len(plan.get(rid, ())) >= 2:
                self._dual.add(rid)
            else:
                self._dual.discard(rid)
            for bucket in (self._eligible, self._blocked, self._mine):
                bucket.discard(rid)
            if rid not in self._in_play:
                continue
            if self.stage == "full_text":
                o = ta.get(rid)
                if o is None or o.status != "final" or o.decision != "include":
                    continue
            self._eligible.add(rid)
            mine = me in standing.get(rid, {})
            if mine:
                self._mine.add(rid)
            o = outcomes.get(rid)
            # sample: only records unscreened when drawn; one first decided in the sample stays
            # in it (a second reviewer of a dual plan decides it too)
            unsampled = self.sample and rid in firsts and not firsts[rid].sampled
            if (mine or (o is not None and o.status == "final") or (rid in plan and self.reviewer not in plan[rid])
                    or rid in self._closed or unsampled):
                self._blocked.add(rid)

    def _session_ranker(self, play: pd.DataFrame) -> SessionRanker | None:
        """The review's ranker for this session: title/abstract screening in ranked order
        (not a random sample, not full text), with a ``[rank]`` section. Without one, or if it
        cannot be built, the session keeps the records table's order and says why."""
        config = self.review.config.stages.get("rank")
        if self.stage != "title_abstract" or self.sample or config is None or not len(play):
            return None
        try:
            return SessionRanker(play, config)
        except Exception as err:        # ranking is a help: screening goes on in table order
            self.message = f"re-ranking is off for this session ({err}); records come in the ranking of the last run"
            return None

    @property
    def current(self) -> str | None:
        return self.queue[0] if self.queue else None

    def view(self) -> SessionView:
        keys = dict(RECORD_KEYS)
        if self.stage == "full_text":
            keys.update(FULL_TEXT_KEYS)
        reasons = self.review.reasons(self.stage)
        rec = self.review.record(self.current) if self.current else None
        return SessionView(
            state=self.state, record=rec, stage=self.stage, reviewer=self.reviewer,
            decided=self.decided, remaining=len(self.queue), total=self.total, message=self.message, hint=self.hint,
            reasons=reasons, reason_required=self.stage == "full_text" and self._pending_action == "exclude",
            keys=keys, stopping=self._stopping(), subset=self.only, sample=self.sample,
            open_elsewhere=self.open_elsewhere, study=self._study(self.current) if rec else (),
            study_link=self._links()[1].get(self.current, "") if rec else "",
            stopped=self._stopped(),
        )

    def _links(self) -> tuple[dict[str, str], dict[str, str]]:
        """(record -> study, record -> its own standing link) by the links this reviewer may see:
        blind as a screener, also for someone declared an adjudicator (no per-record hints in a
        screening session). Worked out once per change of the log, not per key."""
        if self.entries is None or self.stage != "full_text":
            return {}, {}
        n = len(self.entries)
        if self._studies[0] != n:
            found: tuple[dict[str, str], dict[str, str]] = ({}, {})
            if self.entries["action"].eq("link_study").any():
                seen = visible_links(self.entries, Viewer(self.reviewer))
                found = (groups(seen, self.review.records, self._eligible, ()), study_links(seen))
            self._studies = (n, found)
        return self._studies[1]

    def _study(self, rid: str | None) -> tuple[str, ...]:
        """The other reports of ``rid``'s study (see :meth:`_links`)."""
        group = self._links()[0]
        if rid is None or rid not in group:
            return ()
        return tuple(sorted((r for r, g in group.items() if g == group[rid] and r != rid), key=sort_key))

    def _stopping(self) -> dict[str, Any] | None:
        """The stopping rule's estimate, recomputed after each new event (every 10 on a log of
        3,000 events or more: it reads every
        label, which costs more than a key press should)."""
        if self.stopping_fn is None or self.stage != "title_abstract":
            return None
        n = len(self.entries)
        # every event while the log is small (the counter the reviewer watches moves with each
        # decision), every 10 on a large log, where reading every label costs a key press
        if self._stopping_at is not None and n - self._stopping_at < (1 if n < 3000 else 10):
            return self._stopping_cache
        self._stopping_at = n
        try:
            self._stopping_cache = self.stopping_fn(self.review.records, self.entries)
        except Exception:   # the estimate is optional: never let it break screening
            self._stopping_cache = None
        return self._stopping_cache

    # -- input ---------------------------------------------------------------------------------

    def press(self, key: str) -> None:
        """Apply one key press in the current state."""
        self.message = self.hint = ""
        if self.state == "done":
            if key == "u":
                self._undo()
            return
        if self.state == "reason":
            self._press_reason(key)
            return
        if self.state in TEXT_STATES:
            return                               # waiting for submit_text
        key = key.lower()
        if key == "q":
            self.state = "done"
        elif key == "i":
            self._decide("include")
        elif key == "m":
            self._decide("maybe")
        elif key == "e":
            self._pending_action = "exclude"
            self.state = "reason"
        elif key == "s":
            if self.current:
                self.skipped.add(self.current)
                self.message = f"skipped {self.current}" + (
                    " (a skipped sample record weakens the recall estimate: decide it before stopping)"
                    if self.sample else "")
                self._refresh()
        elif key == "u":
            self._undo()
        elif key == "n":
            self.state = "note"
        elif key == "r" and self.stage == "full_text":
            self._decide("not_retrieved")
        elif key == "a" and self.stage == "full_text":
            self.state = "attach"
        elif key == "l" and self.stage == "full_text":
            self.state = "link"
        else:
            self.hint = f"unknown key {key!r}: " + ", ".join(f"{k} {v}" for k, v in self.view().keys.items())

    def _press_reason(self, key: str) -> None:
        reasons = self.review.reasons(self.stage)
        if key == ESC or key.lower() == "q":      # 'q' is no reason's key: on a pipe it is the way back
            self.state, self._pending_action = "record", ""
            self.message = "cancelled"
            return
        if key in ENTER:
            if self.stage == "full_text":
                self.hint = "a reason is required for full-text exclusions: press its number"
                return
            self._decide(self._pending_action, "")
            return
        keys = REASON_KEYS[:len(reasons)]
        if len(key) == 1 and key.lower() in keys:
            self._decide(self._pending_action, reasons[keys.index(key.lower())])
            return
        shown = keys if len(keys) <= 1 else f"{keys[0]}-{keys[-1]}" if len(keys) <= 9 else f"1-9 or {keys[9]}-{keys[-1]}"
        self.hint = f"press {shown}" + ("" if self.stage == "full_text" else ", Enter for none") + ", Esc or q to cancel"

    def submit_text(self, text: str) -> None:
        """Finish a note, attach-report or same-study prompt (empty text cancels)."""
        rid, state = self.current, self.state
        self.state = "record"
        text = text.strip()
        if not text or rid is None:
            self.message = "cancelled"
            return
        if state == "note":
            self._append(rid, "note", note=text)
            self.message = f"note added to {rid}"
        elif state == "attach":
            self._append(rid, "attach_report", payload={"report": text})
            self.message = f"report attached to {rid}"
            if missing := missing_report(text):
                self.message += f" (note: {missing})"
        elif state == "link":
            study = "" if text == END_LINK else text
            if link_repeats(self.entries, self.reviewer, rid, study):
                # as `decide` does: a repeat would need a second event to take back
                self.message = (f"{rid} is already a report of the study of record {study}" if study
                                else f"{rid} has no link to end") + ": nothing recorded"
                return
            try:
                self._append(rid, "link_study", payload={"study": study})
            except DecisionError as err:     # an unknown id, or one not at full text: say so, stay
                self.message = str(err)
                return
            if study:
                self.message = f"{rid} is a report of the study of record {study}"
            else:
                self._refresh()                 # the study as the log now has it
                still = self._study(rid)
                self.message = (f"{rid}'s link is ended, but it is still one study with {', '.join(still[:5])} "
                                "through their own links" if still else f"{rid} is its own study")
        self._refresh()

    # -- writes --------------------------------------------------------------------------------

    def _append(self, rid: str, action: str, *, reason: str = "", note: str = "",
                payload: dict[str, Any] | None = None) -> None:
        ev = build_event(self.review, self.entries, reviewer=self.reviewer, record_id=rid, action=action,
                         stage=self.stage, reason=reason, note=note, is_demo=self.is_demo, payload=payload,
                         sought=self._eligible, ft_records=self._ft_records,
                         ranking_id=self._ranking_id(rid))
        self.review.open().append([ev])

    def _ranking_id(self, rid: str) -> str:
        """What put ``rid`` on screen: the session's ranker, else the table's ranking, else
        (no ranking at all) the records table's own order, said as such."""
        if self._ranker is not None:
            return self._ranker.model_id
        table = self.review.ranking_id(rid)
        # the last run's ranking, not retrained here (a sample or full-text session, or a ranker
        # that could not be built): said as such, not as a ranking retrained while screening
        return f"static-{table}" if table else "table-order"

    def _decide(self, action: str, reason: str = "") -> None:
        rid = self.current
        self.state, self._pending_action = "record", ""
        if rid is None:
            return
        payload: dict[str, Any] = {}
        if self.stage == "title_abstract":
            # which queue served the record: the stopping rule reads the random sample and
            # counts irrelevant records in a row only where the ranking served them (origins.py)
            payload.update(session_marker(sample=self.sample, only=self.only))
        if self._ranker is not None and self._ranker.model_id.startswith("ranker-"):
            # the model as this session ran it: the methods paragraph names it, even if the
            # review's [rank] model changed since the last `screening run` wrote rank.json
            payload["model"] = self._ranker.spec
        # the record on screen was undecided when shown; the same reviewer in another terminal
        # (or `decide`) may have decided it since: say so rather than replace it silently
        latest = self.review.entries()
        events = latest[latest["record_id"] == rid]
        standing = standing_decisions(events, self.stage).get(rid, {})
        earlier = standing.get((self.reviewer, "screener"))
        if taken_meanwhile(events, rid, self.reviewer, self.stage, sample=self.sample, standing=standing):
            # a colleague's session served it too (sharing.py): a second decision would open a
            # conflict nobody planned, so move on instead
            self.message = f"{rid} was decided by a colleague while it was on screen: yours is not recorded"
            self._refresh()
            return
        try:
            self._append(rid, action, reason=reason, payload=payload or None)
        except DecisionError as err:
            self.message = str(err)
            return
        self.done_here.append(rid)
        self.message = f"{rid}: {action.replace('_', ' ')}" + (f" ({reason})" if reason else "")
        if earlier is not None:
            self.message += (f" — this replaces your decision made meanwhile elsewhere ({earlier.decision}"
                             + (f": {earlier.reason}" if earlier.reason else "") + "); `u` takes it back")
        self._refresh()

    def _undo(self) -> None:
        standing = standing_decisions(self.entries, self.stage)
        mine = {rid: by[(self.reviewer, "screener")] for rid, by in standing.items()
                if (self.reviewer, "screener") in by}
        target = None
        while self.done_here:
            cand = self.done_here.pop()
            if cand in mine:
                target = cand
                break
        if target is None and mine:
            target = max(mine.values(), key=lambda s: s.event_id).record_id
        if target is None:
            self.message = "nothing to undo"
            return
        self._append(target, "undo")
        self.skipped.discard(target)
        self.state = "record"
        self._refresh()
        if target in self.queue:            # show the undone record again, now
            self.queue.remove(target)
            self.queue.insert(0, target)
        # undos stack: an earlier decision of mine may stand again, so say which
        now = standing_decisions(self.entries[self.entries["record_id"] == target], self.stage)
        again = now.get(target, {}).get((self.reviewer, "screener"))
        self.message = (f"undid {mine[target].decision} on {target}; "
                        + (f"your decision is now {again.decision.replace('_', ' ')}"
                           + (f" ({again.reason})" if again.reason else "") if again else "no decision of yours stands"))
