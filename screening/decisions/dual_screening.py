"""Dual screening: which records two reviewers screen, and settling those they disagree on.

:func:`assign` stores the plan :mod:`.plan` draws (one 'assign' event per record), and
:func:`replace_reviewer` hands a departed reviewer's undecided planned records to another
reviewer (new 'assign' events; nothing settled is reopened). A record whose screeners
disagree is a conflict, which :func:`adjudicate` settles with an adjudicator's final decision
(a later adjudication corrects an earlier one), and :func:`conflicts_to_adjudicate` lists the
conflicts a given adjudicator may settle (never those they took part in).
"""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from screening.decisions.entries import (
    assign_events, considered_records, event_payload, full_text_records, standing_decisions,
)
from screening.decisions.outcomes import record_outcomes
from screening.decisions.plan import handover_event, parse_reviewers, plan_events
from screening.decisions.progress import eligible_records
from screening.decisions.queries import list_conflicts
from screening.decisions.reasons import same_reason
from screening.decisions.recording import DecisionResult, build_event, keep_repeated_note
from screening.decisions.review import ReviewLike, check_stage, events_of_record, loaded_review, open_for_writing
from screening.decisions.roster import Roster
from screening.decisions.sharing import until_not_overtaken
from screening.decisions.store import STAGES
from screening.errors import DecisionError


def assign(review: ReviewLike, reviewers: str | list[str], *, fraction: float | None = None,
           seed: int | None = None, stage: str = "title_abstract", is_demo: bool = False,
           replan: bool = False) -> dict[str, Any]:
    """Store a dual-screening plan: which records need two independent decisions.

    ``fraction`` / ``seed``: None takes the review's ``[screening] dual_fraction`` / ``seed``
    (defaults 1.0 and 1), so the plan the protocol declares is the one applied. Records that
    already have a plan at ``stage``, or a screener's decision, keep it: after a search update,
    running ``assign`` again plans the new records (a calibration sample stays that share of
    them) instead of drawing a new sample over everything or reopening settled records.
    ``replan`` plans every candidate afresh (another pair of reviewers for all, say); the
    latest plan of a record wins.
    """
    check_stage(stage)
    with open_for_writing(review) as rv:
        s = rv.config.screening
        fraction = s.dual_fraction if fraction is None else fraction
        seed = s.seed if seed is None else seed
        # a plan names who must decide: someone declared only as an adjudicator may not
        names = tuple(rv.roster.decider(n) for n in parse_reviewers(reviewers))
        names = parse_reviewers(names)         # 'Alice,alice' is one person once resolved
        entries = rv.entries()
        candidates = list(eligible_records(rv.records, entries, stage)["record_id"])
        at_full_text = 0
        if stage == "title_abstract":
            # a new plan must not reopen records whose full-text assessment rests on their
            # settled include (a second screener would make them pending again), --replan or not
            assessed = full_text_records(entries)
            at_full_text = sum(c in assessed for c in candidates)
            candidates = [c for c in candidates if c not in assessed]
        # without --replan, a record an earlier plan covered keeps it, and one a screener has
        # already decided is not reopened (a second screener would make a final decision pending)
        decided = set(standing_decisions(entries, stage))
        planned = set() if replan else considered_records(entries, stage) | decided
        kept = sum(c in planned for c in candidates)
        candidates = [c for c in candidates if c not in planned]
        events = plan_events(candidates, names, stage=stage, fraction=fraction, seed=seed, is_demo=is_demo)
        dual = [e.record_id for e in events if e.payload.get("reviewers")]
        # --replan may put a record someone has decided under a plan that needs others too: a
        # settled record becomes pending again; say how many, and how each had been settled
        touched = decided.intersection(dual)           # empty without --replan
        before = record_outcomes(entries[entries["record_id"].isin(touched)], stage) if touched else {}
        written = rv.open().append(events)
        after = record_outcomes(rv.entries().loc[lambda e: e["record_id"].isin(touched)], stage) if touched else {}
        reopened = reopened_records(before, after)
    return {"stage": stage, "reviewers": list(names), "candidates": len(candidates),
            "already_planned": kept, "assigned": len(dual), "written": written, "fraction": fraction,
            "seed": seed, "record_ids": dual, "reopened": sum(reopened.values()), "reopened_by": reopened,
            "at_full_text": at_full_text}


