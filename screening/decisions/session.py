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

Which record comes next (eligibility, ranking, a subset ``only``, a random ``sample``, a
logged stop, colleagues screening now) is :mod:`.session_queue`'s. Each decision in a random
sample is marked ``{"sampled": true}``, so the hypergeometric stopping test (docs/ranking.md)
can read the sample; a skip there is allowed but said, since records a reviewer finds hard are
not missing at random. Every title/abstract decision records the queue that served it
(``{"queue": ...}``): the stopping rule's irrelevant-in-a-row count reads only the ranked
queue's.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from screening.decisions.api import Review, build_event, missing_report
from screening.decisions.entries import standing_decisions
from screening.decisions.origins import session_marker
from screening.decisions.outcomes import record_outcomes, settled_now_in_conflict
from screening.decisions.recording import closed_by_stop, link_repeats
from screening.decisions.session_queue import SUBSETS, SessionQueue
from screening.decisions.session_stopping import StoppingEstimate, StoppingFn, stopping_hook
from screening.decisions.session_view import SessionView
from screening.decisions.sharing import write_unless_taken
from screening.decisions.store import DECISION_ACTIONS, Event
from screening.decisions.studies import groups, sort_key, study_links, visible_links
from screening.decisions.visibility import Viewer
from screening.errors import DecisionError

__all__ = ["ScreeningSession", "stopping_hook", "REASON_KEYS", "TEXT_STATES"]

RECORD_KEYS = {"i": "include", "e": "exclude", "m": "maybe", "s": "skip", "u": "undo", "n": "note", "q": "quit"}
FULL_TEXT_KEYS = {"r": "not retrieved", "a": "attach report", "l": "same study as"}
ENTER = ("\r", "\n", "")
TEXT_STATES = ("note", "attach", "link")       # states waiting for a line of text
END_LINK = "-"          # typed at the same-study prompt: the record is its own study again
ESC = "\x1b"
# one key per exclusion reason: 1-9, then letters (no e/i/q/s, which mean something elsewhere)
REASON_KEYS = "123456789abcdfghjklmnoprtuvwxyz"


class ScreeningSession:
    def __init__(self, review: Review, reviewer: str, stage: str = "title_abstract", *,
                 is_demo: bool = False,
                 stopping: StoppingFn | None = None,  # (records, log) -> status
                 only: str | None = None, sample: bool = False) -> None:
        reviewer = review.roster.decider(reviewer)     # refused up front, not at the first key
        if only is not None and only not in SUBSETS:
            raise DecisionError(f"unknown subset {only!r}", hint="one of: " + ", ".join(SUBSETS))
        if only == "added" and stage != "title_abstract":
            raise DecisionError("records are added during a stopping sample at title/abstract only",
                                hint="use --only added at the title_abstract stage")
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
        self.warnings: tuple[str, ...] = ()
        self.done_here: list[str] = []          # records decided in this session (for undo)
        self._pending_action = ""
        self._estimate = StoppingEstimate()
        self._studies: tuple[int, tuple[dict[str, str], dict[str, str]]] = (-1, ({}, {}))   # see _links
        self._queue = SessionQueue(review, reviewer, stage, only=only, sample=sample)
        self._refresh()
        if said := self._queue.stopped():
            self.message = self._also(said)
        roster = review.roster
        if roster.is_adjudicator(reviewer) and all(roster.match(a, (reviewer,)) for a in roster.adjudicators):
            # said up front, not per record: a per-record warning would tell the screener how a
            # colleague decided (blinding); nobody adjudicates a conflict they took part in
            self.message = self._also(
                "note: you are also this review's only adjudicator, so a conflict on a record you "
                "screen here needs another adjudicator (add one to [screening] adjudicators)")
        if sample and (left := sorted(set(self._queue.priors_left) - set(standing_decisions(self.entries, stage)))):
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

    # -- queue (session_queue.py) ----------------------------------------------------------------

    @property
    def queue(self) -> list[str]:
        """The records this session serves, next first."""
        return self._queue.served

    @property
    def skipped(self) -> set[str]:
        """Records skipped in this session (not served again by it)."""
        return self._queue.skipped

    @property
    def entries(self) -> pd.DataFrame | None:
        """The review's log as the last refresh read it."""
        return self._queue.entries

    @property
    def total(self) -> int:
        return self._queue.total

    @property
    def decided(self) -> int:
        return self._queue.decided

    def _refresh(self) -> None:
        """Bring the queue up to date with the log (see :meth:`SessionQueue.refresh`)."""
        opening = self._queue.refresh()
        if opening and self._queue.ranker_off:
            self.message = self._queue.ranker_off
        if not self.queue and self.state != "done":
            self.state = "done"
            # an empty queue is not a finished stage: say whose records are still open (UAT: a
            # reviewer outside the dual plan read 'nothing left to screen' with 485 unsettled)
            self.open_elsewhere = self._queue.unsettled_elsewhere()
            if self.open_elsewhere:
                n = self.open_elsewhere
                self.message = (f"your queue is empty; {n} record{'s' if n != 1 else ''} of this stage "
                                f"{'are' if n != 1 else 'is'} still open for other reviewers (planned for them, "
                                f"or awaiting a second reviewer or an adjudicator)")
            if not opening and (said := self._queue.stopped()):       # (on opening, __init__ says it)
                self.message = self._also(said)

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
            stopped=self._queue.stopped(), warnings=self.warnings,
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
                found = (groups(seen, self.review.records, self._queue.eligible, ()), study_links(seen))
            self._studies = (n, found)
        return self._studies[1]

    def _study(self, rid: str | None) -> tuple[str, ...]:
        """The other reports of ``rid``'s study (see :meth:`_links`)."""
        group = self._links()[0]
        if rid is None or rid not in group:
            return ()
        return tuple(sorted((r for r, g in group.items() if g == group[rid] and r != rid), key=sort_key))

    def _stopping(self) -> dict[str, Any] | None:
        """The stopping rule's estimate at title/abstract (see :class:`StoppingEstimate`)."""
        if self.stopping_fn is None or self.stage != "title_abstract":
            return None
        return self._estimate.read(self.stopping_fn, self.review.records, self.entries)

    # -- input ---------------------------------------------------------------------------------

    def press(self, key: str) -> None:
        """Apply one key press in the current state."""
        self.message = self.hint = ""
        self.warnings = ()
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
            said = ("Enter does nothing here" if key in ENTER else
                    f"unknown key {key!r}" + (" (one key per line when the input is piped)" if len(key) > 1 else ""))
            self.hint = f"{said}: " + ", ".join(f"{k} {v}" for k, v in self.view().keys.items())

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
                payload: dict[str, Any] | None = None, if_last: int | None = None) -> None:
        ev = build_event(self.review, self.entries, reviewer=self.reviewer, record_id=rid, action=action,
                         stage=self.stage, reason=reason, note=note, is_demo=self.is_demo, payload=payload,
                         sought=self._queue.eligible, ft_records=self._queue.ft_records,
                         ranking_id=self._queue.ranking_id(rid))
        self.review.open().append([ev], if_last=if_last)

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
        ranker = self._queue.ranker
        if ranker is not None and ranker.model_id.startswith("ranker-"):
            # the model as this session ran it: the methods paragraph names it, even if the
            # review's [rank] model changed since the last `screening run` wrote rank.json
            payload["model"] = ranker.spec
            # and its seed: spec, seed and the log's labels rebuild the ranking (its id), even
            # when [rank] was edited and a session opened before any run recorded the new settings
            payload["seed"] = ranker.seed
            # with the model's id (the event's ranking_id), what it was trained on: the id alone
            # is a digest that no report could trace back to a training-set size
            payload.update(ranker.training)
        # the record on screen was undecided when shown; a colleague, or the same reviewer in
        # another terminal (or `decide`), may have decided it since: check and write as one step
        try:
            checked = write_unless_taken(
                self.review.entries, lambda last: self._append(rid, action, reason=reason, payload=payload or None,
                                                               if_last=last),
                rid, self.reviewer, self.stage, sample=self.sample, decision=(action, reason))
        except DecisionError as err:
            self.message = str(err)
            return
        if checked.status == "repeat":
            # decided so meanwhile elsewhere (another terminal, an import, `decide`): not twice
            self.message = (f"{rid}: you decided it so meanwhile elsewhere ({action.replace('_', ' ')}"
                            + (f": {reason}" if reason else "") + "); nothing more recorded")
            self.done_here.append(rid)
            self._refresh()
            return
        if checked.status == "taken":
            # a colleague's session served it too (sharing.py): a second decision would open a
            # conflict nobody planned, so move on instead
            self.message = f"{rid} was decided by a colleague while it was on screen: yours is not recorded"
            self._refresh()
            return
        if checked.status == "busy":
            self.message = f"{rid}: the decision log kept changing while this was recorded; press the key again"
            return
        events, earlier = checked.events, checked.earlier
        self.done_here.append(rid)
        self.message = f"{rid}: {action.replace('_', ' ')}" + (f" ({reason})" if reason else "")
        if earlier is not None:
            self.message += (f" — this replaces your decision made meanwhile elsewhere ({earlier.decision}"
                             + (f": {earlier.reason}" if earlier.reason else "") + "); `u` takes it back")
        self._refresh()
        # a settled record now in conflict (the decision replaced one made elsewhere): as `decide` warns
        reopened = settled_now_in_conflict(events, self.entries[self.entries["record_id"] == rid], rid, self.stage, "`u`")
        self.warnings = (reopened,) if reopened else ()
        if self.stage == "title_abstract" and action in DECISION_ACTIONS:
            # a stop recorded while the record was on screen closed it: the decision counts, and
            # an include means the rule missed a relevant record, as `decide` warns (acceptance
            # testing); the queue's stop is the log's, as the refresh above read it
            stop = self._queue.stop
            before = record_outcomes(events, self.stage).get(rid) if stop is not None else None
            if stop is not None and stop.holds(rid, before):
                self.warnings += tuple(closed_by_stop(stop, Event(rid, self.stage, self.reviewer, action)))

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