def replace_reviewer(review: ReviewLike, reviewer: str, by: str, *, stage: str = "title_abstract",
                     is_demo: bool = False) -> dict[str, Any]:
    """Hand the records a dual-screening plan still waits on ``reviewer`` for (someone who left
    the team) to ``by``, a declared reviewer.

    Only the records still waiting for ``reviewer`` get a new 'assign' event naming ``by`` in
    ``reviewer``'s place (the log is append-only: the earlier plan stays on record, the latest
    plan wins): those whose latest plan at ``stage`` names ``reviewer``, still in screening at
    ``stage`` (in play: not since made a duplicate or excluded by the rules), not closed by the
    review's stop (title/abstract: a logged stop or ``[rank] stopped = true``, and nobody has
    decided them), not settled, and without a standing decision of ``reviewer``'s. Everything ``reviewer`` decided, and every settled
    record, is left as it is: unlike ``assign --replan``, nothing settled is reopened. The
    others are counted apart (``out_of_play``, ``closed``), so the message and the plan events
    count only what ``by`` is actually to decide. ``by`` decides blind, as any
    reviewer of a dual plan: a colleague's decision on the record shows only once ``by`` has
    decided it. A record whose plan already names ``by`` cannot be handed to them (they would
    be both of its reviewers): it is listed in ``left`` for someone else.
    ``reviewer`` need no longer be declared (they may have been taken off ``[screening]
    reviewers``), but must be named in a plan at ``stage``."""
    from screening.prisma.state import review_stopping

    check_stage(stage)
    if not str(reviewer or "").strip() or not str(by or "").strip():
        raise DecisionError("--replace and --by go together: --replace names the reviewer who left, --by who takes "
                            "over their undecided records", hint='e.g. --replace bob --by "José Ñúñez"')
    with open_for_writing(review) as rv:
        newcomer = rv.roster.decider(by)
        entries = rv.entries()
        latest: dict[str, tuple[int, dict[str, Any]]] = {}      # record -> its latest plan event
        sub = assign_events(entries, stage)
        for rid, eid, payload in zip(sub["record_id"].astype(str), sub["id"], sub["payload"]):
            latest[rid] = (int(eid), event_payload(str(payload or "")))
        planned = {n for _, p in latest.values() for n in p.get("reviewers", ())}
        # ignoring case, as names are matched everywhere; who is planned, not who is declared
        departing = Roster.match(reviewer, planned)
        if departing is None:
            names = sorted(planned, key=str.casefold)
            raise DecisionError(
                f"{str(reviewer).strip()!r} is not named in any dual-screening plan at {stage}",
                hint=(f"the plans at {stage} name {', '.join(names)}" if names
                      else f"there is no dual-screening plan at {stage} (`screening assign REVIEW --reviewers A,B"
                           f"{'' if stage == 'title_abstract' else ' --stage ' + stage}`)"))
        if Roster.is_party(newcomer, [departing]):
            raise DecisionError(f"--replace and --by name the same person ({departing})",
                                hint="--by names the reviewer who takes over the records")
        standing = standing_decisions(entries, stage)
        outcomes = record_outcomes(entries, stage, standing)
        # a plan made before dedup review or a rule change may name records no longer in
        # screening; nobody waits for a decision on those
        playing = set(eligible_records(rv.records, entries, stage)["record_id"].astype(str))
        # the review's stop as PRISMA reads it: a logged stop, or the rank section's stopped = true
        stopping = review_stopping(rv.config) if stage == "title_abstract" else None
        events, left, decided, settled, out_of_play, closed = [], [], 0, 0, 0, 0
        for rid, (eid, payload) in latest.items():
            names = list(payload.get("reviewers", ()))
            if departing not in names:
                continue
            if rid not in playing:
                out_of_play += 1
                continue
            if stopping is not None and outcomes.get(rid) is None and stopping.closes(rid):
                # the stop settled it as excluded by the stopping rule (PRISMA reads it so, and
                # nobody's session serves it): not waiting for anyone
                closed += 1
                continue
            if (departing, "screener") in standing.get(rid, {}):
                decided += 1                                  # their decision stands, in the plan
                continue
            if getattr(outcomes.get(rid), "status", "") == "final":
                settled += 1                                  # adjudicated: nothing to decide
                continue
            if Roster.is_party(newcomer, names):
                left.append(rid)
                continue
            events.append(handover_event(rid, payload, eid, departing, newcomer, stage=stage, is_demo=is_demo))
        written = rv.open().append(events) if events else 0
    return {"stage": stage, "reviewer": departing, "by": newcomer, "handed": len(events),
            "record_ids": [e.record_id for e in events], "written": written, "decided": decided,
            "settled": settled, "closed": closed, "out_of_play": out_of_play, "left": sorted(left)}


def unplanned_records(records: pd.DataFrame, entries: pd.DataFrame, stage: str,
                      closes: Callable[[str], bool] | None = None) -> list[str]:
    """The records a dual-screening plan at ``stage`` does not cover yet and nobody has decided:
    a search update's, or (full text) title/abstract includes since the plan. One decision
    settles each, so the plan the protocol declares silently stops applying to them; ``assign``
    again plans them. [] when the stage has no plan. ``closes``: title/abstract records a
    standing stop closes (nobody is to screen them) are left out."""
    if not len(assign_events(entries, stage)):
        return []
    covered = considered_records(entries, stage) | set(standing_decisions(entries, stage))
    if stage == "title_abstract":
        covered |= full_text_records(entries)      # assign leaves these out too
    ids = eligible_records(records, entries, stage)["record_id"].astype(str)
    return [r for r in ids if r not in covered and not (closes is not None and closes(r))]


def plan_gap_warnings(records: pd.DataFrame, entries: pd.DataFrame | None,
                      closes: Callable[[str], bool] | None = None) -> list[str]:
    """A warning per stage whose dual-screening plan misses records still to screen
    (:func:`unplanned_records`), naming the command that plans them (acceptance testing: after
    a search update midway, the new records were single-screened without a word)."""
    if entries is None or not len(entries):
        return []
    out = []
    for stage in STAGES:
        missing = unplanned_records(records, entries, stage, closes if stage == "title_abstract" else None)
        if not missing:
            continue
        plans = assign_events(entries, stage)
        named = [event_payload(str(p or "")).get("reviewers") for p in plans["payload"]]
        pair = next((",".join(n) for n in reversed(named) if n), "A,B")
        flag = "" if stage == "title_abstract" else f" --stage {stage}"
        why = ("added since `assign`: a search update?" if stage == "title_abstract" else
               "included at title/abstract, or added, since `assign --stage full_text`")
        out.append(f"{len(missing)} record(s) to screen at {stage} are not in its dual-screening plan "
                   f"(e.g. {', '.join(missing[:3])}; {why}): one decision would settle each; `screening assign "
                   f"REVIEW --reviewers {pair}{flag}` plans them (records planned or decided keep their plan)")
    return out


def reopened_records(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """How many records were settled in ``before`` and are not in ``after`` (the stage's
    :func:`record_outcomes` around a write), per how they had been settled ('single': one
    decision, 'agreement': two or more reviewers agreeing). Records that were already in
    conflict or pending are not reopened by anything, and an adjudication stays final."""
    out: dict[str, int] = {}
    for rid, was in before.items():
        now = after.get(rid)
        if was.status == "final" and (now is None or now.status != "final"):
            out[was.resolved_by] = out.get(was.resolved_by, 0) + 1
    return out


def adjudicate(review: ReviewLike, *, reviewer: str, record_id: str, decision: str,
               stage: str = "title_abstract", reason: str = "", note: str = "",
               is_demo: bool = False, open_only: bool = False) -> DecisionResult:
    """Record an adjudicator's final decision on a record whose screeners disagree, or correct
    the adjudication that settled it.

    Only a declared adjudicator may adjudicate (anyone, if the review declares none), and never
    one of the screeners whose decisions make the conflict. On a record already settled by an
    adjudication, a new adjudication is a correction: appended like any other (the log is
    append-only, the earlier one stays on record and the event's payload names it under
    ``corrects``), and the latest adjudication is the record's outcome (:mod:`.outcomes`);
    ``DecisionResult.corrects`` is the adjudication it replaced. One that repeats the standing
    adjudication (same decision and reason) is not appended again (``repeated``); a new note on
    it is kept as a note event (then ``event``), as on a screener's repeated decision.

    ``open_only``: the record was shown as an open conflict (the adjudication walk), so one
    settled since by another adjudication is refused, not corrected: the check and the write
    are one step, as in a screening session (acceptance testing: two walks showing the same
    conflict, the later answer silently 'corrected' an adjudication its author never saw)."""
    check_stage(stage)
    if decision not in ("include", "exclude", "not_retrieved"):
        raise DecisionError(f"an adjudication must be include, exclude or (full text) not retrieved, not {decision!r}",
                            record=record_id, hint="pass --include, --exclude or (full text) --not-retrieved")
    record_id = str(record_id)
    with open_for_writing(review) as rv:
        reviewer = rv.roster.adjudicator(reviewer, record=record_id)   # before saying anything of the record
        rv.record(record_id)

        def attempt() -> tuple[Any, bool, bool, Any]:
            """(event, written, repeated, the adjudication it corrects) on the log as it is now."""
            entries = rv.entries()
            last = int(entries["id"].iloc[-1]) if len(entries) else 0
            mine = entries[entries["record_id"] == record_id]
            outcome = record_outcomes(mine, stage).get(record_id)
            earlier = outcome.adjudicator if outcome is not None and outcome.resolved_by == "adjudication" else None
            if outcome is None or (outcome.status != "conflict" and earlier is None):
                state = "it has no decisions yet" if outcome is None else f"it is {outcome.phrase}"
                # the usual slip: the conflict is at the other stage and --stage was left out
                elsewhere = [st for st in STAGES if st != stage
                             and getattr(record_outcomes(mine, st).get(record_id), "status", "") == "conflict"]
                hint = (f"the record has an open conflict at {elsewhere[0]}: pass --stage {elsewhere[0]}" if elsewhere
                        else f"`screening conflicts REVIEW --stage {stage}` lists the records that need adjudication")
                raise DecisionError(f"record has no open conflict at {stage} ({state})", record=record_id, hint=hint)
            if open_only and earlier is not None:
                raise DecisionError(
                    f"{earlier.reviewer} adjudicated this record ({earlier.decision.replace('_', ' ')}) while it was "
                    "on your screen; nothing was recorded", record=record_id,
                    hint=f"to correct that adjudication: `screening adjudicate REVIEW -r NAME --record {record_id} "
                         f"--stage {stage} --include` (or --exclude)")
            rv.roster.check_not_party(reviewer, [s.reviewer for s in outcome.screeners], record=record_id)
            payload = None if earlier is None else {"corrects": earlier.event_id}
            ev = build_event(rv, entries, reviewer=reviewer, record_id=record_id, action=decision, stage=stage,
                             reason=reason, note=note, role="adjudicator", is_demo=is_demo, payload=payload)
            if earlier is not None and earlier.decision == ev.action and same_reason(earlier.reason, ev.reason):
                # a new note on a repeat is kept (a note event), as on a screener's repeat
                return (*keep_repeated_note(rv, entries, ev, is_demo=is_demo), True, earlier)
            return ev, rv.open().append([ev], if_last=last) == 1, False, earlier

        done = until_not_overtaken(attempt)
        if done is None:
            raise DecisionError("the decision log kept changing while this adjudication was written (others are "
                                "deciding right now); nothing was recorded", record=record_id,
                                hint="run the command again")
        ev, written, repeated, earlier = done
        after = events_of_record(rv, record_id)
    return DecisionResult(ev, written, record_outcomes(after, stage).get(record_id), repeated=repeated,
                          corrects=None if repeated else earlier)


def conflicts_to_adjudicate(review: ReviewLike, *, reviewer: str,
                            stage: str = "title_abstract") -> tuple[pd.DataFrame, list[str]]:
    """The open conflicts ``reviewer`` may settle (as :func:`list_conflicts`, unblinded) and the
    ids of those they took part in, left to another adjudicator. Refuses a reviewer who may
    not adjudicate before showing anything."""
    rv = loaded_review(review)
    check_stage(stage)
    name = rv.roster.adjudicator(reviewer)
    df = list_conflicts(rv, stage=stage, reviewer=name, as_adjudicator=True)
    own = [rid for rid, g in df.groupby("record_id", sort=False) if Roster.is_party(name, g["reviewer"])]
    return df[~df["record_id"].isin(own)].reset_index(drop=True), own
